"""Leases in SQL: on effects (one worker runs each at a time), named (one sync pass at a time); and
the webhook deliveries already seen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from integrator.application.ports import PRUNE_BATCH, REPLAY_WINDOW
from integrator.domain.escalation import Effect, EffectState
from integrator.errors import AlreadyRecorded
from integrator.store import rows
from integrator.store.sql import SqlStore
from integrator.store.tables import deliveries, effects, leases

# "Still pending", for rows found by id. The state is compared through `coalesce` (it is never null)
# so that no index on it applies and the rows are found by primary key. PostgreSQL would otherwise
# scan the due index for 'pending', and between vacuums that index holds an entry for every version
# an effect had while pending: under a burst each claim read about 1,250 dead entries to find its
# five rows. (A scan for every due effect, as sync's, is what that index is for.)
_STILL_PENDING = func.coalesce(effects.c.state, "") == EffectState.PENDING.value
# A claim: those of the effects (`ids`) that are pending, free and due at `now`, leased until `until`.
_CLAIMABLE = (
    effects.c.id.in_(bindparam("ids", expanding=True)),
    _STILL_PENDING,
    or_(effects.c.lease_until.is_(None), effects.c.lease_until <= bindparam("now")),
    or_(effects.c.next_attempt_at.is_(None), effects.c.next_attempt_at <= bindparam("now")),
)
_CLAIM = (
    update(effects)
    .where(*_CLAIMABLE)
    .values(lease_until=bindparam("until"), attempts=effects.c.attempts + 1, updated_at=bindparam("now"))
    .returning(*effects.c)
)
# PostgreSQL: rows another worker holds are about to be taken: skip them, don't wait (one statement).
_LOCK_FREE = select(effects.c.id).where(*_CLAIMABLE).with_for_update(skip_locked=True)
_CLAIM_LOCK_FREE = _CLAIM.where(effects.c.id.in_(_LOCK_FREE.scalar_subquery()))


class LeaseTables(SqlStore):
    def claim(self, effect_ids: Sequence[int], *, now: datetime, lease_until: datetime) -> list[Effect]:
        """Take the due and free ones of these effects until `lease_until`, in one transaction."""
        return self._write(lambda conn: claim_in(conn, effect_ids, now=now, until=lease_until))

    def extend(self, held: Mapping[int, int], *, until: datetime) -> None:
        """Renew the leases of effects this worker still holds (same attempt, still pending)."""
        if not held:
            return
        mine = (
            effects.c.id == bindparam("effect_id"),
            effects.c.attempts == bindparam("attempt"),
            _STILL_PENDING,
        )
        renew = update(effects).where(*mine).values(lease_until=until)
        self._write(
            lambda conn: conn.execute(renew, [{"effect_id": i, "attempt": n} for i, n in held.items()])
        )

    def take_lease(self, name: str, *, holder: str, now: datetime, until: datetime) -> bool:
        """Hold the named lease until `until`; False while another holder's lease runs."""
        with self._writing() as conn:
            exists = select(leases.c.name).where(leases.c.name == name)
            if conn.dialect.name == "postgresql":
                exists = exists.with_for_update(skip_locked=True)
                if conn.execute(exists).first() is None:
                    inserted = conn.execute(
                        pg_insert(leases)
                        .values(name=name, holder=holder, until=until)
                        .on_conflict_do_nothing(index_elements=["name"])
                        .returning(leases.c.name)
                    )
                    return inserted.first() is not None  # None: another worker inserted it first
            elif conn.execute(exists).first() is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(leases).values(name=name, holder=holder, until=until))
                except IntegrityError:
                    return False  # another worker created it a moment ago, and holds it
                return True
            taken = conn.execute(
                update(leases)
                .where(leases.c.name == name, or_(leases.c.until <= now, leases.c.holder == holder))
                .values(holder=holder, until=until)
            )
            return bool(taken.rowcount == 1)

    def release_lease(self, name: str, *, holder: str) -> None:
        with self._writing() as conn:
            conn.execute(
                update(leases)
                .where(leases.c.name == name, leases.c.holder == holder)
                .values(until=datetime(1970, 1, 1, tzinfo=UTC))
            )

    def first_delivery(self, delivery_id: str, *, now: datetime) -> bool:
        """Remember a webhook delivery, forgetting a bounded batch of expired ones; False on a redelivery."""
        expired = (
            select(deliveries.c.id).where(deliveries.c.received_at < now - REPLAY_WINDOW).limit(PRUNE_BATCH)
        )
        try:
            with self._writing() as conn:
                conn.execute(delete(deliveries).where(deliveries.c.id.in_(expired.scalar_subquery())))
                conn.execute(insert(deliveries).values(id=delivery_id[:250], received_at=now))
        except AlreadyRecorded:
            return False
        return True


def claim_in(conn: Connection, effect_ids: Sequence[int], *, now: datetime, until: datetime) -> list[Effect]:
    """Within the caller's transaction: lease those of these effects that are due and free."""
    values = {"ids": list(effect_ids), "now": now, "until": until}
    # The conditional UPDATE is the claim itself (atomic on SQLite's single writer too).
    claimed = conn.execute(_CLAIM_LOCK_FREE if conn.dialect.name == "postgresql" else _CLAIM, values)
    return sorted((rows.effect(row) for row in claimed), key=lambda e: e.id)
