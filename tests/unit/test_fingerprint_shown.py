"""The failure fingerprint of an escalation: taken when it is reported, shown in its JSON and by `status`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from integrator.application.escalate import parse_report
from integrator.application.present import escalation_dict
from integrator.bootstrap import Services
from integrator.cli.app import app
from tests.support import TRACE, FakeClock, memory_services, report_data

POOL = "services/ingest/connectors/db/pool.py:fetch"
BATCH = "services/ingest/api/batch.py:load_batch"


def report(services: Services, *, link: bool = True, **failure: object) -> str:
    escalation, _ = services.escalator.submit(parse_report({**report_data(**failure), "link": link}))
    return escalation.id


def test_a_reported_trace_gives_the_escalation_a_fingerprint_owned_by_its_team(tmp_path: Path) -> None:
    clock = FakeClock()
    services = memory_services(tmp_path, clock=clock)
    first = services.store.get(report(services, locations=[], stack_trace=TRACE))
    clock.advance(minutes=10)
    moved = TRACE.replace("line 88", "line 90")  # the same failure after a deploy, on another deal
    again = services.store.get(report(services, locations=[], stack_trace=moved, link=False))

    assert first.owner.team.handle == "@acme/ingest"
    assert first.fingerprint is not None
    assert (first.fingerprint.exception, first.fingerprint.frames) == ("TimeoutError", (POOL, BATCH))
    assert first.fingerprint.team == "@acme/ingest"
    assert again.fingerprint == first.fingerprint
    assert [e.id for e in services.store.open_with_fingerprint(first.fingerprint.id)] == [again.id, first.id]


def test_the_escalation_json_carries_the_fingerprint_and_what_it_matches_on(tmp_path: Path) -> None:
    services = memory_services(tmp_path)
    shown = escalation_dict(services.store.get(report(services, stack_trace=TRACE)))
    without = escalation_dict(services.store.get(report(services)))

    fingerprint = shown["fingerprint"]
    assert set(fingerprint) == {"id", "exception", "frames", "team", "text"}
    assert len(fingerprint["id"]) == 16
    assert fingerprint["frames"] == [POOL, BATCH]
    assert fingerprint["text"] == f"matches on: `TimeoutError` at `{POOL}` ← `{BATCH}`, owned by @acme/ingest"
    assert without["fingerprint"] is None


def test_status_prints_the_fingerprint_of_one_escalation(tmp_path: Path) -> None:
    services = memory_services(tmp_path)
    escalation_id = report(services, stack_trace=TRACE)
    fingerprint_id = services.store.get(escalation_id).fingerprint.id  # type: ignore[union-attr]

    text = CliRunner().invoke(app, ["status", escalation_id], obj=services, catch_exceptions=False)
    as_json = CliRunner().invoke(app, ["status", escalation_id, "--json"], obj=services)

    assert text.exit_code == 0, text.output
    assert f"Failure {fingerprint_id}: matches on: `TimeoutError` at `{POOL}` ← `{BATCH}`" in text.stdout
    assert json.loads(as_json.stdout)["fingerprint"]["id"] == fingerprint_id
