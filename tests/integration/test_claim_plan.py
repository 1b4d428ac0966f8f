"""A claim finds its effects by primary key, however many old versions of pending effects the due
index still holds (PostgreSQL keeps them there until a vacuum)."""

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


def test_a_claim_looks_its_effects_up_by_primary_key_not_through_the_due_index(services: Services) -> None:
    escalation, _ = services.escalator.submit(parse_report(report_data()))
    store, now = services.store, services.clock.now()
    engine = store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(
            insert(effects),
            [
                {
                    "escalation_id": escalation.id,
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
    with engine.begin() as conn:  # every one of them delivered: the due index is left with the old entries
        conn.execute(text("UPDATE effects SET state = 'done' WHERE target LIKE 'old-%'"))
        conn.execute(text("ANALYZE"))
    plans: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("UPDATE effects SET attempts"):
            sqlite = conn.dialect.name == "sqlite"
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
            plans.extend(" ".join(str(v) for v in row) for row in cursor.fetchall())

    event.listen(engine, "before_cursor_execute", explain)
    try:
        ids = [e.id for e in escalation.effects]
        store.claim(ids, now=now + timedelta(days=1), lease_until=now + timedelta(days=2))
    finally:
        event.remove(engine, "before_cursor_execute", explain)

    plan = "\n".join(plans)
    assert plan, "the claim ran no statement"
    assert "ix_effects_due" not in plan, plan
    if engine.dialect.name == "sqlite":
        assert "INTEGER PRIMARY KEY" in plan, plan
    else:
        assert "pk_effects" in plan, plan
