"""Halting the customer's test environment when the SE asks, and resuming it after the fix.

Both are effects like the page (stored first, retried, dry-run aware): the halt is owed with the
escalation when the report says `failure.halt` (a linked deal's, for its own environment, when it
joins); the resume is owed when the SE asks for it, per deal or for every halted deal, only once
the escalation is fixed and the environment was halted.
"""

from __future__ import annotations

from datetime import datetime

from integrator.application.ports import EscalationStore
from integrator.domain.catalog import Catalog
from integrator.domain.escalation import EffectKind, EffectState, Escalation, Event, Owed
from integrator.domain.halt import Environment, HookCall, halt_status, hook_call, hook_target
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


def owed_halt(escalation: Escalation, catalog: Catalog, *, deal: int = 1) -> tuple[Owed, ...]:
    """The halt deal `deal` owes (its webhook-id decided now), if that deal's report asked for one:
    deal 1's with the new escalation, a linked deal's when it joins."""
    asked = escalation.deal(deal)
    if asked is None or not asked.report.failure.halt:
        return ()
    seen = escalation.for_deal(deal)
    environment = catalog.environments[asked.report.failure.environment]  # checked on accepting
    call = hook_call(seen, environment, "halt", at=asked.created_at)
    return (Owed(EffectKind.HALT, hook_target(deal), payload=call.payload()),)


def owe_resume(
    store: EscalationStore, escalation: Escalation, *, by: str, now: datetime, deal: int | None = None
) -> bool:
    """Owe the resume of deal `deal`'s halted environment, or (None) of every deal's that integrator
    halted and has not resumed; False when each was owed already.

    A `Conflict` while the escalation is not fixed (or closed), or when the environment (none of
    them, for every deal) was halted by integrator: nothing is stored or sent.
    """
    numbers = [d.number for d in escalation.deals] if deal is None else [deal]
    asked = [(n, s) for n in numbers if (s := halt_status(escalation, n)) is not None]
    if not asked:
        which = "its test environment" if deal is None else f"deal {deal}'s test environment"
        raise Conflict(
            f"escalation {escalation.id}: integrator did not halt {which}; nothing to resume",
            existing=escalation.id,
        )
    wanted = [(n, s) for n, s in asked if escalation.effect(EffectKind.RESUME, hook_target(n)) is None]
    if not wanted:
        return False
    if escalation.is_open:
        raise Conflict(
            f"escalation {escalation.id} is {escalation.state.value}, not fixed: resume the test"
            " environment after the fix",
            existing=escalation.id,
        )
    owed, events, not_halted = [], [], []
    for number, status in wanted:
        halt = escalation.effect(EffectKind.HALT, hook_target(number))
        if halt is None or halt.state != EffectState.DONE:
            # Resuming every halted deal: one whose halt did not go out is left out, and said if alone.
            not_halted.append(
                f"the test environment {status.environment} is not halted (halt {status.state})"
            )
            continue
        halted = HookCall.from_payload(halt.payload)
        seen = escalation.for_deal(number)
        call = hook_call(seen, _environment(halted, status.environment), "resume", at=now)
        owed.append(Owed(EffectKind.RESUME, hook_target(number), payload=call.payload()))
        whose = f" (deal {number}, {seen.report.deal.account})" if escalation.linked_deals else ""
        events.append(
            Event(
                at=now,
                kind="resume_asked",
                text=f"Resume of test environment {status.environment}{whose} asked by {by}",
                data={"by": by, "webhook_id": call.webhook_id, "deal": number},
            )
        )
    if not owed or (deal is not None and not_halted):
        raise Conflict(
            f"escalation {escalation.id}: {'; '.join(not_halted)}; nothing to resume", existing=escalation.id
        )
    try:
        added = store.apply(escalation.id, now=now, owed=owed, timeline=events, only_if_new=True)
    except AlreadyRecorded:  # owed a moment ago by a concurrent request
        return False
    return bool(added)


def _environment(halted: HookCall, name: str) -> Environment:
    """The environment as it was halted: resumed through the same hook, whatever the catalog says now."""
    return Environment(name=name, halt_url=halted.url, secret_variable=halted.secret_variable)
