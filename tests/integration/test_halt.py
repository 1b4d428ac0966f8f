"""Halting and resuming the customer's test environment through a loopback hook that verifies
Standard Webhooks signatures with the `standardwebhooks` package, as a customer's receiver would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from integrator import bootstrap
from integrator.adapters.halt import HttpHaltHook
from integrator.application.escalate import parse_report
from integrator.application.halting import owe_resume
from integrator.application.present import escalation_dict
from integrator.application.retrying import RetryPolicy
from integrator.cli.app import app
from integrator.domain.escalation import Changes, EffectKind, Escalation, State
from integrator.errors import Conflict
from integrator.messages.customer import customer_update_draft
from integrator.settings import AuthSettings
from integrator.web.app import create_app
from tests.fakes.halt_hook import SECRET, HaltReceiver, halt_receiver
from tests.support import CATALOG, FakeClock, MemoryPager, MemoryTracker, report_data, write_config

OTHER_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
HALTED_LINE = "I have halted your testing environment"


@pytest.fixture
def pager() -> MemoryPager:
    return MemoryPager()


@pytest.fixture
def receiver(pager: MemoryPager) -> Iterator[HaltReceiver]:
    with halt_receiver(HaltReceiver(paged=lambda: bool(pager.pages))) as found:
        yield found


def catalog(receiver: HaltReceiver) -> str:
    return CATALOG + receiver.catalog_entry()


@dataclass
class World:
    services: bootstrap.Services
    clock: FakeClock
    tracker: MemoryTracker

    def escalate(self) -> Escalation:
        report = parse_report(report_data(environment="poc-globex-eu1", halt=True))
        escalation, _ = self.services.escalator.escalate(report)
        return escalation

    def retry_due(self) -> Escalation:
        """A sync's worth of time later, what is due runs again."""
        self.clock.advance(minutes=30)
        self.services.dispatcher.drive_due()
        [escalation] = self.services.store.recent()
        return escalation

    def fix(self, escalation: Escalation) -> Escalation:
        """The engineer moves the P1 to Done; the next sync sees it."""
        self.tracker.transition_to(escalation.ticket_key, "done")
        self.services.syncer.run_pass()
        return self.services.store.get(escalation.id)


@pytest.fixture
def world(tmp_path: Path, receiver: HaltReceiver, pager: MemoryPager) -> Iterator[World]:
    clock, tracker = FakeClock(), MemoryTracker()
    settings = write_config(tmp_path, catalog=catalog(receiver))
    services = bootstrap.build(
        settings,
        clock=clock,
        retry=RetryPolicy.none(),
        pager=pager,
        tracker=tracker,
        halt=HttpHaltHook(timeout=0.5, environ={"POC_HALT_SECRET": SECRET}),
    )
    yield World(services, clock, tracker)
    services.close()


def halt(escalation: Escalation) -> dict[str, Any] | None:
    shown: dict[str, Any] | None = escalation_dict(escalation)["halt"]
    return shown


def test_one_halt_is_delivered_through_a_500_and_a_timeout_with_the_same_webhook_id(
    world: World, receiver: HaltReceiver
) -> None:
    receiver.answers = [500, "hang", 204]

    escalation = world.escalate()
    assert halt(escalation) == {"state": "pending", "at": None, "environment": "poc-globex-eu1"}
    assert HALTED_LINE not in customer_update_draft(escalation).body  # type: ignore[union-attr]
    world.retry_due()  # the hook hangs past the client's timeout
    escalation = world.retry_due()

    assert len(receiver.received) == 3
    assert all(r.verified for r in receiver.received)
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert all(r.paged_before for r in receiver.received)  # the page went first
    assert [r.body for r in receiver.received] == [receiver.received[0].body] * 3
    assert receiver.received[0].body == {
        "type": "poc.environment.halt",
        "action": "halt",
        "escalation_id": escalation.id,
        "account": "Globex",
        "environment": "poc-globex-eu1",
        "timestamp": escalation.created_at.isoformat(),
    }
    effect = escalation.effect(EffectKind.HALT)
    assert effect is not None
    assert effect.attempts == 3
    retries = [e.text for e in escalation.timeline if e.kind == "halt_retry"]
    assert "answered 500" in retries[0]
    assert "did not answer within 0.5 s" in retries[1]
    assert halt(escalation) == {
        "state": "halted",
        "at": world.clock.now().isoformat(),
        "environment": "poc-globex-eu1",
    }
    sent = [e.text for e in escalation.timeline if e.kind == "halt_sent"]
    webhook_id = receiver.received[0].webhook_id
    assert sent == [
        f"Halt sent to test environment poc-globex-eu1: confirmed by its hook (webhook-id {webhook_id})"
    ]
    assert HALTED_LINE in customer_update_draft(escalation).body  # type: ignore[union-attr]


