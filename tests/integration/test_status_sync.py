"""The status sync through the real clients against the loopback fakes: each flow, once, never echoed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from integrator.application.escalate import parse_report
from integrator.bootstrap import Services
from integrator.domain.escalation import EffectKind, EffectState, Escalation, State
from tests.fakes import FakeJira, FakePagerDuty
from tests.fakes.clients import real_clients
from tests.fakes.world import ALICE, Transition
from tests.support import FakeClock, make_services, report_data, write_config

WRITES = ("POST", "PUT", "DELETE")


@dataclass
class World:
    services: Services
    jira: FakeJira
    pagerduty: FakePagerDuty
    clock: FakeClock

    def escalate(self) -> Escalation:
        escalation, _ = self.services.escalator.escalate(parse_report(report_data()))
        assert escalation.page is not None
        assert escalation.ticket is not None
        return escalation

    def sync(self) -> Escalation:
        summary = self.services.syncer.run_pass()
        assert not summary.problems, summary.problems
        (escalation,) = self.services.store.recent()
        return escalation

    def writes(self) -> int:
        """Requests that changed something on either side."""
        return sum(1 for r in [*self.jira.requests, *self.pagerduty.requests] if r.method in WRITES)

    def comments(self, key: str) -> list[str]:
        return [c.body for c in self.jira.issue(key).comments]

    def notes(self, incident_id: str) -> list[str]:
        return [n.content for n in self.pagerduty.incident(incident_id).notes]


def build_world(tmp_path: Path, jira: FakeJira, pagerduty: FakePagerDuty, **sync: object) -> Iterator[World]:
    settings = write_config(tmp_path)
    settings = settings.model_copy(update={"sync": settings.sync.model_copy(update=sync)})
    tracker, pager = real_clients(jira, pagerduty, timeout=5)
    clock = FakeClock()
    try:
        yield World(
            make_services(settings, clock=clock, pager=pager, tracker=tracker), jira, pagerduty, clock
        )
    finally:
        tracker.close()
        pager.close()


@pytest.fixture
def world(tmp_path: Path, fake_jira: FakeJira, fake_pagerduty: FakePagerDuty) -> Iterator[World]:
    yield from build_world(tmp_path, fake_jira, fake_pagerduty)


def test_an_acknowledged_page_is_told_on_the_ticket_once(world: World) -> None:
    e = world.escalate()
    world.pagerduty.acknowledge(e.page.incident_id, ALICE.id)

    after = world.sync()

    assert after.state == State.ACKNOWLEDGED
    assert after.acknowledged_by == ALICE.name
    acknowledged = [c for c in world.comments(e.ticket.key) if c.startswith("Acknowledged in PagerDuty by")]
    assert len(acknowledged) == 1
    assert ALICE.name in acknowledged[0]
    assert world.jira.issue(e.ticket.key).status.name == "In Progress"  # moved by status category
    assert any(ev.kind == "acknowledged" for ev in after.timeline)
    # Our own move to In Progress is not relayed to PagerDuty as news.
    assert not [n for n in world.notes(e.page.incident_id) if "in progress" in n]

    writes = world.writes()
    world.sync()
    world.sync()
    assert world.writes() == writes  # loop-free: the second and third pass add nothing


def test_jira_progress_and_fix_reach_pagerduty_and_resolve_the_page(world: World) -> None:
    e = world.escalate()

    world.jira.set_status(e.ticket.key, "In Progress")
    world.sync()
    assert [n for n in world.notes(e.page.incident_id) if "is in progress" in n]

    world.jira.set_status(e.ticket.key, "Done")
    after = world.sync()
    assert after.state == State.FIXED
    assert after.fixed_at == world.clock.now()
    assert [n for n in world.notes(e.page.incident_id) if "is done" in n]
    assert world.pagerduty.incident(e.page.incident_id).status == "resolved"
    assert after.pagerduty_state == "resolved"

    writes = world.writes()
    world.sync()
    world.sync()
    assert world.writes() == writes


def test_resolving_the_page_on_fix_can_be_turned_off(
    tmp_path: Path, fake_jira: FakeJira, fake_pagerduty: FakePagerDuty
) -> None:
    for world in build_world(tmp_path, fake_jira, fake_pagerduty, resolve_page_on_fix=False):
        e = world.escalate()
        world.jira.set_status(e.ticket.key, "Done")
        assert world.sync().state == State.FIXED
        assert world.pagerduty.incident(e.page.incident_id).status == "triggered"


def test_a_page_resolved_while_the_ticket_is_open_is_said_on_the_ticket(world: World) -> None:
    e = world.escalate()
    world.pagerduty.resolve(e.page.incident_id, ALICE.id)

    after = world.sync()

    assert after.is_open
    assert after.pagerduty_state == "resolved"
    said = [c for c in world.comments(e.ticket.key) if "The page is over" in c]
    assert len(said) == 1
    writes = world.writes()
    world.sync()
    assert world.writes() == writes


def test_a_workflow_without_an_in_progress_transition_is_reported(world: World) -> None:
    world.jira.workflows["ING"] = (Transition("11", "To Do", "To Do"), Transition("31", "Done", "Done"))
    e = world.escalate()
    world.pagerduty.acknowledge(e.page.incident_id, ALICE.id)

    after = world.sync()

    move = after.effect(EffectKind.TRANSITION, "indeterminate")
    assert move is not None
    assert move.state == EffectState.FAILED
    assert "ING" in (move.last_error or "")
    assert any(ev.kind == "transition_failed" and "ING" in ev.text for ev in after.timeline)
    assert world.jira.issue(e.ticket.key).status.name == "To Do"
    assert after.state == State.ACKNOWLEDGED  # the rest of the news still flowed


def test_every_state_change_tells_the_reporting_se(world: World) -> None:
    e = world.escalate()
    world.pagerduty.acknowledge(e.page.incident_id, ALICE.id)
    world.sync()
    world.jira.set_status(e.ticket.key, "Done")
    after = world.sync()

    told = {
        f.target
        for f in after.effects
        if f.kind == EffectKind.EMAIL and f.target.endswith("priya@acme.example")
    }
    assert {
        "escalated:priya@acme.example",
        "acknowledged:priya@acme.example",
        "fixed:priya@acme.example",
    } <= told


def test_the_pull_is_batched(tmp_path: Path, fake_jira: FakeJira, fake_pagerduty: FakePagerDuty) -> None:
    for world in build_world(tmp_path, fake_jira, fake_pagerduty):
        for n in range(12):
            data = {**report_data(), "idempotency_key": f"batch-{n}"}
            world.services.escalator.escalate(parse_report(data))
        jira_before, pd_before = len(world.jira.requests), len(world.pagerduty.requests)

        summary = world.services.syncer.run_pass()

        assert summary.watched == 12
        jira_reads = [r for r in world.jira.requests[jira_before:] if "/search" in r.path]
        pd_reads = [r for r in world.pagerduty.requests[pd_before:] if r.path.startswith("/incidents")]
        assert len(jira_reads) == 1
        assert len(pd_reads) == 1
