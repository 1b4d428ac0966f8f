"""Runs the effects an escalation owes to the outside world, page first, each at most once.

An effect is claimed with a lease before it runs, so two workers never run it together; its
outcome is committed as soon as it returns. A transient failure leaves it pending with a backoff;
a permanent one marks it failed, visibly. After a lost answer the next attempt first looks for
what the lost request may have created (PagerDuty by incident key, Jira by label, a comment or
note by its text), so nothing is sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from integrator import logs
from integrator.application.ports import ChatPoster, Clock, Mailer, Pager, Tracker
from integrator.application.retrying import RetryPolicy, next_attempt_delay
from integrator.domain.escalation import Effect, EffectKind, EffectState, Escalation, Event, Message
from integrator.errors import Rejected, Unavailable
from integrator.messages import notify
from integrator.store.escalations import Store

log = logging.getLogger(__name__)

FIRST = (EffectKind.PAGE, EffectKind.TICKET, EffectKind.LINK)  # then the rest, in the order owed
MAX_ATTEMPTS = 100  # with backoff capped at minutes, about a day of trying before an effect is failed

# Effects whose outcome changes the escalation that later effects read (the page, the ticket).
CHANGES_ESCALATION = frozenset(
    {EffectKind.PAGE, EffectKind.TICKET, EffectKind.TRANSITION, EffectKind.RESOLVE}
)

# What must be delivered before an effect can run: the ticket before a comment, the page before a note.
NEEDS: dict[EffectKind, tuple[EffectKind, ...]] = {
    EffectKind.LINK: (EffectKind.PAGE, EffectKind.TICKET),
    EffectKind.COMMENT: (EffectKind.TICKET,),
    EffectKind.TRANSITION: (EffectKind.TICKET,),
    EffectKind.NOTE: (EffectKind.PAGE,),
    EffectKind.RESOLVE: (EffectKind.PAGE,),
    EffectKind.URGENCY: (EffectKind.PAGE,),
}


@dataclass(frozen=True)
class Outcome:
    """What one effect's attempt produced: its result, the escalation's new fields, the timeline."""

    result: dict[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


Handler = Callable[[Escalation, Effect, int], Outcome]


@dataclass
class Dispatcher:
    store: Store
    pager: Pager
    tracker: Tracker
    clock: Clock
    retry: RetryPolicy
    mailer: Mailer | None = None  # None: email in dry-run
    chat: ChatPoster | None = None  # None: chat in dry-run
    lease: timedelta = timedelta(minutes=2)

    def drive(self, escalation_id: str, *, kinds: Collection[EffectKind] | None = None) -> Escalation:
        """Run every due effect of one escalation: page, ticket and link first, then the rest."""
        return self._drive(escalation_id, kinds)[0]

    def drive_due(self) -> int:
        """Run every effect that is due anywhere; returns how many escalations had one run."""
        ids = self.store.due_escalations(now=self.clock.now())
        return sum(self._drive(escalation_id, None)[1] for escalation_id in ids)

    def _drive(self, escalation_id: str, kinds: Collection[EffectKind] | None) -> tuple[Escalation, bool]:
        escalation = self.store.get(escalation_id)
        ran = False
        for effect_id in _in_order(escalation.effects):
            effect = next(e for e in escalation.effects if e.id == effect_id)
            if kinds is not None and effect.kind not in kinds:
                continue
            ready = effect.state == EffectState.PENDING and self._ready(escalation, effect.kind)
            with logs.bound(escalation=escalation_id, effect=str(effect.kind)):
                ran_now = ready and self._run(escalation, effect.id)
            if ran_now:
                ran = True
                if effect.kind in CHANGES_ESCALATION:  # later effects need the page or ticket it made
                    escalation = self.store.get(escalation_id)
        if ran:
            escalation = self.store.get(escalation_id)
        return escalation, ran

    def _ready(self, escalation: Escalation, kind: EffectKind) -> bool:
        needed = [escalation.effect(k) for k in NEEDS.get(kind, ())]
        return all(e is not None and e.state == EffectState.DONE for e in needed)

    def _run(self, escalation: Escalation, effect_id: int) -> bool:
        now = self.clock.now()
        effect = self.store.claim(effect_id, now=now, lease_until=now + self.lease)
        if effect is None:
            return False
        handler = self._handler(effect.kind)
        what = _describe(effect)
        try:
            outcome = self.retry.call(
                lambda attempt: handler(escalation, effect, effect.attempts + attempt - 1)
            )
        except Unavailable as exc:
            give_up = effect.attempts >= MAX_ATTEMPTS
            retry_at = (
                None
                if give_up
                else self.clock.now() + next_attempt_delay(effect.attempts, at_least=exc.retry_after)
            )
            when = f"retrying at {retry_at:%Y-%m-%d %H:%M:%S} UTC" if retry_at else "gave up"
            log.warning("%s: %s — %s", what, exc, when)
            self.store.finish(
                effect.id,
                now=self.clock.now(),
                state=EffectState.FAILED if give_up else EffectState.PENDING,
                error=str(exc),
                next_attempt_at=retry_at,
                timeline=[self._event(f"{effect.kind}_retry", f"{what}: {exc} — {when}", effect)],
            )
        except Rejected as exc:
            log.error("%s failed: %s", what, exc)
            self.store.finish(
                effect.id,
                now=self.clock.now(),
                state=EffectState.FAILED,
                error=str(exc),
                timeline=[self._event(f"{effect.kind}_failed", f"{what} failed: {exc}", effect)],
            )
        else:
            log.info("%s: done", what)
            self.store.finish(
                effect.id,
                now=self.clock.now(),
                state=EffectState.DONE,
                result=outcome.result,
                escalation_changes=outcome.changes,
                timeline=outcome.events,
            )
        return True

    def _event(self, kind: str, text: str, effect: Effect) -> Event:
        return Event(
            at=self.clock.now(),
            kind=kind,
            text=text,
            data={"effect": effect.kind.value, "target": effect.target},
        )

    def _handler(self, kind: EffectKind) -> Handler:
        handlers: dict[EffectKind, Handler] = {
            EffectKind.PAGE: self._page,
            EffectKind.TICKET: self._ticket,
            EffectKind.LINK: self._link,
            EffectKind.COMMENT: self._comment,
            EffectKind.TRANSITION: self._transition,
            EffectKind.NOTE: self._note,
            EffectKind.RESOLVE: self._resolve,
            EffectKind.URGENCY: self._urgency,
            EffectKind.EMAIL: self._email,
            EffectKind.CHAT: self._chat,
        }
        return handlers[kind]

    def _dry_run(self, escalation: Escalation, effect: Effect, would_send: Any, text: str) -> Outcome:
        event = Event(
            at=self.clock.now(),
            kind="dry_run",
            text=f"Dry-run: {text}; nothing was sent",
            data={"effect": effect.kind.value, "target": effect.target},
        )
        return Outcome(result={"dry_run": True, "would_send": would_send}, events=(event,))

    # -- the page, the ticket and their cross-link ------------------------------------------------

    def _page(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        if self.pager.dry_run:
            text = f"would page {escalation.owner.engineer} on PagerDuty service "
            text += escalation.owner.team.pagerduty_service
            dry = self._dry_run(escalation, effect, self.pager.plan(escalation), text)
            return Outcome(dry.result, {"pd_state": "dry-run"}, dry.events)
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

    def _ticket(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        if self.tracker.dry_run:
            text = f"would file a P1 in Jira project {escalation.owner.team.jira_project}, "
            text += f"due {escalation.fix_due:%Y-%m-%d}"
            dry = self._dry_run(escalation, effect, self.tracker.plan(escalation), text)
            return Outcome(dry.result, {"jira_state": "dry-run"}, dry.events)
        ticket = (self.tracker.find(escalation) if attempt > 1 else None) or self.tracker.file(escalation)
        text = f"Filed P1 {ticket.key}, fix due {escalation.fix_due:%Y-%m-%d %H:%M} UTC"
        return Outcome(
            result={"key": ticket.key, "url": ticket.url},
            changes={"jira_key": ticket.key, "jira_url": ticket.url, "jira_state": "new"},
            events=(Event(at=self.clock.now(), kind="ticket_filed", text=text, data={"key": ticket.key}),),
        )

    def _link(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        page, ticket = escalation.page, escalation.ticket
        if page is None or ticket is None:  # a dry-run on either side: nothing to link
            return Outcome(result={"dry_run": True})
        # The remote link is idempotent (keyed by URL); the note is not, so it is looked for first.
        self.tracker.link(ticket.key, url=page.url or "", title=f"PagerDuty incident {page.incident_id}")
        note = f"Jira P1: {ticket.key} {ticket.url}"
        if not (attempt > 1 and self.pager.has_note(page.incident_id, note)):
            self.pager.add_note(page.incident_id, note)
        text = f"Cross-linked Jira {ticket.key} and PagerDuty incident {page.incident_id}"
        return Outcome(
            result={"key": ticket.key, "incident_id": page.incident_id},
            events=(Event(at=self.clock.now(), kind="linked", text=text, data={}),),
        )

    # -- what the status sync and the clocks owe ---------------------------------------------------

    def _comment(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        text = str(effect.payload["text"])
        if self.tracker.dry_run or escalation.ticket is None:
            return self._dry_run(escalation, effect, {"comment": text}, "would comment on the Jira P1")
        key = escalation.ticket.key
        if not (attempt > 1 and self.tracker.has_comment(key, text)):
            self.tracker.comment(key, text)
        return Outcome(result={"key": key})

    def _note(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        text = str(effect.payload["text"])
        if self.pager.dry_run or escalation.page is None:
            return self._dry_run(
                escalation, effect, {"note": text}, "would add a note to the PagerDuty incident"
            )
        incident = escalation.page.incident_id
        if not (attempt > 1 and self.pager.has_note(incident, text)):
            self.pager.add_note(incident, text)
        return Outcome(result={"incident_id": incident})

    def _transition(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        category = str(effect.payload["category"])
        if self.tracker.dry_run or escalation.ticket is None:
            return self._dry_run(escalation, effect, {"category": category}, "would move the Jira P1")
        status = self.tracker.transition_to(escalation.ticket.key, category)
        text = f"Moved Jira {status.key} to {status.status}"
        return Outcome(
            result={"key": status.key, "status": status.status},
            # Recorded as known, so the next status pull does not echo our own change back.
            changes={"jira_state": status.category, "jira_status": status.status},
            events=(
                Event(at=self.clock.now(), kind="jira_moved", text=text, data={"status": status.status}),
            ),
        )

    def _resolve(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        if self.pager.dry_run or escalation.page is None:
            return self._dry_run(escalation, effect, {"status": "resolved"}, "would resolve the incident")
        self.pager.resolve(escalation.page.incident_id)
        text = f"Resolved PagerDuty incident {escalation.page.incident_id}: the Jira P1 is done"
        return Outcome(
            result={"incident_id": escalation.page.incident_id},
            changes={"pd_state": "resolved"},
            events=(Event(at=self.clock.now(), kind="page_resolved_by_us", text=text, data={}),),
        )

    def _urgency(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        if self.pager.dry_run or escalation.page is None:
            return self._dry_run(
                escalation, effect, {"urgency": "high"}, "would raise the incident's urgency"
            )
        self.pager.raise_urgency(escalation.page.incident_id)
        return Outcome(result={"incident_id": escalation.page.incident_id, "urgency": "high"})

    def _email(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        p = effect.payload
        if "body" in p:  # written by a person (the customer update): sent as they wrote it
            message = Message(to=str(p["to"]), subject=str(p["subject"]), body=str(p["body"]))
        else:
            message = notify.compose(escalation, topic=str(p["topic"]), role=str(p["role"]), to=str(p["to"]))
        if self.mailer is None or self.mailer.dry_run:
            sent = {"to": message.to, "subject": message.subject}
            return self._dry_run(escalation, effect, sent, f"would email {message.to}")
        # A lost SMTP reply can mean a second copy; mail servers give no way to ask, so we accept it.
        self.mailer.send(message)
        return Outcome(result={"to": message.to, "subject": message.subject})

    def _chat(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        webhook = escalation.owner.team.chat_webhook
        text = notify.chat_text(escalation, str(effect.payload["topic"]))
        if self.chat is None or self.chat.dry_run or not webhook:
            return self._dry_run(escalation, effect, {"text": text}, "would post to the team's chat")
        self.chat.post(webhook, text)
        return Outcome(result={"posted": True})


def _in_order(effects: Collection[Effect]) -> list[int]:
    first = [e.id for kind in FIRST for e in effects if e.kind == kind]
    return first + [e.id for e in sorted(effects, key=lambda e: e.id) if e.kind not in FIRST]


def _describe(effect: Effect) -> str:
    return f"{effect.kind} {effect.target}".strip() if effect.target else str(effect.kind)
