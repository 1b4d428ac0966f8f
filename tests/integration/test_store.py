"""The SQL store's own concerns on real SQLite and PostgreSQL: migrations and drivers.

What every store promises (round trips, leases, idempotency under concurrency) is the contract
suite in tests/contract, run against the in-memory, SQLite and PostgreSQL stores alike.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from integrator.store.db import connect, migrate, revision


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    engine = connect(database_url)
    migrate(engine)
    migrate(engine)
    assert {"escalations", "effects", "events", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://u@h/db"])
def test_a_plain_postgresql_url_uses_psycopg_3(url: str) -> None:
    assert connect(url).dialect.driver == "psycopg"


def test_db_upgrade_migrates_a_new_database_on_its_own_and_again_changes_nothing(database_url: str) -> None:
    from typer.testing import CliRunner

    from integrator.__main__ import wiring
    from integrator.cli.app import app

    runner = CliRunner()
    env = {"INTEGRATOR_DATABASE_URL": database_url}
    first = runner.invoke(app, ["db", "upgrade"], obj=wiring(), env=env)
    again = runner.invoke(app, ["db", "upgrade"], obj=wiring(), env=env)

    assert first.exit_code == 0, first.output
    assert again.stdout == first.stdout
    engine = connect(database_url)
    assert {"escalations", "effects", "events", "sessions"} <= set(inspect(engine).get_table_names())
    assert first.stdout.strip() == f"Database schema at revision {revision(engine)}."
    engine.dispose()