def test_after_the_fix_the_environment_is_resumed_by_its_own_signed_request(
    world: World, receiver: HaltReceiver
) -> None:
    escalation = world.escalate()
    with pytest.raises(Conflict, match="not fixed"):
        owe_resume(world.services.store, escalation, by="priya", now=world.clock.now())
    assert len(receiver.received) == 1

    escalation = world.fix(escalation)
    result = CliRunner().invoke(app, ["resume", escalation.id, "--json"], obj=world.services)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["halt"]["state"] == "resumed"
    halted, resumed = receiver.received
    assert resumed.verified
    assert resumed.body["type"] == "poc.environment.resume"
    assert resumed.body["action"] == "resume"
    assert resumed.webhook_id != halted.webhook_id
    again = CliRunner().invoke(app, ["resume", escalation.id], obj=world.services)
    assert again.exit_code == 0
    assert len(receiver.received) == 2  # asked twice, resumed once


def test_resume_through_the_api_answers_409_until_the_fix(world: World, receiver: HaltReceiver) -> None:
    services = world.services
    services.settings = services.settings.model_copy(
        update={
            "secret_key": SecretStr("test-secret-key-0123456789abcdef"),
            "auth": AuthSettings(mode="token"),
        }
    )
    token = services.tokens.create("priya")
    escalation = world.escalate()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(services), base_url="https://testserver") as client:
        early = client.post(f"/api/v1/escalations/{escalation.id}/resume", headers=headers)
        world.fix(escalation)
        done = client.post(f"/api/v1/escalations/{escalation.id}/resume", headers=headers)

    assert early.status_code == 409
    assert "resume the test environment after the fix" in early.json()["message"]
    assert done.status_code == 200
    assert done.json()["halt"]["state"] == "resumed"
    assert [r.body["action"] for r in receiver.verified()] == ["halt", "resume"]


def test_a_request_signed_with_the_wrong_secret_is_refused_and_the_halt_shown_failed(
    world: World, receiver: HaltReceiver
) -> None:
    receiver.secret = OTHER_SECRET

    escalation = world.escalate()

    [refused] = receiver.received
    assert not refused.verified
    effect = escalation.effect(EffectKind.HALT)
    assert effect is not None
    assert effect.last_error == "halt hook: the environment hook at 127.0.0.1 answered 401"
    assert halt(escalation) == {"state": "failed", "at": None, "environment": "poc-globex-eu1"}
    assert HALTED_LINE not in customer_update_draft(escalation).body  # type: ignore[union-attr]


def test_a_dry_run_plans_the_halt_and_the_resume_and_sends_nothing(
    tmp_path: Path, receiver: HaltReceiver
) -> None:
    settings = write_config(tmp_path, catalog=catalog(receiver))  # no credentials: a dry run
    services = bootstrap.build(settings, clock=FakeClock(), retry=RetryPolicy.none())
    report = parse_report(report_data(environment="poc-globex-eu1", halt=True))

    escalation, _ = services.escalator.escalate(report)
    assert halt(escalation) == {"state": "planned", "at": None, "environment": "poc-globex-eu1"}
    assert HALTED_LINE not in customer_update_draft(escalation).body  # type: ignore[union-attr]
    services.syncer.run_pass()
    fixed = Changes(state=State.FIXED, fixed_at=services.clock.now())
    services.store.apply(escalation.id, now=services.clock.now(), changes=fixed)
    result = CliRunner().invoke(app, ["resume", escalation.id], obj=services)
    resumed = services.store.get(escalation.id)
    services.close()

    assert result.exit_code == 0, result.output
    assert halt(resumed) == {"state": "resume_planned", "at": None, "environment": "poc-globex-eu1"}
    assert "Dry-run: would resume test environment poc-globex-eu1; nothing was sent" in [
        e.text for e in resumed.timeline
    ]
    assert receiver.received == []


FLAGS = [
    "escalate",
    "--account", "Globex", "--arr", "480000", "--title", "Batch ingest drops rows",
    "--location", "services/ingest/api/batch.py", "--reporter", "priya@acme.example",
]  # fmt: skip


def test_escalate_halt_on_the_command_line_halts_the_named_environment(
    world: World, receiver: HaltReceiver
) -> None:
    result = CliRunner().invoke(
        app, [*FLAGS, "--environment", "poc-globex-eu1", "--halt", "--json"], obj=world.services
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["halt"]["state"] == "halted"
    assert [r.body["action"] for r in receiver.verified()] == ["halt"]


def test_escalate_halt_without_an_environment_is_bad_input_and_stores_nothing(
    world: World, receiver: HaltReceiver
) -> None:
    result = CliRunner().invoke(app, [*FLAGS, "--halt"], obj=world.services)

    assert result.exit_code == 2
    assert "failure.environment: is required with failure.halt" in result.stderr
    assert world.services.store.recent() == []
    assert receiver.received == []
