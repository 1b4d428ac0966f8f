"""The pure half of the status sync: what each piece of news comes to, and the 48-hour clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from integrator.application.announce import owed_by
from integrator.domain.escalation import (
    EffectKind,
    Escalation,
    Event,
    IncidentStatus,
    IssueStatus,
    Page,
    State,
    Ticket,
)
from integrator.domain.status import SyncPlan, plan_clock, plan_sync
from tests.builders import CREATED_AT, make_escalation

PAGED = make_escalation(
    state=State.PAGED,
    page=Page(incident_id="Q1", url="https://acme.pagerduty.com/incidents/Q1", assignee="PALICE1"),
    pagerduty_state="triggered",
    ticket=Ticket(key="ING-1", url="https://acme.atlassian.net/browse/ING-1"),
    jira_state="new",
    jira_status="To Do",
)
NOW = CREATED_AT + timedelta(hours=1)


def incident(status: str, **fields: object) -> IncidentStatus:
    return IncidentStatus(incident_id="Q1", incident_key=PAGED.id, status=status, urgency="high", **fields)  # type: ignore[arg-type]


def issue(status: str, category: str) -> IssueStatus:
    return IssueStatus(key="ING-1", status=status, category=category)


def owed(plan: SyncPlan, escalation: Escalation = PAGED) -> set[tuple[str, str]]:
    """What the plan owes once its topics are told (as the sync applies it)."""
    return {(o.kind.value, o.target) for o in owed_by(escalation, plan)}


def test_nothing_new_plans_nothing() -> None:
    plan = plan_sync(PAGED, incident("triggered"), issue("To Do", "new"), now=NOW, resolve_page_on_fix=True)
    assert not plan


def test_an_acknowledgement_comments_moves_the_ticket_and_tells_the_reporter() -> None:
    ack = incident("acknowledged", acknowledged_by="Alice Moreau", acknowledged_at=NOW)
    plan = plan_sync(PAGED, ack, issue("To Do", "new"), now=NOW, resolve_page_on_fix=True)

    assert plan.changes.state == State.ACKNOWLEDGED
    assert plan.changes.acknowledged_by == "Alice Moreau"
    assert ("comment", "acknowledged") in owed(plan)
    assert ("transition", "indeterminate") in owed(plan)
    assert ("note", "jira-indeterminate") not in owed(plan)
    assert any(k == "email" and t.startswith("acknowledged:") for k, t in owed(plan))
    comment = next(o for o in plan.owed if o.kind == EffectKind.COMMENT)
    assert comment.payload["text"].startswith("Acknowledged in PagerDuty by Alice Moreau at ")


def test_our_own_transition_is_not_echoed_back_to_pagerduty() -> None:
    moved_by_us = replace(
        PAGED, jira_state="indeterminate", jira_status="In Progress", pagerduty_state="acknowledged"
    )
    plan = plan_sync(
        moved_by_us,
        incident("acknowledged"),
        issue("In Progress", "indeterminate"),
        now=NOW,
        resolve_page_on_fix=True,
    )
    assert not plan


def test_jira_done_notes_resolves_the_page_and_fixes_the_escalation() -> None:
    plan = plan_sync(
        PAGED, incident("acknowledged"), issue("Done", "done"), now=NOW, resolve_page_on_fix=True
    )

    assert plan.changes.state == State.FIXED
    assert plan.changes.fixed_at == NOW
    assert {("note", "jira-done"), ("resolve", "jira-done")} <= owed(plan)


def test_resolving_the_page_on_fix_can_be_turned_off() -> None:
    plan = plan_sync(PAGED, incident("triggered"), issue("Done", "done"), now=NOW, resolve_page_on_fix=False)
    assert ("resolve", "jira-done") not in owed(plan)
    assert plan.changes.state == State.FIXED


def test_a_page_resolved_while_the_ticket_is_open_comments_and_keeps_it_open() -> None:
    plan = plan_sync(PAGED, incident("resolved"), issue("To Do", "new"), now=NOW, resolve_page_on_fix=True)

    assert ("comment", "page-resolved") in owed(plan)
    assert plan.changes.state is None
    assert plan.changes.pagerduty_state == "resolved"


def test_a_dry_run_escalation_is_not_synced() -> None:
    dry = replace(PAGED, page=None, ticket=None, pagerduty_state="dry-run", jira_state="dry-run")
    assert not plan_sync(dry, None, None, now=NOW, resolve_page_on_fix=True)


def raised(plan: object) -> list[str]:
    return [e.kind for e in plan.events]  # type: ignore[attr-defined]


def test_the_clock_raises_each_milestone_at_its_moment_and_once() -> None:
    e = replace(PAGED, rca_due=CREATED_AT + timedelta(hours=30))
    seen: list[str] = []
    for hours in (23.9, 24, 29.9, 30, 35.9, 36, 47.9, 48, 60):
        plan = plan_clock(e, now=CREATED_AT + timedelta(hours=hours))
        seen += raised(plan)
        e = replace(e, timeline=e.timeline + plan.events)  # as the store would keep them
    assert seen == ["clock:fix-50", "clock:rca", "clock:fix-75", "clock:breach"]


def test_a_breach_notes_comments_raises_urgency_and_tells_the_breach_contacts() -> None:
    plan = plan_clock(PAGED, now=PAGED.fix_due + timedelta(minutes=1))
    assert {("note", "breach"), ("comment", "breach"), ("urgency", "breach")} <= owed(plan)
    assert ("email", "breach:vp-eng@acme.example") in owed(plan)


def test_the_clocks_stop_when_the_fix_is_confirmed() -> None:
    fixed = replace(PAGED, state=State.FIXED, fixed_at=CREATED_AT + timedelta(hours=10))
    assert not plan_clock(fixed, now=CREATED_AT + timedelta(hours=60))


def test_a_milestone_already_on_the_timeline_is_not_raised_again() -> None:
    half = Event(at=CREATED_AT + timedelta(hours=24), kind="clock:fix-50", text="", data={})
    e = replace(PAGED, rca_due=CREATED_AT + timedelta(hours=40), timeline=(half,))
    assert raised(plan_clock(e, now=CREATED_AT + timedelta(hours=25))) == []
