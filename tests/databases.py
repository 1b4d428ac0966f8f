"""Database fixtures: SQLite in a temporary folder always, PostgreSQL when a server is named.

PostgreSQL tests run when INTEGRATOR_TEST_POSTGRES_URL names a server (CI sets it, and sets
INTEGRATOR_TEST_REQUIRE_POSTGRES=1 so an unreachable server fails the run instead of skipping).
Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import gc
import os
import secrets
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError


def postgres_admin_url() -> str:
    url = os.environ.get("INTEGRATOR_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("INTEGRATOR_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail("INTEGRATOR_TEST_REQUIRE_POSTGRES=1 but INTEGRATOR_TEST_POSTGRES_URL is unset")
        pytest.skip("PostgreSQL tests: set INTEGRATOR_TEST_POSTGRES_URL to run them")
    return url


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the server at `admin_url`, dropped afterwards."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"integrator_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("INTEGRATOR_TEST_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"PostgreSQL not reachable at INTEGRATOR_TEST_POSTGRES_URL ({exc.orig})")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        # Engines the test built are garbage now; close their pooled connections quietly first.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test."""
    with fresh_postgres(postgres_admin_url()) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs twice: on SQLite, and on PostgreSQL where one is available."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'integrator.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
