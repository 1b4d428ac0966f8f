"""The status sync: what Jira and PagerDuty say flows back, the clocks are watched, effects are driven.

One pass: drive due effects; pull the state of every open escalation's Jira issue and PagerDuty
incident in batches; compute the differences with the pure `plan_sync` and `plan_clock`; apply
them (state, timeline and the effects they owe, in one transaction per escalation); drive what
they owe. Whatever the service changed itself is recorded as known when it is done, so a later
pull sees no difference and nothing is echoed back; every effect is owed once, by its target.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from integrator.application.dispatch import Dispatcher
from integrator.application.ports import Clock
from integrator.domain.escalation import (
    EffectKind,
    Escalation,
    Event,
    IncidentStatus,
    IssueStatus,
    Owed,
    State,
)
from integrator.errors import IntegrationError
from integrator.messages import notify
from integrator.store.escalations import Store

if TYPE_CHECKING:
    from integrator.bootstrap import Services

log = logging.getLogger(__name__)

LOAD_BATCH = 500  # escalations read from the store at a time
PASS_LEASE = "sync-pass"  # noqa: S105 - a lease name, not a password
MILESTONES = (("fix-50", 0.5), ("fix-75", 0.75))  # share of the fix window gone
WATCHED_PD_STATES = ("triggered", "acknowledged", "resolved")  # not "dry-run", not unknown


# -- the pure part -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncPlan:
    """What one escalation's news comes to: its new fields, what it now owes, its timeline."""

    changes: dict[str, Any] = field(default_factory=dict)
    owed: tuple[Owed, ...] = ()
    events: tuple[Event, ...] = ()

    def __add__(self, other: SyncPlan) -> SyncPlan:
        return SyncPlan({**self.changes, **other.changes}, self.owed + other.owed, self.events + other.events)

    def __bool__(self) -> bool:
        return bool(self.changes or self.owed or self.events)


def tell(escalation: Escalation, topic: str) -> tuple[Owed, ...]:
    """The emails (one per recipient, each owed once) and chat post that announce `topic`."""
    emails = tuple(
        Owed(EffectKind.EMAIL, f"{topic}:{address}", {"to": address, "role": role, "topic": topic})
        for role, address in notify.recipients(escalation, topic)
    )
    chat = (Owed(EffectKind.CHAT, topic, {"topic": topic}),) if escalation.owner.team.chat_webhook else ()
    return emails + chat


def plan_sync(
    e: Escalation,
    incident: IncidentStatus | None,
    issue: IssueStatus | None,
    *,
    now: datetime,
    resolve_page_on_fix: bool,
) -> SyncPlan:
    """The differences between what integrator last knew and what the two systems say now."""
    plan = SyncPlan()
    known_pd = e.pagerduty_state if e.pagerduty_state in WATCHED_PD_STATES else None
    if incident is not None and known_pd is not None and incident.status != known_pd:
        plan += _incident_news(e, incident, now=now)
    jira_done = (issue.category if issue else e.jira_state) == "done"
    if issue is not None and e.ticket is not None and e.jira_state not in (None, "dry-run"):
        if issue.category != e.jira_state:
            page_resolved = (incident.status if incident else known_pd) == "resolved"
            plan += _issue_news(e, issue, now=now, resolve_page=resolve_page_on_fix and not page_resolved)
        elif issue.status != e.jira_status:
            plan += SyncPlan(changes={"jira_status": issue.status})
    if incident is not None and incident.status == "resolved" and known_pd != "resolved" and not jira_done:
        plan += _page_over_ticket_open(e, incident, now=now)
    return plan


def _incident_news(e: Escalation, incident: IncidentStatus, *, now: datetime) -> SyncPlan:
    plan = SyncPlan(changes={"pd_state": incident.status})
    if incident.status != "acknowledged" or e.acknowledged_at is not None:
        return plan
    who = incident.acknowledged_by or "the on-call engineer"
    at = incident.acknowledged_at or now
    text = f"Acknowledged in PagerDuty by {who} at {at:%Y-%m-%d %H:%M} UTC"
    owed = [Owed(EffectKind.COMMENT, "acknowledged", {"text": text})]
    if e.ticket is not None and e.jira_state == "new":  # the engineer is on it: the P1 is in progress
        owed.append(Owed(EffectKind.TRANSITION, "indeterminate", {"category": "indeterminate"}))
    changes: dict[str, Any] = {"acknowledged_at": at, "acknowledged_by": who}
    if e.state in (State.PENDING, State.PAGED):
        changes["state"] = State.ACKNOWLEDGED.value
    event = Event(at=now, kind="acknowledged", text=text, data={"by": who})
    return plan + SyncPlan(changes, (*owed, *tell(e, "acknowledged")), (event,))


