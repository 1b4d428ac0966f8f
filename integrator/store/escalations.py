"""Escalations, their effects and timelines in SQL, behind `ports.EscalationStore` (with `LeaseTables`)."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    union_all,
    update,
)

from integrator.application.ports import Attempt, Hold, Linker
from integrator.domain.deals import EscalatedDeal
from integrator.domain.escalation import (
    OPEN_STATES,
    Changes,
    Effect,
    EffectState,
    Escalation,
    Event,
    Owed,
    State,
)
from integrator.domain.status import Watch
from integrator.errors import AlreadyRecorded, NotFound
from integrator.store import accounts, rows, watches
from integrator.store.leases import LeaseTables, claim_in
from integrator.store.tables import deals, effects, escalations, events

# Most reports carry a key that is new: one narrow indexed look, the escalation read only when found.
_BY_KEY = union_all(
    select(escalations.c.id).where(escalations.c.idempotency_key == bindparam("key")),
    select(deals.c.escalation_id).where(deals.c.idempotency_key == bindparam("key")),
).limit(1)


class Store(LeaseTables):
    """Escalations in a SQL database; every method is one transaction."""

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
        """Store a new escalation with the effects it owes; (the first one, False) on a repeated key.

        With `link`, a report of a failure that an open escalation already has (same fingerprint)
        becomes that escalation's next deal instead, owing what `link` says: (it, True). The look
        and the write are one transaction under a lock on the failure, so reports of one failure
        arriving together make one escalation. Its deal's account is remembered in the same
        transaction: accepting a report is one commit.
        """

        def store(conn: Connection) -> tuple[Escalation, bool]:
            fingerprint = escalation.fingerprint
            if link is not None and fingerprint is not None:
                _lock_failure(conn, fingerprint.id)
                same = self._open_same_failure(conn, fingerprint.id)
                if same is not None:
                    return self._link(conn, same, escalation, link), True
            owing = rows.insert_escalation(conn, escalation, owed, [event], hold=hold)
            accounts.remember(
                conn, escalation.report.deal, escalation_id=escalation.id, at=escalation.created_at
            )
            return replace(escalation, effects=tuple(owing), timeline=(event,)), True

        try:
            return self._write(store)
        except AlreadyRecorded:
            key = escalation.report.idempotency_key
            found = self.find_by_key(key) if key else None
            if found is None:
                raise
            return found, False

    def _open_same_failure(self, conn: Connection, fingerprint_id: str) -> Escalation | None:
        """The oldest open escalation of this failure, read inside the linking transaction."""
        is_open = escalations.c.state.in_([s.value for s in OPEN_STATES])
        query = (
            select(escalations.c.id)
            .where(escalations.c.fingerprint == fingerprint_id, is_open)
            .order_by(escalations.c.created_at, escalations.c.id)
            .limit(1)
        )
        found = conn.execute(query).scalar()
        return self._read(conn, escalations.c.id == found)[0] if found else None

    def _link(self, conn: Connection, same: Escalation, escalation: Escalation, link: Linker) -> Escalation:
        """Add the report as `same`'s next deal, with what linking it owes (each effect once, ever)."""
        last = conn.execute(select(func.max(deals.c.number)).where(deals.c.escalation_id == same.id)).scalar()
        number = max((last or 1) + 1, same.next_deal_number())  # an unlinked deal's number is not reused
        deal = EscalatedDeal(number, escalation.report, escalation.created_at)
        conn.execute(insert(deals).values(rows.deal_row(same.id, deal)))
        owed, timeline = link(same, deal)
        have = {(f.kind, f.target) for f in same.effects}
        new = list({(o.kind, o.target): o for o in owed if (o.kind, o.target) not in have}.values())
        owing = rows.insert_effects(conn, same.id, new, now=escalation.created_at)
        rows.insert_events(conn, same.id, timeline)
        accounts.remember(conn, escalation.report.deal, escalation_id=same.id, at=escalation.created_at)
        return replace(
            same,
            linked_deals=(*same.linked_deals, deal),
            effects=(*same.effects, *owing),
            timeline=(*same.timeline, *timeline),
        )

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
        """Take deal `number` off the escalation and store it as `new` with what it owes (one transaction)."""
        mine = and_(deals.c.escalation_id == escalation_id, deals.c.number == number, deals.c.number > 1)
        with self._writing() as conn:
            if conn.execute(delete(deals).where(mine)).rowcount != 1:
                raise NotFound(f"escalation {escalation_id!r} has no linked deal {number}")
            rows.insert_escalation(conn, new, owed, new.timeline)
            rows.insert_events(conn, escalation_id, events)
            left = _not_owed_yet(conn, escalation_id, left_owing)
            rows.insert_effects(conn, escalation_id, left, now=new.created_at)
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
    ) -> builtins.list[Owed]:
        """Change an escalation, owe new effects and extend its timeline, in one transaction.

        Effects it owes already ((kind, target) seen before) are skipped: each is owed once, ever.
        Returns the effects that were new.
        """
        with self._writing() as conn:
            new = _not_owed_yet(conn, escalation_id, owed)
            if only_if_new and not new:
                return new
            rows.insert_effects(conn, escalation_id, new, now=now)
            if changes:
                conn.execute(
                    update(escalations)
                    .where(escalations.c.id == escalation_id)
                    .values(**rows.columns(changes), updated_at=now)
                )
            rows.insert_events(conn, escalation_id, timeline)
        return new

    def record(
        self,
        attempts: Sequence[Attempt],
        *,
        now: datetime,
        claim: Sequence[int] = (),
        lease_until: datetime | None = None,
    ) -> builtins.list[Effect]:
        """Record attempts (each effect's new state, what it changed, its timeline) in one transaction,
        and claim `claim` until `lease_until` in it."""
        recorded = rows.recorded(attempts, now=now)  # built before the writer is taken
        timeline = [(a.escalation_id, e) for a in attempts for e in a.timeline]

        def write(conn: Connection) -> builtins.list[Effect]:
            for statement, parameters in recorded:
                conn.execute(statement, parameters)
            rows.insert_timeline(conn, timeline)
            if not claim or lease_until is None:
                return []
            return claim_in(conn, claim, now=now, until=lease_until)

        return self._write(write)

    def share_status(
        self, escalation_id: str, token: str | None, *, now: datetime, event: Event, deal: int = 1
    ) -> None:
        """Set (or, with None, revoke) deal `deal`'s customer status page token (deal 1's is the
        escalation's own column, a linked deal's is on its row in `deals`)."""
        values: dict[str, Any] = {"updated_at": now} | ({"status_token": token} if deal == 1 else {})
        with self._writing() as conn:
            conn.execute(update(escalations).where(escalations.c.id == escalation_id).values(**values))
            if deal != 1:
                mine = and_(deals.c.escalation_id == escalation_id, deals.c.number == deal)
                conn.execute(update(deals).where(mine).values(status_token=token))
            rows.insert_events(conn, escalation_id, [event])

    # -- reading ---------------------------------------------------------------------------------

    def get(self, escalation_id: str) -> Escalation:
        found = self._load(escalations.c.id == escalation_id)
        if not found:
            raise NotFound(f"no escalation {escalation_id!r}")
        return found[0]

    def find_by_key(self, idempotency_key: str) -> Escalation | None:
        """The escalation a report with this key started, or the one it was linked to as a deal."""
        with self._reading() as conn:
            found = conn.execute(_BY_KEY, {"key": idempotency_key}).scalar()
        return self.get(found) if found else None

    def recent(
        self, *, states: Collection[State] | None = None, limit: int = 200
    ) -> builtins.list[Escalation]:
        """Newest first."""
        where = escalations.c.state.in_([s.value for s in states]) if states else None
        return self._load(where, limit=limit)

    def by_status_token(self, token: str) -> Escalation | None:
        if not token:
            return None
        found = self._load(escalations.c.status_token == token)
        if found:
            return found[0]
        with self._reading() as conn:
            row = conn.execute(
                select(deals.c.escalation_id, deals.c.number).where(deals.c.status_token == token)
            ).first()
        linked = self._load(escalations.c.id == row.escalation_id) if row else []
        return linked[0].for_deal(row.number) if linked and row else None

    def by_incident(self, incident_id: str) -> Escalation | None:
        found = self._load(escalations.c.pd_incident_id == incident_id)
        return found[0] if found else None

    def by_issue(self, key: str) -> Escalation | None:
        found = self._load(escalations.c.jira_key == key)
        return found[0] if found else None

    def open_with_fingerprint(self, fingerprint_id: str) -> builtins.list[Escalation]:
        """Open escalations of the failure with this fingerprint id, newest first."""
        same = escalations.c.fingerprint == fingerprint_id
        return self._load(and_(same, escalations.c.state.in_([s.value for s in OPEN_STATES])))

    def watching(self) -> builtins.list[Watch]:
        """What the sync needs of every open escalation, oldest first (see `watches.read`)."""
        with self._reading() as conn:
            return watches.read(conn)

    def load(self, ids: Collection[str]) -> builtins.list[Escalation]:
        """These escalations (any order); ones that do not exist are left out."""
        return self._load(escalations.c.id.in_(list(ids)), limit=len(ids) or 1)

    def due_escalations(self, *, now: datetime) -> builtins.list[str]:
        """Ids of escalations with a pending effect past its backoff and lease, oldest effect first."""
        return list(dict.fromkeys(escalation_id for escalation_id, _ in self.due_effects(now=now)))

    def due_effects(self, *, now: datetime) -> builtins.list[tuple[str, int]]:
        """(escalation id, effect id) of pending effects past their backoff and lease, oldest first."""
        query = (
            select(effects.c.escalation_id, effects.c.id)
            .where(
                effects.c.state == EffectState.PENDING.value,
                or_(effects.c.next_attempt_at.is_(None), effects.c.next_attempt_at <= now),
                or_(effects.c.lease_until.is_(None), effects.c.lease_until <= now),
            )
            .order_by(effects.c.id)
        )
        with self._reading() as conn:
            return [(r.escalation_id, r.id) for r in conn.execute(query)]

    def pending_effects(self) -> builtins.list[tuple[str, Effect]]:
        """(escalation id, effect) of every effect still pending, soonest retry first."""
        query = (
            select(effects)
            .where(effects.c.state == EffectState.PENDING.value)
            .order_by(effects.c.next_attempt_at.asc().nulls_last(), effects.c.id)
        )
        with self._reading() as conn:
            return [(r.escalation_id, rows.effect(r)) for r in conn.execute(query)]

    def _load(self, where: Any, *, limit: int = 200) -> builtins.list[Escalation]:
        """Escalations with their effects and timelines.

        Effects are read before the escalations' rows: an effect and what it changed are committed
        together, so an effect seen done always comes with the page or ticket it made, even when
        another worker commits between the statements.
        """
        with self._reading() as conn:
            return self._read(conn, where, limit=limit)

    def _read(self, conn: Connection, where: Any, *, limit: int = 200) -> builtins.list[Escalation]:
        """`_load` on a connection already open (the linking transaction reads through its own)."""
        query = (
            select(escalations.c.id).order_by(escalations.c.created_at.desc(), escalations.c.id).limit(limit)
        )
        if where is not None:
            query = query.where(where)
        ids = list(conn.execute(query).scalars())
        if not ids:
            return []
        effect_rows = conn.execute(
            select(effects).where(effects.c.escalation_id.in_(ids)).order_by(effects.c.id)
        ).all()
        by_row = {r.id: r for r in conn.execute(select(escalations).where(escalations.c.id.in_(ids)))}
        event_rows = conn.execute(
            select(events).where(events.c.escalation_id.in_(ids)).order_by(events.c.id)
        ).all()
        deal_rows = conn.execute(
            select(deals)
            .where(deals.c.escalation_id.in_(ids), deals.c.number > 1)
            .order_by(deals.c.escalation_id, deals.c.number)
        ).all()
        linked: dict[str, list[EscalatedDeal]] = {i: [] for i in ids}
        for r in deal_rows:
            linked[r.escalation_id].append(rows.deal(r, public_url=self.public_url))
        by_id: dict[str, tuple[list[Effect], list[Event]]] = {i: ([], []) for i in ids}
        for r in effect_rows:
            by_id[r.escalation_id][0].append(rows.effect(r))
        for r in event_rows:
            by_id[r.escalation_id][1].append(Event(at=r.at, kind=r.kind, text=r.text, data=r.data))
        return [
            replace(
                rows.escalation(by_row[i], *by_id[i], public_url=self.public_url),
                linked_deals=tuple(linked[i]),
            )
            for i in ids
        ]


def _not_owed_yet(conn: Connection, escalation_id: str, owed: Iterable[Owed]) -> builtins.list[Owed]:
    """Those of `owed` the escalation has never owed ((kind, target) not seen), each once, in order."""
    have = {
        (r.kind, r.target)
        for r in conn.execute(
            select(effects.c.kind, effects.c.target).where(effects.c.escalation_id == escalation_id)
        )
    }
    return list({(o.kind.value, o.target): o for o in owed if (o.kind.value, o.target) not in have}.values())


def _lock_failure(conn: Connection, fingerprint_id: str) -> None:
    """Hold the failure until this transaction ends: one report of it at a time looks, then writes.

    SQLite: take the database's write lock before the look (BEGIN IMMEDIATE; other processes wait
    their busy timeout). PostgreSQL: a transaction-scoped advisory lock keyed by the fingerprint.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"failure:{fingerprint_id}"}
        )
