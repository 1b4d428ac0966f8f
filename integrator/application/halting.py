"""Halting the customer's test environment when the SE asks, and resuming it after the fix.

Both are effects like the page (stored first, retried, dry-run aware): the halt is owed with the
escalation when the report says `failure.halt`; the resume is owed when the SE asks for it,
only once the escalation is fixed and its environment was halted.
"""

from __future__ import annotations

from datetime import datetime

from integrator.application.ports import EscalationStore
from integrator.domain.catalog import Catalog
from integrator.domain.escalation import EffectKind, EffectState, Escalation, Event, Owed
from integrator.domain.halt import Environment, HookCall, halt_status, hook_call
from integrator.domain.report import FailureReport
from integrator.errors import AlreadyRecorded, Conflict, InvalidInput

FIELD = "failure.environment"


def check_halt(report: FailureReport, catalog: Catalog) -> None:
    """`InvalidInput` naming `failure.environment` when the environment to halt cannot be halted."""
    failure = report.failure
    if not failure.halt:
        return
    name = failure.environment
    if not name:
        raise InvalidInput({FIELD: "is required with failure.halt: name the environment to halt"})
    environment = catalog.environments.get(name)
    if environment is None:
        known = ", ".join(sorted(catalog.environments)) or "none"
        raise InvalidInput({FIELD: f"{name!r} is not an environment of the catalog (known: {known})"})
    if not environment.halt_url:
        raise InvalidInput({FIELD: f"{name!r} has no halt_url in the catalog: it cannot be halted"})


def owed_halt(escalation: Escalation, catalog: Catalog) -> tuple[Owed, ...]:
    """The halt the new escalation owes (its webhook-id decided now), if the report asked for one."""
    if not escalation.report.failure.halt:
        return ()
    environment = catalog.environments[escalation.report.failure.environment]  # checked on accepting
    call = hook_call(escalation, environment, "halt", at=escalation.created_at)
    return (Owed(EffectKind.HALT, payload=call.payload()),)


def owe_resume(store: EscalationStore, escalation: Escalation, *, by: str, now: datetime) -> bool:
    """Owe the resume of the escalation's halted environment; False when it was owed already.

    A `Conflict` while the escalation is not fixed (or closed), or when its environment was not
    halted by integrator: nothing is stored or sent.
    """
    status = halt_status(escalation)
    if status is None:
        raise Conflict(
            f"escalation {escalation.id}: integrator did not halt its test environment; nothing to resume",
            existing=escalation.id,
        )
    if escalation.effect(EffectKind.RESUME) is not None:
        return False
    if escalation.is_open:
        raise Conflict(
            f"escalation {escalation.id} is {escalation.state.value}, not fixed: resume the test"
            " environment after the fix",
            existing=escalation.id,
        )
    halt = escalation.effect(EffectKind.HALT)
    if halt is None or halt.state != EffectState.DONE:
        raise Conflict(
            f"escalation {escalation.id}: the test environment {status.environment} is not halted"
            f" (halt {status.state}); nothing to resume",
            existing=escalation.id,
        )
    halted = HookCall.from_payload(halt.payload)
    call = hook_call(escalation, _environment(halted, status.environment), "resume", at=now)
    event = Event(
        at=now,
        kind="resume_asked",
        text=f"Resume of test environment {status.environment} asked by {by}",
        data={"by": by, "webhook_id": call.webhook_id},
    )
    try:
        owed = store.apply(
            escalation.id,
            now=now,
            owed=[Owed(EffectKind.RESUME, payload=call.payload())],
            timeline=[event],
            only_if_new=True,
        )
    except AlreadyRecorded:  # owed a moment ago by a concurrent request
        return False
    return bool(owed)


def _environment(halted: HookCall, name: str) -> Environment:
    """The environment as it was halted: resumed through the same hook, whatever the catalog says now."""
    return Environment(name=name, halt_url=halted.url, secret_variable=halted.secret_variable)
