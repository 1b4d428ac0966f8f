"""Runs the effects an escalation owes to the outside world, page first, each at most once.

What each kind does is in `handlers`; this module claims, runs, retries and records.

The escalation is read once per drive. Its due effects are claimed together (one transaction,
with a lease, so two workers never run one together), then run in order: page, ticket, link,
then the rest as owed; an effect whose prerequisite is not done yet waits for a later round.
An outcome that reached the outside world is committed as soon as it returns; what a dry-run
stand-in only planned is committed with the next real outcome or at the end of the drive. A
transient failure leaves the effect pending with a backoff; a permanent one marks it failed,
visibly. After a lost answer the next attempt first looks for what the lost request may have
created (PagerDuty by incident key, Jira by label, a comment or note by its text).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from integrator import logs
from integrator.application.handlers import Handlers, Outcome
from integrator.application.leases import Heartbeat
from integrator.application.planning import Planned, recording
from integrator.application.ports import Attempt, Clock, EscalationStore, Hold
from integrator.application.retrying import RetryPolicy, next_attempt_delay
from integrator.domain.escalation import Effect, EffectKind, EffectState, Escalation, Event
from integrator.errors import Rejected, Unavailable

log = logging.getLogger(__name__)

# Then the rest, in the order owed. The halt runs right after the page (the page never waits for it).
FIRST = (EffectKind.PAGE, EffectKind.HALT, EffectKind.TICKET, EffectKind.LINK)
MAX_ATTEMPTS = 100  # with backoff capped at minutes, about a day of trying before an effect is failed

# What must be delivered before an effect can run: the ticket before a comment, the page before a note.
NEEDS: dict[EffectKind, tuple[EffectKind, ...]] = {
    EffectKind.LINK: (EffectKind.PAGE, EffectKind.TICKET),
    EffectKind.COMMENT: (EffectKind.TICKET,),
    EffectKind.TRANSITION: (EffectKind.TICKET,),
    EffectKind.NOTE: (EffectKind.PAGE,),
    EffectKind.RESOLVE: (EffectKind.PAGE,),
    EffectKind.URGENCY: (EffectKind.PAGE,),
    EffectKind.TITLE: (EffectKind.PAGE,),
    EffectKind.SUMMARY: (EffectKind.TICKET,),
}
# Rewrites of one thing (the incident's title, the P1's summary): each waits for those owed before it,
# so the last one owed, which sees every deal, is the last one sent.
SERIAL = frozenset({EffectKind.TITLE, EffectKind.SUMMARY})


@dataclass
class Dispatcher:
    store: EscalationStore
    handlers: Handlers
    clock: Clock
    retry: RetryPolicy
    # Short, and renewed by a heartbeat while this worker holds it: a dead worker's effects are
    # free again (for another worker, or the next sync) within one lease.
    lease: timedelta = timedelta(seconds=20)
    heart: Heartbeat = field(init=False)

    def __post_init__(self) -> None:
        self.heart = Heartbeat(self.store, self.clock, self.lease)

    def drive(self, escalation_id: str, *, kinds: Collection[EffectKind] | None = None) -> Escalation:
        """Run every due effect of one escalation (only `kinds`, when given): page first."""
        return self._drive(self.store.get(escalation_id), kinds)[0]

    def drive_read(
        self,
        escalation: Escalation,
        *,
        kinds: Collection[EffectKind] | None = None,
        held: Sequence[Effect] = (),
    ) -> Escalation:
        """`drive`, for an escalation the caller has just read or made (it is not read again).

        `held`: effects the caller stored claimed (`hold`), run first without claiming them again.
        """
        return self._drive(escalation, kinds, held)[0]

    def page(
        self, escalation: Escalation, *, held: Sequence[Effect] = (), hold: Hold | None = None
    ) -> tuple[Escalation, list[Effect]]:
        """Run the page (`drive_read` of the page alone); the transaction that records it also
        claims what is then ready (the ticket, the link, the emails): (escalation, those claimed).

        `held` was stored claimed under `hold`. Past half the lease, the hold may lapse before the
        heartbeat's first renewal: the page is claimed afresh then (which waits out the hold, so
        it goes with a later drive or sync). The heartbeat renews the leases of what is claimed
        after the page until the drive of them ends (or `release`)."""
        if hold is not None and self.clock.now() > hold.until - self.lease / 2:
            held = ()
        escalation, _, rest = self._drive(escalation, {EffectKind.PAGE}, held, hand_over=True)
        return escalation, rest

    def release(self, effects: Sequence[Effect]) -> None:
        """Stop renewing effects claimed by `page` whose drive will not run (a lane shut down)."""
        self.heart.forget(e.id for e in effects)

    def hold(self, *kinds: EffectKind) -> Hold:
        """A claim on a new escalation's effects of `kinds`, taken as it is stored: one lease long."""
        return Hold(frozenset(kinds), self.clock.now() + self.lease)

    def drive_due(self) -> int:
        """Run every effect that is due anywhere; returns how many escalations had one run."""
        ids = self.store.due_escalations(now=self.clock.now())
        return sum(self._drive(escalation, None)[1] for escalation in self.store.load(ids))

    def _drive(
        self,
        escalation: Escalation,
        kinds: Collection[EffectKind] | None,
        taken: Sequence[Effect] = (),
        *,
        hand_over: bool = False,
    ) -> tuple[Escalation, bool, list[Effect]]:
        ran, handed = False, []
        planned: list[Attempt] = []  # recorded together: nothing outside depends on them
        while ready := self._ready(escalation, kinds):
            now = self.clock.now()
            if taken:  # claimed as they were stored, moments ago (the heartbeat renews the lease)
                claimed, taken = list(taken), ()
            else:
                claimed = self.store.claim([e.id for e in ready], now=now, lease_until=now + self.lease)
            if not claimed:
                break
            with self.heart.holding(claimed) as held:
                for effect in sorted(claimed, key=_order):
                    if not self._prerequisites_done(escalation, effect):
                        continue  # claimed beside a prerequisite that did not get done: waits its turn
                    with logs.bound(escalation=escalation.id, effect=str(effect.kind)):
                        attempt = self._attempt(escalation, effect)
                    escalation = _after(escalation, effect, attempt)
                    if _was_planned(attempt):
                        planned.append(attempt)
                    else:
                        handed = self._record([*planned, attempt], escalation, kinds, hand_over)
                        held.release([attempt.effect_id, *(a.effect_id for a in planned)])
                        planned.clear()
                    ran = True
        if planned:
            handed = self._record(planned, escalation, kinds, hand_over)
        return escalation, ran, handed

    def _record(
        self,
        attempts: list[Attempt],
        escalation: Escalation,
        kinds: Collection[EffectKind] | None,
        hand_over: bool,
    ) -> list[Effect]:
        """Record; with `hand_over`, once nothing of `kinds` is left to run, claim in the same
        transaction what is then ready, held by the heartbeat from that moment."""
        now = self.clock.now()
        if not hand_over or self._ready(escalation, kinds):
            self.store.record(attempts, now=now)
            return []
        ready = [e.id for e in self._ready(escalation, None)]
        handed = self.store.record(attempts, now=now, claim=ready, lease_until=now + self.lease)
        self.heart.hold(handed)
        return handed

    def _ready(self, escalation: Escalation, kinds: Collection[EffectKind] | None) -> list[Effect]:
        """Due pending effects (of `kinds`) whose prerequisites are done or due beside them, so that
        a page, its ticket and their link are claimed together and run in that order."""
        now = self.clock.now()
        due = [
            e
            for e in escalation.effects
            if e.state == EffectState.PENDING
            and (kinds is None or e.kind in kinds)
            and (e.next_attempt_at is None or e.next_attempt_at <= now)
        ]
        while True:
            coming = {e.kind for e in due}
            ids = {e.id for e in due}
            ready = [
                e
                for e in due
                if all(_done_or(escalation, k, coming) for k in NEEDS.get(e.kind, ()))
                and not _earlier_waiting(escalation, e, ids)
            ]
            if len(ready) == len(due):
                return ready
            due = ready

    def _prerequisites_done(self, escalation: Escalation, effect: Effect) -> bool:
        needed = [escalation.effect(k) for k in NEEDS.get(effect.kind, ())]
        done = all(e is not None and e.state == EffectState.DONE for e in needed)
        return done and not _earlier_waiting(escalation, effect, set())

    def _attempt(self, escalation: Escalation, effect: Effect) -> Attempt:
        """Run one claimed effect through its handler and the retry policy; what it came to."""
        handler = self.handlers[effect.kind]
        try:
            with recording() as planned:
                outcome = self.retry.call(
                    lambda attempt: handler(escalation, effect, effect.attempts + attempt - 1)
                )
        except Unavailable as exc:
            return self._retry_later(escalation, effect, exc)
        except Rejected as exc:
            log.error("%s failed: %s", _describe(effect), exc)
            event = self._event(f"{effect.kind}_failed", f"{_describe(effect)} failed: {exc}", effect)
            return Attempt(escalation.id, effect.id, EffectState.FAILED, error=str(exc), timeline=(event,))
        log.info("%s: %s", _describe(effect), "planned (dry-run)" if planned else "done")
        if planned:
            outcome = self._as_planned(outcome, planned, effect)
        return Attempt(
            escalation.id,
            effect.id,
            EffectState.DONE,
            result=outcome.result,
            changes=outcome.changes,
            timeline=outcome.events,
            kind=effect.kind,
        )

    def _retry_later(self, escalation: Escalation, effect: Effect, exc: Unavailable) -> Attempt:
        give_up = effect.attempts >= MAX_ATTEMPTS
        delay = next_attempt_delay(effect.attempts, at_least=exc.retry_after)
        retry_at = None if give_up else self.clock.now() + delay
        when = f"retrying at {retry_at:%Y-%m-%d %H:%M:%S} UTC" if retry_at else "gave up"
        log.warning("%s: %s — %s", _describe(effect), exc, when)
        event = self._event(f"{effect.kind}_retry", f"{_describe(effect)}: {exc} — {when}", effect)
        state = EffectState.FAILED if give_up else EffectState.PENDING
        return Attempt(
            escalation.id, effect.id, state, error=str(exc), next_attempt_at=retry_at, timeline=(event,)
        )

    def _as_planned(self, outcome: Outcome, planned: Sequence[Planned], effect: Effect) -> Outcome:
        """What a dry-run stand-in only planned: done, marked planned, nothing claimed as sent."""
        would_send = planned[0].would_send if len(planned) == 1 else [p.would_send for p in planned]
        events = tuple(
            self._event("dry_run", f"Dry-run: {p.text}; nothing was sent", effect) for p in planned
        )
        result = {"dry_run": True, "would_send": would_send}
        return Outcome(result=result, changes=outcome.if_planned, events=events)

    def _event(self, kind: str, text: str, effect: Effect) -> Event:
        data = {"effect": effect.kind.value, "target": effect.target}
        return Event(at=self.clock.now(), kind=kind, text=text, data=data)


