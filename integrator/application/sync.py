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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from integrator.application.announce import owed_by
from integrator.application.dispatch import Dispatcher
from integrator.application.ports import Clock, EscalationStore, Pager, Tracker
from integrator.domain.escalation import IncidentStatus, IssueStatus
from integrator.domain.status import SyncPlan, Watch, plan_clock, plan_sync
from integrator.errors import AlreadyRecorded, IntegrationError

log = logging.getLogger(__name__)

PASS_LEASE = "sync-pass"  # noqa: S105 - a lease name, not a password


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
    store: EscalationStore
    dispatcher: Dispatcher
    pager: Pager
    tracker: Tracker
    clock: Clock
    resolve_page_on_fix: bool = True
    tell_customer_within: timedelta | None = None  # then the reporter is reminded the customer is not told
    lease: timedelta = timedelta(minutes=5)
    holder: str = field(default_factory=lambda: secrets.token_hex(8))

    def run_pass(self) -> PassSummary:
        """Drive due effects, pull every open escalation's news, apply it, drive again.

        The store gives a narrow `Watch` of every open escalation (one query); the pull is one
        batched read per system: the tracker searches `key in (...)` 100 keys at a time, the pager
        lists the owning services' incidents since the oldest open escalation. Only escalations
        with news are read whole, to owe and record what the news comes to.
        """
        driven = self.dispatcher.drive_due()
        now = self.clock.now()
        watched = changed = 0
        problems: list[str] = []
        skipped = not self.store.take_lease(PASS_LEASE, holder=self.holder, now=now, until=now + self.lease)
        if not skipped:
            try:
                watches = self.store.watching()
                watched = len(watches)
                changed = self._sync(watches, problems)
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
        watch = Watch.of(self.store.get(escalation_id))
        problems: list[str] = []
        changed = self._sync([watch], problems, one=True) if watch.state.is_open else 0
        for problem in problems:
            log.warning("sync of %s: %s", escalation_id, problem)
        self.dispatcher.drive(escalation_id)
        return changed > 0

    def _sync(self, watched: Sequence[Watch], problems: list[str], *, one: bool = False) -> int:
        pager, tracker = self.pager, self.tracker
        issues: dict[str, IssueStatus] = {}
        incidents: dict[str, IncidentStatus] = {}
        keys = [e.ticket.key for e in watched if e.ticket is not None]
        paged = [e for e in watched if e.page is not None]
        if keys:
            try:
                found = [tracker.status(keys[0])] if one else tracker.statuses(keys)
                issues = {i.key: i for i in found}
            except IntegrationError as exc:
                problems.append(f"Jira status pull: {exc}")
        if paged:
            try:
                if one:
                    found_incidents = [pager.incident(paged[0].page.incident_id)]  # type: ignore[union-attr]
                else:
                    services = sorted({e.pagerduty_service for e in paged})
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
            plan += plan_clock(
                e.changed(plan.changes), now=now, tell_customer_within=self.tell_customer_within
            )
            if plan and self._apply(e, plan, now=now):
                changed += 1
        return changed

    def _apply(self, watch: Watch, plan: SyncPlan, *, now: datetime) -> bool:
        escalation = self.store.get(watch.id)  # the whole of it: who is told depends on the report
        try:
            self.store.apply(
                escalation.id,
                now=now,
                changes=plan.changes,
                owed=owed_by(escalation, plan),
                timeline=plan.events,
            )
        except AlreadyRecorded:
            # Another worker (a webhook's sync) applied the same news a moment ago: it is done.
            log.info("sync of %s: already applied by another worker", escalation.id)
            return False
        return True
