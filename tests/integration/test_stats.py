"""The store's numbers for health and metrics, and its one word for a database that does not answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from integrator.application.escalate import parse_report
from integrator.errors import StoreUnavailable
from integrator.store.db import connect, migrate
from integrator.store.stats import SqlStats
from integrator.store.tokens import SqlTokenStore
from tests.support import FakeClock, MemoryPager, MemoryTracker, make_services, report_data, write_config


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_an_empty_store_counts_nothing_and_has_no_lag(engine: Engine) -> None:
    stats = SqlStats(engine)

    stats.ping()
    counts = stats.counts(now=FakeClock().now())

    assert (dict(counts.escalations), dict(counts.effects), counts.oldest_due) == ({}, {}, None)


def test_counts_escalations_by_state_effects_by_kind_and_the_oldest_due_effect(
    database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    settings = write_config(tmp_path, database_url=database_url)
    services = make_services(settings, clock=clock, pager=MemoryPager(), tracker=MemoryTracker())
    try:
        stored, _ = services.escalator.submit(parse_report(report_data()))  # stored; nothing driven yet
        clock.advance(minutes=5)

        counts = services.stats.counts(now=clock.now())
    finally:
        services.close()

    assert dict(counts.escalations) == {"pending": 1}
    assert counts.effects[("page", "pending")] == 1
    assert counts.oldest_due == stored.created_at
    assert clock.now() - stored.created_at == timedelta(minutes=5)


@pytest.mark.parametrize(
    "url",
    ["sqlite:////nonexistent-directory/integrator.db", "postgresql+psycopg://postgres@127.0.0.1:1/none"],
)
def test_a_database_that_does_not_answer_is_store_unavailable_naming_no_statement(url: str) -> None:
    engine = connect(url)
    try:
        with pytest.raises(StoreUnavailable) as ping:
            SqlStats(engine).ping()
        with pytest.raises(StoreUnavailable) as find:
            SqlTokenStore(engine).find("0" * 64)
    finally:
        engine.dispose()

    assert str(ping.value) == "the database did not answer (OperationalError)"
    assert "0" * 64 not in str(find.value)  # SQLAlchemy's own message would carry the parameters
