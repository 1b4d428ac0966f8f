"""Database engines and migrations: SQLite by default, PostgreSQL by URL, the same code for both."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x1A7E6A70  # the advisory-lock key integrator's migrations hold on PostgreSQL
MIGRATE_ATTEMPTS = 6  # on SQLite: the first, and retries while a racing process finishes migrating


def connect(url: str) -> Engine:
    """An engine for `url`; SQLite waits for locks instead of failing and enforces foreign keys."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        # Sized for the page lane and the background workers of one process; pooled, not per call.
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=10)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already).

    Processes starting together on a new database may race; on PostgreSQL an advisory lock
    orders them, on SQLite an exclusive transaction does, and a loser's failed attempt is retried
    (a few times, half a second apart, while the winner finishes) and then finds the schema.
    """
    from alembic import command  # only migrating needs Alembic (about 0.1 s to import)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    for attempt in range(1, MIGRATE_ATTEMPTS + 1):
        try:
            with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                elif connection.dialect.name == "sqlite":
                    # pysqlite runs DDL outside any transaction: without this, a second process sees
                    # half-made tables and no revision. One migrator at a time; the rest wait, then
                    # find the schema at head.
                    connection.exec_driver_sql("BEGIN EXCLUSIVE")
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        except DBAPIError:
            if attempt == MIGRATE_ATTEMPTS:
                raise
            time.sleep(0.5)


def revision(engine: Engine) -> str:
    """The schema revision the database is at ("none" before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() or "none"