def _after(escalation: Escalation, effect: Effect, attempt: Attempt) -> Escalation:
    """The escalation as the attempt leaves it, without reading it again."""
    result = attempt.result if attempt.result is not None else effect.result
    done = replace(
        effect,
        state=attempt.state,
        last_error=attempt.error,
        next_attempt_at=attempt.next_attempt_at,
        result=result,
    )
    effects = tuple(done if e.id == effect.id else e for e in escalation.effects)
    changed = escalation.changed(attempt.changes)
    return replace(changed, effects=effects, timeline=(*escalation.timeline, *attempt.timeline))


def _done_or(escalation: Escalation, kind: EffectKind, coming: set[EffectKind]) -> bool:
    """Whether the escalation's `kind` effect is done, or about to run (`coming`) before its dependents."""
    needed = escalation.effect(kind)
    return needed is not None and (needed.state == EffectState.DONE or kind in coming)


def _earlier_waiting(escalation: Escalation, effect: Effect, coming: set[int]) -> bool:
    """Whether a rewrite owed before this one (of the same kind, see `SERIAL`) is still pending and
    not about to run before it (`coming`: effect ids claimed beside it, which run in id order)."""
    return effect.kind in SERIAL and any(
        e.kind == effect.kind and e.id < effect.id and e.state == EffectState.PENDING and e.id not in coming
        for e in escalation.effects
    )


def _was_planned(attempt: Attempt) -> bool:
    return attempt.state == EffectState.DONE and bool(attempt.result and attempt.result.get("dry_run"))


def _order(effect: Effect) -> tuple[int, int]:
    return (FIRST.index(effect.kind) if effect.kind in FIRST else len(FIRST), effect.id)


def _describe(effect: Effect) -> str:
    return f"{effect.kind} {effect.target}".strip() if effect.target else str(effect.kind)
