"""A claim, and a lease's renewal, find their effects by primary key, however many old versions of
pending effects the due index still holds (PostgreSQL keeps them there until a vacuum)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, text

from integrator.application.escalate import parse_report
from integrator.bootstrap import Services
from integrator.store.tables import effects
from tests.support import FakeClock, make_services, report_data, write_config

OLD_EFFECTS = 3_000  # long done: one escalation's worth of history


@pytest.fixture
def services(database_url: str, tmp_path: Path) -> Iterator[Services]:
    built = make_services(write_config(tmp_path, database_url=database_url), clock=FakeClock())
    yield built
    built.close()


def test_a_claim_and_a_renewal_find_their_effects_by_primary_key(services: Services) -> None:
    history, _ = services.escalator.submit(parse_report(report_data()))
    store, now = services.store, services.clock.now()
    engine = store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(
            insert(effects),
            [
                {
                    "escalation_id": history.id,
                    "kind": "email",
                    "target": f"old-{n}@acme.example",
                    "state": "pending",
                    "result": {},
                    "payload": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(OLD_EFFECTS)
            ],
        )
    with engine.begin() as conn:  # all delivered: the statistics see none pending, the index keeps them
        conn.execute(text("UPDATE effects SET state = 'done'"))
        conn.execute(text("ANALYZE"))
    other_failure = report_data(title="Checkout times out", locations=["services/checkout/pay.py"])
    escalation, _ = services.escalator.submit(parse_report(other_failure))
    plans: list[str] = []
    explained: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, _: Any, many: bool) -> None:
        if statement.lstrip().startswith(("UPDATE effects SET attempts", "UPDATE effects SET lease_until")):
            sqlite = conn.dialect.name == "sqlite"
            explained.append(statement)
            one = parameters[0] if many else parameters
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, one)
            plans.extend(" ".join(str(v) for v in row) for row in cursor.fetchall())

    event.listen(engine, "before_cursor_execute", explain)
    try:
        ids = [e.id for e in escalation.effects]
        claimed = store.claim(ids, now=now + timedelta(days=1), lease_until=now + timedelta(days=2))
        store.extend({e.id: e.attempts for e in claimed} or {ids[0]: 1}, until=now + timedelta(days=3))
    finally:
        event.remove(engine, "before_cursor_execute", explain)

    plan = "\n".join(plans)
    assert len(explained) == 2  # the claim and the renewal
    assert "ix_effects_due" not in plan, plan
    if engine.dialect.name == "sqlite":
        assert "INTEGER PRIMARY KEY" in plan, plan
    else:
        assert "pk_effects" in plan, plan
