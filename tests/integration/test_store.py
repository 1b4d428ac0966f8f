"""The SQL store's own concerns on real SQLite and PostgreSQL: migrations and drivers.

What every store promises (round trips, leases, idempotency under concurrency) is the contract
suite in tests/contract, run against the in-memory, SQLite and PostgreSQL stores alike.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from integrator.store.db import connect, migrate


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    engine = connect(database_url)
    migrate(engine)
    migrate(engine)
    assert {"escalations", "effects", "events", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://u@h/db"])
def test_a_plain_postgresql_url_uses_psycopg_3(url: str) -> None:
    assert connect(url).dialect.driver == "psycopg"