def _issue_news(e: Escalation, issue: IssueStatus, *, now: datetime, resolve_page: bool) -> SyncPlan:
    assert e.ticket is not None
    changes: dict[str, Any] = {"jira_state": issue.category, "jira_status": issue.status}
    if issue.category == "indeterminate":
        text = f"Jira {issue.key} is in progress ({issue.status})"
        owed: tuple[Owed, ...] = (Owed(EffectKind.NOTE, "jira-indeterminate", {"text": text}),)
        event = Event(at=now, kind="in_progress", text=text, data={"status": issue.status})
        return SyncPlan(changes, owed + tell(e, "in_progress"), (event,))
    if issue.category == "done":
        resolution = f", {issue.resolution}" if issue.resolution else ""
        text = f"Jira {issue.key} is done ({issue.status}{resolution}); the fix clock is stopped"
        owed = (Owed(EffectKind.NOTE, "jira-done", {"text": text}),)
        if resolve_page:
            owed += (Owed(EffectKind.RESOLVE, "jira-done"),)
        changes |= {"state": State.FIXED.value, "fixed_at": now}
        event = Event(at=now, kind="fixed", text=text, data={"status": issue.status})
        return SyncPlan(changes, owed + tell(e, "fixed"), (event,))
    text = f"Jira {issue.key} is back in {issue.status}"  # reopened or moved back: recorded, not relayed
    return SyncPlan(
        changes, (), (Event(at=now, kind="jira_moved", text=text, data={"status": issue.status}),)
    )


def _page_over_ticket_open(e: Escalation, incident: IncidentStatus, *, now: datetime) -> SyncPlan:
    by = f" by {incident.resolved_by}" if incident.resolved_by else ""
    at = incident.updated_at or now
    text = (
        f"The PagerDuty incident was resolved{by} at {at:%Y-%m-%d %H:%M} UTC. The page is over; "
        "this P1 stays open until the fix is done."
    )
    owed = (Owed(EffectKind.COMMENT, "page-resolved", {"text": text}),)
    event = Event(at=now, kind="page_resolved", text=text, data={})
    return SyncPlan({}, owed + tell(e, "page_resolved"), (event,))


def plan_clock(e: Escalation, *, now: datetime) -> SyncPlan:
    """Reminders at 50% and 75% of the fix window and at the RCA time; on breach, escalate. Once each."""
    if not e.is_open or e.fixed_at is not None:
        return SyncPlan()  # the clocks stop when the fix is confirmed
    raised = {event.kind for event in e.timeline}
    window = e.fix_due - e.created_at
    moments = [(name, e.created_at + window * share) for name, share in MILESTONES]
    moments += [("rca", e.rca_due), ("breach", e.fix_due)]
    plan = SyncPlan()
    for name, moment in moments:
        if moment > now or f"clock:{name}" in raised:
            continue
        plan += _milestone(e, name, moment)
    return plan


def _milestone(e: Escalation, name: str, moment: datetime) -> SyncPlan:
    if name == "breach":
        text = f"The 48-hour fix clock is breached: the fix was due {e.fix_due:%Y-%m-%d %H:%M} UTC"
        owed: tuple[Owed, ...] = (
            Owed(EffectKind.NOTE, "breach", {"text": text}),
            Owed(EffectKind.COMMENT, "breach", {"text": text}),
            Owed(EffectKind.URGENCY, "breach"),
        )
    elif name == "rca":
        text = f"The root-cause analysis promised to the customer is due now ({e.rca_due:%Y-%m-%d %H:%M} UTC)"
        owed = ()
    else:
        share = name.removeprefix("fix-")
        text = f"{share}% of the fix window has passed; the fix is due {e.fix_due:%Y-%m-%d %H:%M} UTC"
        owed = ()
    event = Event(at=moment, kind=f"clock:{name}", text=text, data={})
    return SyncPlan({}, owed + tell(e, name), (event,))


# -- the pass ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    escalation_id: str
    kind: str
    next_attempt_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class PassSummary:
    driven: int
    pending: tuple[Pending, ...]
    watched: int = 0
    changed: int = 0
    problems: tuple[str, ...] = ()
    skipped: bool = False  # another worker held the pass's lease

    def lines(self) -> list[str]:
        if self.skipped:
            lines = ["Another worker is running the status pull; drove due effects only."]
        else:
            lines = [f"Checked {self.watched} open escalation(s); {self.changed} changed."]
        lines.append(f"Drove {self.driven} escalation(s) with due effects.")
        lines += [f"  problem: {problem}" for problem in self.problems]
        for p in self.pending:
            when = (
                f"next attempt {p.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC" if p.next_attempt_at else "due now"
            )
            lines.append(f"  pending: {p.escalation_id} {p.kind}, {when}: {p.last_error or 'not tried yet'}")
        if not self.pending:
            lines.append("Nothing pending.")
        return lines


