"""Escalations in memory, behind the same port as the SQL store: for tests and one-off runs.

It keeps the SQL store's promises (one contract suite runs against both): every method is atomic
(one lock), an effect is owed once per (kind, target), a claim is a lease, a repeated idempotency
key gives back the first escalation. Nothing survives the process.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from integrator.application.ports import PRUNE_BATCH, REPLAY_WINDOW, Attempt, Hold, Linker
from integrator.application.records import StoreCounts
from integrator.domain.deals import EscalatedDeal
from integrator.domain.escalation import (
    Changes,
    Effect,
    EffectState,
    Escalation,
    Event,
    Owed,
    State,
    status_page_url,
)
from integrator.domain.insights import InsightFacts, InsightsQuery
from integrator.domain.status import Watch
from integrator.errors import NotFound
from integrator.store.memory_insights import count_insights
from integrator.store.memory_records import MemoryAccountStore


@dataclass
class _Lease:
    holder: str
    until: datetime


@dataclass
class MemoryStore:
    public_url: str
    _escalations: dict[str, Escalation] = field(default_factory=dict)
    _leased: dict[int, datetime] = field(default_factory=dict)  # effect id -> lease end
    _owner_of: dict[int, str] = field(default_factory=dict)  # effect id -> escalation id
    _leases: dict[str, _Lease] = field(default_factory=dict)
    _deliveries: dict[str, datetime] = field(default_factory=dict)  # id -> received at
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _next_effect: int = 1
    accounts: MemoryAccountStore = field(default_factory=MemoryAccountStore)
    _recorded_at: dict[int, datetime] = field(default_factory=dict)  # effect id -> last recorded (updated_at)

    # -- writing ---------------------------------------------------------------------------------

    def add(
        self,
        escalation: Escalation,
        *,
        owed: Sequence[Owed],
        event: Event,
        link: Linker | None = None,
        hold: Hold | None = None,
    ) -> tuple[Escalation, bool]:
        with self._lock:
            key = escalation.report.idempotency_key
            if key and (first := self.find_by_key(key)):
                return first, False
            if link is not None and escalation.fingerprint is not None:
                same = self.open_with_fingerprint(escalation.fingerprint.id)
                if same:
                    oldest = min(same, key=lambda e: (e.created_at, e.id))  # as the SQL store picks
                    return self._link(oldest, escalation, link), True
            self._escalations[escalation.id] = replace(escalation, effects=(), timeline=(event,))
            self._owe(escalation.id, owed, hold=hold)
            self.accounts.remember(
                escalation.report.deal, escalation_id=escalation.id, at=escalation.created_at
            )
            return self.get(escalation.id), True

    def _link(self, same: Escalation, escalation: Escalation, link: Linker) -> Escalation:
        """Add the report as `same`'s next deal, with what linking it owes (each effect once, ever)."""
        deal = EscalatedDeal(same.next_deal_number(), escalation.report, escalation.created_at)
        self._escalations[same.id] = replace(same, linked_deals=(*same.linked_deals, deal))
        owed, timeline = link(same, deal)
        have = {(f.kind, f.target) for f in same.effects}
        self._owe(same.id, {(o.kind, o.target): o for o in owed if (o.kind, o.target) not in have}.values())
        self._change(same.id, None, timeline)
        self.accounts.remember(escalation.report.deal, escalation_id=same.id, at=escalation.created_at)
        return self.get(same.id)

    def unlink(
        self,
        escalation_id: str,
        number: int,
        *,
        new: Escalation,
        owed: Sequence[Owed],
        events: Sequence[Event],
        left_owing: Sequence[Owed] = (),
    ) -> Escalation:
        with self._lock:
            e = self.get(escalation_id)
            kept = tuple(d for d in e.linked_deals if d.number != number)
            if len(kept) == len(e.linked_deals):
                raise NotFound(f"escalation {escalation_id!r} has no linked deal {number}")
            self._escalations[escalation_id] = replace(e, linked_deals=kept)
            self._change(escalation_id, None, events)
            have = {(f.kind, f.target) for f in e.effects}
            self._owe(escalation_id, [o for o in left_owing if (o.kind, o.target) not in have])
            self._escalations[new.id] = replace(new, effects=(), linked_deals=())
            self._owe(new.id, owed)
            return self.get(new.id)

    def apply(
        self,
        escalation_id: str,
        *,
        now: datetime,
        changes: Changes | None = None,
        owed: Iterable[Owed] = (),
        timeline: Sequence[Event] = (),
        only_if_new: bool = False,
    ) -> list[Owed]:
        with self._lock:
            e = self.get(escalation_id)
            have = {(f.kind, f.target) for f in e.effects}
            new = list({(o.kind, o.target): o for o in owed if (o.kind, o.target) not in have}.values())
            if only_if_new and not new:
                return new
            self._owe(escalation_id, new)
            self._change(escalation_id, changes, timeline)
            return new

    def claim(self, effect_ids: Sequence[int], *, now: datetime, lease_until: datetime) -> list[Effect]:
        with self._lock:
            claimed = []
            for effect_id in sorted(set(effect_ids)):
                effect = self._effect(effect_id)
                if effect.state == EffectState.PENDING and self._due(effect, now) and self._free(effect, now):
                    self._leased[effect_id] = lease_until
                    claimed.append(self._replace_effect(effect, attempts=effect.attempts + 1))
            return claimed

    def extend(self, held: Mapping[int, int], *, until: datetime) -> None:
        with self._lock:
            for effect_id, attempt in held.items():
                effect = self._effect(effect_id)
                if effect.attempts == attempt and effect.state == EffectState.PENDING:
                    self._leased[effect_id] = until

    def record(
        self,
        attempts: Sequence[Attempt],
        *,
        now: datetime,
        claim: Sequence[int] = (),
        lease_until: datetime | None = None,
    ) -> list[Effect]:
        with self._lock:
            self._record(attempts, now=now)
            if not claim or lease_until is None:
                return []
            return self.claim(claim, now=now, lease_until=lease_until)

    def _record(self, attempts: Sequence[Attempt], *, now: datetime) -> None:
        with self._lock:
            for a in attempts:
                effect = self._effect(a.effect_id)
                self._leased.pop(a.effect_id, None)
                self._recorded_at[a.effect_id] = now
                done = {"result": dict(a.result)} if a.result is not None else {}
                fields = {
                    "state": a.state,
                    "last_error": a.error,
                    "next_attempt_at": a.next_attempt_at,
                    **done,
                }
                self._replace_effect(effect, **fields)
                self._change(a.escalation_id, a.changes, a.timeline)

    def take_lease(self, name: str, *, holder: str, now: datetime, until: datetime) -> bool:
        with self._lock:
            lease = self._leases.get(name)
            if lease is not None and lease.holder != holder and lease.until > now:
                return False
            self._leases[name] = _Lease(holder, until)
            return True

    def release_lease(self, name: str, *, holder: str) -> None:
        with self._lock:
            if (lease := self._leases.get(name)) is not None and lease.holder == holder:
                del self._leases[name]

    def first_delivery(self, delivery_id: str, *, now: datetime) -> bool:
        with self._lock:
            expired = [d for d, at in self._deliveries.items() if at < now - REPLAY_WINDOW]
            for old in expired[:PRUNE_BATCH]:
                del self._deliveries[old]
            seen = delivery_id in self._deliveries
            self._deliveries.setdefault(delivery_id, now)
            return not seen

    def share_status(
        self, escalation_id: str, token: str | None, *, now: datetime, event: Event, deal: int = 1
    ) -> None:
        with self._lock:
            e = self.get(escalation_id)
            url = status_page_url(self.public_url, token) if token else None
            if deal == 1:
                e = replace(e, status_token=token, status_url=url)
            else:
                linked = tuple(
                    replace(d, status_token=token, status_url=url) if d.number == deal else d
                    for d in e.linked_deals
                )
                e = replace(e, linked_deals=linked)
            self._escalations[escalation_id] = replace(e, timeline=(*e.timeline, event))

    # -- reading ---------------------------------------------------------------------------------

    def get(self, escalation_id: str) -> Escalation:
        with self._lock:
            if escalation_id not in self._escalations:
                raise NotFound(f"no escalation {escalation_id!r}")
            return self._escalations[escalation_id]

    def find_by_key(self, idempotency_key: str) -> Escalation | None:
        return self._first(lambda e: any(d.report.idempotency_key == idempotency_key for d in e.deals))

    def recent(self, *, states: Collection[State] | None = None, limit: int = 200) -> list[Escalation]:
        with self._lock:
            found = [e for e in self._escalations.values() if not states or e.state in states]
        return sorted(found, key=lambda e: (-e.created_at.timestamp(), e.id))[:limit]

    def by_status_token(self, token: str) -> Escalation | None:
        if not token:
            return None
        found = self._first(lambda e: any(d.status_token == token for d in e.deals))
        if found is None:
            return None
        return found.for_deal(next(d.number for d in found.deals if d.status_token == token))

    def by_incident(self, incident_id: str) -> Escalation | None:
        return self._first(lambda e: e.page is not None and e.page.incident_id == incident_id)

    def by_issue(self, key: str) -> Escalation | None:
        return self._first(lambda e: e.ticket is not None and e.ticket.key == key)

    def open_with_fingerprint(self, fingerprint_id: str) -> list[Escalation]:
        with self._lock:
            found = [e for e in self.recent(limit=len(self._escalations) or 1) if e.is_open]
        return [e for e in found if e.fingerprint is not None and e.fingerprint.id == fingerprint_id]

    def watching(self) -> list[Watch]:
        with self._lock:
            found = [e for e in self._escalations.values() if e.is_open]
        return [Watch.of(e) for e in sorted(found, key=lambda e: (e.created_at, e.id))]

    def load(self, ids: Collection[str]) -> list[Escalation]:
        with self._lock:
            return [self._escalations[i] for i in ids if i in self._escalations]

    def due_escalations(self, *, now: datetime) -> list[str]:
        with self._lock:
            due = [
                (f.id, self._owner_of[f.id])
                for e in self._escalations.values()
                for f in e.effects
                if f.state == EffectState.PENDING and self._due(f, now) and self._free(f, now)
            ]
        return list(dict.fromkeys(escalation_id for _, escalation_id in sorted(due)))

    def pending_effects(self) -> list[tuple[str, Effect]]:
        with self._lock:
            escalations = self._escalations.values()
            pending = [(e.id, f) for e in escalations for f in e.effects if f.state == EffectState.PENDING]
        return sorted(pending, key=lambda p: (_naive(p[1].next_attempt_at) or datetime.max, p[1].id))

    # -- counting (the `StatsReader` port) -----------------------------------------------------

    def ping(self) -> None:
        """Always answers: it is this process's memory."""

    def counts(self, *, now: datetime) -> StoreCounts:
        with self._lock:
            escalations = list(self._escalations.values())
        states = Counter(e.state.value for e in escalations)
        effects = Counter((f.kind.value, f.state.value) for e in escalations for f in e.effects)
        due = [
            f.next_attempt_at or e.created_at
            for e in escalations
            for f in e.effects
            if f.state == EffectState.PENDING and (f.next_attempt_at or e.created_at) <= now
        ]
        return StoreCounts(dict(states), dict(effects), min(due, default=None))

    def insights(self, query: InsightsQuery) -> InsightFacts:
        with self._lock:
            found = list(self._escalations.values())
        return count_insights(found, self._recorded_at.get, query)

    # -- inside ----------------------------------------------------------------------------------

    def _first(self, match: Any) -> Escalation | None:
        with self._lock:
            return next((e for e in self.recent(limit=len(self._escalations) or 1) if match(e)), None)

    def _owe(self, escalation_id: str, owed: Iterable[Owed], *, hold: Hold | None = None) -> None:
        e = self._escalations[escalation_id]
        new = []
        for o in owed:
            held = hold is not None and o.kind in hold.kinds
            attempts = 1 if held else 0
            effect = Effect(
                self._next_effect,
                o.kind,
                EffectState.PENDING,
                attempts,
                None,
                None,
                o.target,
                {},
                dict(o.payload),
            )
            if hold is not None and held:
                self._leased[effect.id] = hold.until
            self._owner_of[effect.id] = escalation_id
            self._next_effect += 1
            new.append(effect)
        self._escalations[escalation_id] = replace(e, effects=(*e.effects, *new))

    def _change(self, escalation_id: str, changes: Changes | None, timeline: Sequence[Event]) -> None:
        e = self._escalations[escalation_id]
        e = e.changed(changes) if changes else e
        self._escalations[escalation_id] = replace(e, timeline=(*e.timeline, *timeline))

    def _effect(self, effect_id: int) -> Effect:
        e = self._escalations[self._owner_of[effect_id]]
        return next(f for f in e.effects if f.id == effect_id)

    def _replace_effect(self, effect: Effect, **fields: Any) -> Effect:
        escalation_id = self._owner_of[effect.id]
        e = self._escalations[escalation_id]
        updated = replace(effect, **fields)
        effects = tuple(updated if f.id == effect.id else f for f in e.effects)
        self._escalations[escalation_id] = replace(e, effects=effects)
        return updated

    def _free(self, effect: Effect, now: datetime) -> bool:
        return self._leased.get(effect.id, now) <= now

    @staticmethod
    def _due(effect: Effect, now: datetime) -> bool:
        return effect.next_attempt_at is None or effect.next_attempt_at <= now


def _naive(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=None) if when else None
