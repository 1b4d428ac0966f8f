"""What each kind of effect does: one small function a kind, over the outbound ports.

A handler turns an escalation and one of its effects into calls on a port and an `Outcome`: the
effect's result, what changed in the escalation, and the timeline. Handlers never ask whether they
run dry: bootstrap hands them stand-ins that record instead of sending (see `planning`), and
`Outcome.if_planned` says what the effect changes when it was only planned. After a lost answer
(`attempt > 1`) a handler first looks for what the lost request may have created, so nothing is
sent twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from integrator.application.ports import ChatPoster, HaltHook, Mailer, Pager, Tracker
from integrator.domain.escalation import Changes, Effect, EffectKind, Escalation, Event, Message, State
from integrator.domain.halt import HookCall
from integrator.messages.chat import chat_text
from integrator.messages.email import compose
from integrator.messages.facts import shared_title


@dataclass(frozen=True)
class Outcome:
    """What one effect's attempt produced: its result, the escalation's new fields, the timeline."""

    result: dict[str, Any]
    changes: Changes = field(default_factory=Changes)
    events: tuple[Event, ...] = ()
    if_planned: Changes = field(default_factory=Changes)  # what it changes when only planned (dry-run)


Handler = Callable[[Escalation, Effect, int], Outcome]


@dataclass
class Handlers:
    """The handler of every effect kind, over the ports bootstrap picked."""

    pager: Pager
    tracker: Tracker
    mailer: Mailer
    chat: ChatPoster
    now: Callable[[], datetime]
    halt_hook: HaltHook
    table: dict[EffectKind, Handler] = field(init=False)

    def __post_init__(self) -> None:
        self.table = {
            EffectKind.PAGE: self.page,
            EffectKind.TICKET: self.ticket,
            EffectKind.LINK: self.link,
            EffectKind.COMMENT: self.comment,
            EffectKind.TRANSITION: self.transition,
            EffectKind.NOTE: self.note,
            EffectKind.RESOLVE: self.resolve,
            EffectKind.URGENCY: self.urgency,
            EffectKind.TITLE: self.title,
            EffectKind.SUMMARY: self.summary,
            EffectKind.EMAIL: self.email,
            EffectKind.CHAT: self.post,
            EffectKind.HALT: self.environment_hook,
            EffectKind.RESUME: self.environment_hook,
        }

    def __getitem__(self, kind: EffectKind) -> Handler:
        return self.table[kind]

    def _event(self, kind: str, text: str, **data: Any) -> tuple[Event, ...]:
        return (Event(at=self.now(), kind=kind, text=text, data=data),)

    # -- the page, the ticket and their cross-link ------------------------------------------------

    def page(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        page = (self.pager.find(escalation) if attempt > 1 else None) or self.pager.page(escalation)
        who = f"{escalation.owner.engineer} directly" if page.assignee else "the service's escalation policy"
        text = f"Paged {who} (PagerDuty incident {page.incident_id})"
        if page.note:
            text += f": {page.note}"
        return Outcome(
            result={
                "incident_id": page.incident_id,
                "url": page.url,
                "assignee": page.assignee,
                "at": self.now().isoformat(),  # when the engineer was told (the disclosure shows it)
            },
            changes=Changes(page=page, pagerduty_state="triggered", state=State.PAGED),
            events=self._event("paged", text, incident_id=page.incident_id),
            if_planned=Changes(pagerduty_state="dry-run"),
        )

    def ticket(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        ticket = (self.tracker.find(escalation) if attempt > 1 else None) or self.tracker.file(escalation)
        text = f"Filed P1 {ticket.key}, fix due {escalation.fix_due:%Y-%m-%d %H:%M} UTC"
        return Outcome(
            result={"key": ticket.key, "url": ticket.url},
            changes=Changes(ticket=ticket, jira_state="new"),
            events=self._event("ticket_filed", text, key=ticket.key),
            if_planned=Changes(jira_state="dry-run"),
        )

    def link(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        incident, key = escalation.incident_id, escalation.ticket_key
        url = escalation.page.url if escalation.page else None
        # The remote link is idempotent (keyed by URL); the note is not, so it is looked for first.
        self.tracker.link(key, url=url or "", title=f"PagerDuty incident {incident}")
        ticket_url = escalation.ticket.url if escalation.ticket else ""
        note = f"Jira P1: {key} {ticket_url}"
        if not (attempt > 1 and self.pager.has_note(incident, note)):
            self.pager.add_note(incident, note)
        text = f"Cross-linked Jira {key} and PagerDuty incident {incident}"
        return Outcome(result={"key": key, "incident_id": incident}, events=self._event("linked", text))

    # -- what the status sync and the clocks owe ---------------------------------------------------

    def comment(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        text, key = str(effect.payload["text"]), escalation.ticket_key
        if not (attempt > 1 and self.tracker.has_comment(key, text)):
            self.tracker.comment(key, text)
        if label := effect.payload.get("label"):  # a linked deal's: the P1 is found by its deals too
            self.tracker.add_label(key, str(label))
        return Outcome(result={"key": key})

    def note(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        text, incident = str(effect.payload["text"]), escalation.incident_id
        if not (attempt > 1 and self.pager.has_note(incident, text)):
            self.pager.add_note(incident, text)
        return Outcome(result={"incident_id": incident})

    def transition(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        status = self.tracker.transition_to(escalation.ticket_key, str(effect.payload["category"]))
        result = {"status": status.status}
        return Outcome(
            result={"key": status.key, **result},
            # Recorded as known, so the next status pull does not echo our own change back.
            changes=Changes(jira_state=status.category, jira_status=status.status),
            events=self._event(
                "jira_moved", f"Moved Jira {status.key} to {status.status}", status=status.status
            ),
        )

    def resolve(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        incident = escalation.incident_id
        self.pager.resolve(incident)
        text = f"Resolved PagerDuty incident {incident}: the Jira P1 is done"
        return Outcome(
            result={"incident_id": incident},
            changes=Changes(pagerduty_state="resolved"),
            events=self._event("page_resolved_by_us", text),
        )

    def urgency(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        self.pager.raise_urgency(escalation.incident_id)
        return Outcome(result={"incident_id": escalation.incident_id, "urgency": "high"})

    def title(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        # The title as the deals stand when it is sent: a later link or unlink owes its own rewrite.
        title = shared_title(escalation)
        self.pager.set_title(escalation.incident_id, title)
        return Outcome(result={"incident_id": escalation.incident_id, "title": title})

    def summary(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        summary, label = shared_title(escalation), effect.payload.get("label")
        self.tracker.set_summary(escalation.ticket_key, summary, label=str(label) if label else None)
        return Outcome(result={"key": escalation.ticket_key, "summary": summary})

    def email(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        p = effect.payload
        if "body" in p:  # written by a person (the customer update): sent as they wrote it
            message = Message(to=str(p["to"]), subject=str(p["subject"]), body=str(p["body"]))
        else:
            seen = escalation.for_deal(int(p.get("deal", 1)))  # a linked deal's people: their own deal
            topic, role = str(p["topic"]), str(p["role"])
            message = compose(seen, topic=topic, role=role, to=str(p["to"]), now=self.now())
        # A lost SMTP reply can mean a second copy; mail servers give no way to ask, so we accept it.
        self.mailer.send(message)
        return Outcome(result={"to": message.to, "subject": message.subject, "at": self.now().isoformat()})

    def post(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        # Owed only for a team with a chat webhook (see `tell`).
        self.chat.post(
            escalation.owner.team.chat_webhook or "", chat_text(escalation, str(effect.payload["topic"]))
        )
        return Outcome(result={"posted": True})

    def environment_hook(self, escalation: Escalation, effect: Effect, attempt: int) -> Outcome:
        # The same signed request (same webhook-id) on every attempt: the receiver deduplicates.
        call = HookCall.from_payload(effect.payload)
        self.halt_hook.send(call)
        at = self.now()
        action, environment = str(call.body["action"]), str(call.body["environment"])
        text = f"{action.capitalize()} sent to test environment {environment}: confirmed by its hook"
        return Outcome(
            result={"at": at.isoformat(), "webhook_id": call.webhook_id, "environment": environment},
            events=self._event(f"{action}_sent", f"{text} (webhook-id {call.webhook_id})"),
        )
