"""Runs the effects an escalation owes to the outside world, page first, each at most once.

What each kind does is in `handlers`; this module claims, runs, retries and records.

An effect is claimed with a lease before it runs, so two workers never run it together; its
outcome is committed as soon as it returns. A transient failure leaves it pending with a backoff;
a permanent one marks it failed, visibly. After a lost answer the next attempt first looks for
what the lost request may have created (PagerDuty by incident key, Jira by label, a comment or
note by its text), so nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from integrator.application.handlers import Handlers, Outcome
from integrator.application.planning import Planned, recording
from integrator.application.ports import Clock, EscalationStore
from integrator.application.retrying import RetryPolicy, next_attempt_delay
from integrator.domain.escalation import Effect, EffectKind, EffectState, Escalation, Event
from integrator.errors import Rejected, Unavailable

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


@dataclass
class Dispatcher:
    store: EscalationStore
    handlers: Handlers
    clock: Clock
    retry: RetryPolicy
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
            if ready and self._run(escalation, effect.id):
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
        handler = self.handlers[effect.kind]
        try:
            with recording() as planned:
                outcome = self.retry.call(
                    lambda attempt: handler(escalation, effect, effect.attempts + attempt - 1)
                )
        except Unavailable as exc:
            self._retry_later(effect, exc)
        except Rejected as exc:
            event = self._event(f"{effect.kind}_failed", f"{_describe(effect)} failed: {exc}", effect)
            self._finish(effect, EffectState.FAILED, error=str(exc), timeline=[event])
        else:
            if planned:
                outcome = self._as_planned(outcome, planned, effect)
            self._finish(
                effect,
                EffectState.DONE,
                result=outcome.result,
                changes=outcome.changes,
                timeline=outcome.events,
            )
        return True

    def _retry_later(self, effect: Effect, exc: Unavailable) -> None:
        give_up = effect.attempts >= MAX_ATTEMPTS
        retry_at = (
            None
            if give_up
            else self.clock.now() + next_attempt_delay(effect.attempts, at_least=exc.retry_after)
        )
        when = f"retrying at {retry_at:%Y-%m-%d %H:%M:%S} UTC" if retry_at else "gave up"
        event = self._event(f"{effect.kind}_retry", f"{_describe(effect)}: {exc} — {when}", effect)
        state = EffectState.FAILED if give_up else EffectState.PENDING
        self._finish(effect, state, error=str(exc), next_attempt_at=retry_at, timeline=[event])

    def _finish(self, effect: Effect, state: EffectState, **recorded: Any) -> None:
        self.store.finish(effect.id, now=self.clock.now(), state=state, **recorded)

    def _as_planned(self, outcome: Outcome, planned: Sequence[Planned], effect: Effect) -> Outcome:
        """What a dry-run stand-in only planned: done, marked planned, nothing claimed as sent."""
        would_send = planned[0].would_send if len(planned) == 1 else [p.would_send for p in planned]
        events = tuple(
            self._event("dry_run", f"Dry-run: {p.text}; nothing was sent", effect) for p in planned
        )
        return Outcome(
            result={"dry_run": True, "would_send": would_send}, changes=outcome.if_planned, events=events
        )

    def _event(self, kind: str, text: str, effect: Effect) -> Event:
        return Event(
            at=self.clock.now(),
            kind=kind,
            text=text,
            data={"effect": effect.kind.value, "target": effect.target},
        )


def _in_order(effects: Collection[Effect]) -> list[int]:
    first = [e.id for kind in FIRST for e in effects if e.kind == kind]
    return first + [e.id for e in sorted(effects, key=lambda e: e.id) if e.kind not in FIRST]


def _describe(effect: Effect) -> str:
    return f"{effect.kind} {effect.target}".strip() if effect.target else str(effect.kind)