@dataclass
class Syncer:
    store: Store
    dispatcher: Dispatcher
    clock: Clock
    resolve_page_on_fix: bool = True
    lease: timedelta = timedelta(minutes=5)
    holder: str = field(default_factory=lambda: secrets.token_hex(8))

    def run_pass(self) -> PassSummary:
        """Drive due effects, pull every open escalation's news, apply it, drive again.

        The pull is one batched read per system: the tracker searches `key in (...)` 100 keys at a
        time, the pager lists the owning services' incidents since the oldest open escalation.
        """
        driven = self.dispatcher.drive_due()
        now = self.clock.now()
        watched = changed = 0
        problems: list[str] = []
        skipped = not self.store.take_lease(PASS_LEASE, holder=self.holder, now=now, until=now + self.lease)
        if not skipped:
            try:
                ids = self.store.open_ids()
                watched = len(ids)
                escalations = [e for batch in _chunks(ids, LOAD_BATCH) for e in self.store.load(batch)]
                changed = self._sync(escalations, problems)
            finally:
                self.store.release_lease(PASS_LEASE, holder=self.holder)
            driven += self.dispatcher.drive_due()
        pending = tuple(
            Pending(escalation_id, f.kind.value, f.next_attempt_at, f.last_error)
            for escalation_id, f in self.store.pending_effects()
        )
        return PassSummary(driven, pending, watched, changed, tuple(problems), skipped)

    def sync_one(self, escalation_id: str) -> bool:
        """Re-fetch and sync one escalation now (a verified webhook's news); True when it changed."""
        escalation = self.store.get(escalation_id)
        problems: list[str] = []
        changed = self._sync([escalation], problems, one=True)
        for problem in problems:
            log.warning("sync of %s: %s", escalation_id, problem)
        self.dispatcher.drive(escalation_id)
        return changed > 0

    def _sync(self, batch: Sequence[Escalation], problems: list[str], *, one: bool = False) -> int:
        pager, tracker = self.dispatcher.pager, self.dispatcher.tracker
        watched = [e for e in batch if e.is_open]
        issues: dict[str, IssueStatus] = {}
        incidents: dict[str, IncidentStatus] = {}
        keys = [e.ticket.key for e in watched if e.ticket is not None]
        paged = [e for e in watched if e.page is not None]
        if keys and not tracker.dry_run:
            try:
                found = [tracker.status(keys[0])] if one else tracker.statuses(keys)
                issues = {i.key: i for i in found}
            except IntegrationError as exc:
                problems.append(f"Jira status pull: {exc}")
        if paged and not pager.dry_run:
            try:
                if one:
                    assert paged[0].page is not None
                    found_incidents = [pager.incident(paged[0].page.incident_id)]
                else:
                    services = sorted({e.owner.team.pagerduty_service for e in paged})
                    since = min(e.created_at for e in paged) - timedelta(minutes=5)
                    found_incidents = pager.incidents(services, since=since)
                incidents = {i.incident_id: i for i in found_incidents}
            except IntegrationError as exc:
                problems.append(f"PagerDuty status pull: {exc}")
        now = self.clock.now()
        changed = 0
        for e in watched:
            incident = incidents.get(e.page.incident_id) if e.page else None
            issue = issues.get(e.ticket.key) if e.ticket else None
            plan = plan_sync(e, incident, issue, now=now, resolve_page_on_fix=self.resolve_page_on_fix)
            plan += plan_clock(_with(e, plan), now=now)
            if plan and self._apply(e.id, plan, now=now):
                changed += 1
        return changed

    def _apply(self, escalation_id: str, plan: SyncPlan, *, now: datetime) -> bool:
        try:
            self.store.apply(
                escalation_id, now=now, changes=plan.changes, owed=plan.owed, timeline=plan.events
            )
        except IntegrityError:
            # Another worker (a webhook's sync) applied the same news a moment ago: it is done.
            log.info("sync of %s: already applied by another worker", escalation_id)
            return False
        return True


def _with(e: Escalation, plan: SyncPlan) -> Escalation:
    """The escalation as the plan leaves it, for the clocks (a fix just seen stops them)."""
    if plan.changes.get("state") == State.FIXED.value:
        return replace(e, state=State.FIXED, fixed_at=plan.changes["fixed_at"])
    return e


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_pass(services: Services) -> PassSummary:
    return services.syncer.run_pass()
