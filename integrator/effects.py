"""Runs the effects an escalation owes to the outside world, page first, each at most once.

An effect is claimed with a lease before it runs, so two workers never run it together; its
outcome is committed as soon as it returns. A transient failure leaves it pending with a backoff;
a permanent one marks it failed, visibly. After a lost answer the next attempt first looks for
what the lost request may have created (PagerDuty by incident key, Jira by label).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from integrator.errors import Rejected, Unavailable
from integrator.model import EffectKind, EffectState, Escalation, Event
from integrator.ports import Clock, Pager, Tracker
from integrator.retrying import RetryPolicy, next_attempt_delay
from integrator.store import Store

ORDER = (EffectKind.PAGE, EffectKind.TICKET, EffectKind.LINK, EffectKind.NOTIFY)
MAX_ATTEMPTS = 100  # with backoff capped at minutes, about a day of trying before an effect is failed


@dataclass(frozen=True)
class Outcome:
    """What one effect's attempt produced: its result, the escalation's new fields, the timeline."""

    result: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


Handler = Callable[[Escalation, int], Outcome]


@dataclass
class Dispatcher:
    store: Store
    pager: Pager
    tracker: Tracker
    clock: Clock
    retry: RetryPolicy
    lease: timedelta = timedelta(minutes=2)
    extra_handlers: dict[EffectKind, Handler] = field(default_factory=dict)

    def drive(self, escalation_id: str, *, kinds: Collection[EffectKind] = ORDER) -> Escalation:
        """Run every due effect of one escalation, in order: page, ticket, link, notify."""
        escalation = self.store.get(escalation_id)
        for kind in ORDER:
            if kind not in kinds:
                continue
            for effect in [e for e in escalation.effects if e.kind == kind]:
                if effect.state == EffectState.PENDING and self._ready(escalation, kind):
                    self._run(escalation, effect.id)
                    escalation = self.store.get(escalation_id)
        return escalation

    def drive_due(self) -> int:
        """Run every effect that is due anywhere; returns how many escalations were driven."""
        ids = dict.fromkeys(
            escalation_id for escalation_id, _ in self.store.due_effects(now=self.clock.now())
        )
        for escalation_id in ids:
            self.drive(escalation_id)
        return len(ids)

    def _ready(self, escalation: Escalation, kind: EffectKind) -> bool:
        if kind != EffectKind.LINK:
            return True
        needed = (escalation.effect(EffectKind.PAGE), escalation.effect(EffectKind.TICKET))
        return all(e is not None and e.state == EffectState.DONE for e in needed)

    def _run(self, escalation: Escalation, effect_id: int) -> None:
        now = self.clock.now()
        effect = self.store.claim(effect_id, now=now, lease_until=now + self.lease)
        if effect is None:
            return
        handler = self._handler(effect.kind)
        try:
            outcome = self.retry.call(lambda attempt: handler(escalation, effect.attempts + attempt - 1))
        except Unavailable as exc:
            state = EffectState.FAILED if effect.attempts >= MAX_ATTEMPTS else EffectState.PENDING
            retry_at = (
                None
                if state == EffectState.FAILED
                else self.clock.now() + next_attempt_delay(effect.attempts)
            )
            when = f"retrying at {retry_at:%Y-%m-%d %H:%M:%S} UTC" if retry_at else "gave up"
            self.store.finish(
                effect.id,
                now=self.clock.now(),
                state=state,
                error=str(exc),
                next_attempt_at=retry_at,
                timeline=[self._event(f"{effect.kind}_retry", f"{effect.kind}: {exc} — {when}", effect.kind)],
            )
        except Rejected as exc:
            self.store.finish(
                effect.id,
                now=self.clock.now(),
                state=EffectState.FAILED,
                error=str(exc),
                timeline=[self._event(f"{effect.kind}_failed", f"{effect.kind} failed: {exc}", effect.kind)],
            )
        else:
            self.store.finish(
                effect.id,
                now=self.clock.now(),
                state=EffectState.DONE,
                result=outcome.result,
                escalation_changes=outcome.changes,
                timeline=outcome.events,
            )

    def _event(self, kind: str, text: str, effect: EffectKind) -> Event:
        return Event(at=self.clock.now(), kind=kind, text=text, data={"effect": effect.value})

    def _handler(self, kind: EffectKind) -> Handler:
        builtin: dict[EffectKind, Handler] = {
            EffectKind.PAGE: self._page,
            EffectKind.TICKET: self._ticket,
            EffectKind.LINK: self._link,
        }
        return {**builtin, **self.extra_handlers}[kind]

    def _page(self, escalation: Escalation, attempt: int) -> Outcome:
        if self.pager.dry_run:
            plan = self.pager.plan(escalation)
            text = f"Dry-run: would page {escalation.owner.engineer} on PagerDuty service "
            text += f"{escalation.owner.team.pagerduty_service}; nothing was sent"
            return Outcome(
                result={"dry_run": True, "would_send": plan},
                changes={"pd_state": "dry-run"},
                events=(Event(at=self.clock.now(), kind="dry_run", text=text, data={"effect": "page"}),),
            )
        page = (self.pager.find(escalation) if attempt > 1 else None) or self.pager.page(escalation)
        who = f"{escalation.owner.engineer} directly" if page.assignee else "the service's escalation policy"
        text = f"Paged {who} (PagerDuty incident {page.incident_id})"
        if page.note:
            text += f": {page.note}"
        return Outcome(
            result={"incident_id": page.incident_id, "url": page.url, "assignee": page.assignee},
            changes={
                "pd_incident_id": page.incident_id,
                "pd_url": page.url,
                "pd_assignee": page.assignee,
                "pd_note": page.note,
                "pd_state": "triggered",
                "state": "paged",
            },
            events=(
                Event(at=self.clock.now(), kind="paged", text=text, data={"incident_id": page.incident_id}),
            ),
        )

    def _ticket(self, escalation: Escalation, attempt: int) -> Outcome:
        if self.tracker.dry_run:
            fields = self.tracker.plan(escalation)
            text = f"Dry-run: would file a P1 in Jira project {escalation.owner.team.jira_project}, "
            text += f"due {escalation.fix_due:%Y-%m-%d}; nothing was sent"
            return Outcome(
                result={"dry_run": True, "would_send": fields},
                changes={"jira_state": "dry-run"},
                events=(Event(at=self.clock.now(), kind="dry_run", text=text, data={"effect": "ticket"}),),
            )
        ticket = (self.tracker.find(escalation) if attempt > 1 else None) or self.tracker.file(escalation)
        text = f"Filed P1 {ticket.key}, fix due {escalation.fix_due:%Y-%m-%d %H:%M} UTC"
        return Outcome(
            result={"key": ticket.key, "url": ticket.url},
            changes={"jira_key": ticket.key, "jira_url": ticket.url, "jira_state": "open"},
            events=(Event(at=self.clock.now(), kind="ticket_filed", text=text, data={"key": ticket.key}),),
        )

    def _link(self, escalation: Escalation, attempt: int) -> Outcome:
        page, ticket = escalation.page, escalation.ticket
        if page is None or ticket is None:  # a dry-run on either side: nothing to link
            return Outcome(result={"dry_run": True})
        # The remote link is idempotent (keyed by URL); the note is not, so it goes last.
        self.tracker.link(ticket.key, url=page.url or "", title=f"PagerDuty incident {page.incident_id}")
        self.pager.add_note(page.incident_id, f"Jira P1: {ticket.key} {ticket.url}")
        text = f"Cross-linked Jira {ticket.key} and PagerDuty incident {page.incident_id}"
        return Outcome(
            result={"key": ticket.key, "incident_id": page.incident_id},
            events=(Event(at=self.clock.now(), kind="linked", text=text, data={}),),
        )
