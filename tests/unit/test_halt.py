"""The halt hook's rules on the in-memory store: the catalog's environments, the report's request,
the resume's conditions and what the customer is told."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from integrator.application.doctor import examine
from integrator.application.escalate import parse_report
from integrator.application.halting import owe_resume
from integrator.bootstrap import Services
from integrator.domain.catalog import Catalog
from integrator.domain.checkup import Outcome
from integrator.domain.escalation import Changes, EffectKind, EffectState, State
from integrator.domain.halt import Environment, HookCall
from integrator.domain.ownership import Registry
from integrator.errors import ConfigError, Conflict, InvalidInput, Rejected
from integrator.messages.customer import customer_update_draft
from tests.support import (
    CATALOG,
    REGISTRY,
    FakeClock,
    MemoryPager,
    MemoryTracker,
    memory_services,
    report_data,
)

ENVIRONMENTS = """
[environments."poc-globex-eu1"]
halt_url = "https://poc-control.acme.example/hooks/halt"
secret = "env:POC_HALT_SECRET"

[environments."poc-initech-us1"]
"""
LITERAL = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class MemoryHaltHook:
    calls: list[HookCall] = field(default_factory=list)
    refuse: bool = False

    def send(self, call: HookCall) -> None:
        if self.refuse:
            raise Rejected("halt hook", "the environment hook at poc-control.acme.example answered 403")
        self.calls.append(call)


@pytest.fixture
def hook() -> MemoryHaltHook:
    return MemoryHaltHook()


@pytest.fixture
def services(tmp_path: Path, hook: MemoryHaltHook) -> Services:
    return memory_services(
        tmp_path,
        clock=FakeClock(),
        pager=MemoryPager(),
        tracker=MemoryTracker(),
        catalog=CATALOG + ENVIRONMENTS,
        halt=hook,
    )


def test_the_catalog_names_each_environment_and_the_variable_holding_its_secret() -> None:
    catalog = Catalog.parse(CATALOG + ENVIRONMENTS)

    assert catalog.environments == {
        "poc-globex-eu1": Environment(
            "poc-globex-eu1", "https://poc-control.acme.example/hooks/halt", "POC_HALT_SECRET"
        ),
        "poc-initech-us1": Environment("poc-initech-us1"),
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            f'halt_url = "https://h.example/halt"\nsecret = "{LITERAL}"',
            'environments."poc 1".secret: must name an environment variable as env:NAME',
        ),
        (
            'halt_url = "https://h.example/halt"\nsecret = "env:POC-SECRET"',
            'environments."poc 1".secret: must name an environment variable as env:NAME',
        ),
        ('halt_url = "https://h.example/halt"', 'environments."poc 1": secret (env:NAME) is required'),
        ('halt_url = "ftp://h.example/halt"\nsecret = "env:X"', 'environments."poc 1".halt_url: is not'),
        ('halt_url = "https://h.example/halt"\nsecret = "env:X"\nurl = "x"', 'environments."poc 1".url'),
    ],
)
def test_a_bad_environment_is_refused_naming_its_key(entry: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Catalog.parse(CATALOG + f'\n[environments."poc 1"]\n{entry}\n')

    assert message in str(raised.value)


def test_a_secret_written_in_the_catalog_appears_in_no_message() -> None:
    text = CATALOG + f'\n[environments.poc]\nhalt_url = "https://h.example/halt"\nsecret = "{LITERAL}"\n'
    with pytest.raises(ConfigError) as raised:
        Catalog.parse(text)

    assert "environments.poc.secret" in str(raised.value)
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in str(raised.value)
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in str(raised.value.__cause__)


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ({"halt": True}, "is required with failure.halt"),
        ({"halt": True, "environment": "poc-unknown"}, "'poc-unknown' is not an environment of the catalog"),
        ({"halt": True, "environment": "poc-initech-us1"}, "'poc-initech-us1' has no halt_url"),
    ],
)
def test_a_halt_of_an_environment_that_cannot_be_halted_is_refused_and_nothing_stored(
    services: Services, hook: MemoryHaltHook, failure: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.escalator.escalate(parse_report(report_data(**failure)))

    assert list(raised.value.fields) == ["failure.environment"]
    assert message in raised.value.fields["failure.environment"]
    assert services.store.recent() == []
    assert hook.calls == []


def test_an_environment_named_without_halt_is_not_halted(services: Services, hook: MemoryHaltHook) -> None:
    escalation, _ = services.escalator.escalate(parse_report(report_data(environment="poc-unknown")))

    assert escalation.effect(EffectKind.HALT) is None
    assert hook.calls == []


def test_the_halt_runs_right_after_the_page_before_the_ticket(
    services: Services, hook: MemoryHaltHook
) -> None:
    escalation, _ = services.escalator.escalate(
        parse_report(report_data(environment="poc-globex-eu1", halt=True))
    )

    kinds = [e.kind for e in escalation.timeline if e.kind in ("paged", "halt_sent", "ticket_filed")]
    assert kinds == ["paged", "halt_sent", "ticket_filed"]
    [call] = hook.calls
    assert call.url == "https://poc-control.acme.example/hooks/halt"
    assert call.secret_variable == "POC_HALT_SECRET"
    assert call.webhook_id.startswith("msg_")


def test_a_refused_halt_is_failed_and_the_customer_is_not_told_it_was_halted(
    services: Services, hook: MemoryHaltHook
) -> None:
    hook.refuse = True
    escalation, _ = services.escalator.escalate(
        parse_report(report_data(environment="poc-globex-eu1", halt=True))
    )

    effect = escalation.effect(EffectKind.HALT)
    assert effect is not None
    assert effect.state == EffectState.FAILED
    draft = customer_update_draft(escalation)
    assert draft is not None
    assert "halted your testing environment" not in draft.body


def test_a_resume_is_refused_when_no_halt_was_asked(services: Services) -> None:
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    now = services.clock.now()
    services.store.apply(escalation.id, now=now, changes=Changes(state=State.FIXED, fixed_at=now))

    with pytest.raises(Conflict, match="did not halt its test environment"):
        owe_resume(services.store, services.store.get(escalation.id), by="priya", now=now)


def test_a_resume_is_refused_when_the_halt_failed(services: Services, hook: MemoryHaltHook) -> None:
    hook.refuse = True
    escalation, _ = services.escalator.escalate(
        parse_report(report_data(environment="poc-globex-eu1", halt=True))
    )
    now = services.clock.now()
    services.store.apply(escalation.id, now=now, changes=Changes(state=State.FIXED, fixed_at=now))

    with pytest.raises(Conflict, match=r"poc-globex-eu1 is not halted \(halt failed\)"):
        owe_resume(services.store, services.store.get(escalation.id), by="priya", now=now)
    assert services.store.get(escalation.id).effect(EffectKind.RESUME) is None


@pytest.mark.parametrize(
    ("environ", "outcome", "detail"),
    [
        ({"POC_HALT_SECRET": LITERAL}, Outcome.OK, "POC_HALT_SECRET is set"),
        ({}, Outcome.PROBLEM, "POC_HALT_SECRET is not set: export the hook's Standard Webhooks secret"),
    ],
)
def test_the_doctor_says_whether_each_hooks_secret_is_set_never_what_it_is(
    environ: dict[str, str], outcome: Outcome, detail: str
) -> None:
    catalog = Catalog.parse(CATALOG + ENVIRONMENTS)
    registry = Registry.parse(REGISTRY, known_owners=catalog.handles)

    checkup = examine(
        systems=[], catalog=catalog, registry=registry, registry_name="CODEOWNERS", environ=environ
    )

    [secret] = [f for f in checkup.findings if f.check == "halt.secret"]
    assert (secret.subject, secret.outcome) == ("poc-globex-eu1", outcome)
    assert secret.detail.startswith(detail)
    assert LITERAL not in str(checkup.as_dict())
    assert [f.subject for f in checkup.findings if f.check == "halt.url"] == ["poc-globex-eu1"]
