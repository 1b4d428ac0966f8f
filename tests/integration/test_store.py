"""The SQL store's own concerns on real SQLite and PostgreSQL: migrations and drivers.

What every store promises (round trips, leases, idempotency under concurrency) is the contract
suite in tests/contract, run against the in-memory, SQLite and PostgreSQL stores alike.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from integrator.application.escalate import parse_report
from integrator.domain.deals import EscalatedDeal
from integrator.store import rows
from integrator.store.db import MIGRATIONS, connect, migrate, revision
from integrator.store.tables import deals, escalations
from tests.support import memory_services, report_data


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


def test_migration_0012_keeps_the_deals_linked_before_it_and_gives_each_at_most_one_page(
    database_url: str, tmp_path: Path
) -> None:
    services = memory_services(tmp_path)
    first = services.escalator.prepare(parse_report(report_data()))
    second = EscalatedDeal(2, parse_report(report_data()), first.created_at)
    engine = connect(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
        conn.execute(insert(escalations).values(**rows.escalation_row(first)))
        conn.execute(insert(deals).values(rows.deal_row(first.id, second)))
        command.upgrade(config, "0012")
        kept = conn.execute(select(deals.c.number, deals.c.status_token)).all()
        conn.execute(update(deals).values(status_token="t-1"))
    with engine.begin() as conn:
        conn.execute(insert(deals).values(rows.deal_row(first.id, replace(second, number=3))))
    with pytest.raises(IntegrityError), engine.begin() as conn:  # one token names one deal's page
        conn.execute(update(deals).values(status_token="t-2"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0010")
        after_downgrade = {c["name"] for c in inspect(conn).get_columns("deals")}
    engine.dispose()

    assert [tuple(r) for r in kept] == [(2, None)]
    assert "status_token" not in after_downgrade
