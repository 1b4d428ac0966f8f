"""Named leases (one sync pass at a time) and the webhook deliveries already seen, in SQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from integrator.application.ports import PRUNE_BATCH, REPLAY_WINDOW
from integrator.errors import AlreadyRecorded
from integrator.store.sql import SqlStore
from integrator.store.tables import deliveries, leases


class LeaseTables(SqlStore):
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
