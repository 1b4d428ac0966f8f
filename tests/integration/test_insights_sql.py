"""Insights in SQL only: halted environments by the effect's name, the 0009 backfill, the indexes used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, select, text

from integrator.application.escalate import parse_report
from integrator.bootstrap import Services
from integrator.domain.insights import InsightsQuery
from integrator.store import rows
from integrator.store.db import MIGRATIONS, connect
from integrator.store.insights import explain, read_insights
from integrator.store.tables import effects, escalations
from tests.insights_history import INGEST, NOW, SINCE, UNTIL, seed_history
from tests.support import (
    FakeClock,
    MemoryPager,
    MemoryTracker,
    make_services,
    memory_services,
    report_data,
    write_config,
)


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> Iterator[tuple[Services, dict[str, str]]]:
    clock = FakeClock()
    built = make_services(
        write_config(tmp_path, database_url=database_url),
        clock=clock,
        pager=MemoryPager(),
        tracker=MemoryTracker(),
    )
    ids = seed_history(built, clock).ids
    yield built, ids
    built.close()


def test_halt_effects_done_count_as_environments_halted(seeded: tuple[Services, dict[str, str]]) -> None:
    services, ids = seeded
    engine: Engine = services.stats.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:  # "halt" effects are owed once the halt hook lands; written here by name
        for escalation_id, state in (
            (ids["A"], "done"),
            (ids["C"], "done"),
            (ids["B"], "failed"),
            (ids["old"], "done"),
        ):
            conn.execute(
                insert(effects).values(
                    escalation_id=escalation_id, kind="halt", target="", state=state, attempts=1,
                    result={}, payload={}, created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip

    facts = services.stats.insights(InsightsQuery(since=SINCE, until=UNTIL, now=NOW))

    assert facts.halted == 2


def test_the_migration_copies_team_account_and_arr_of_earlier_escalations(
    database_url: str, tmp_path: Path
) -> None:
    escalation = memory_services(tmp_path).escalator.prepare(parse_report(report_data()))
    engine = connect(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        before = ScriptDirectory.from_config(config).get_revision("0009").down_revision
        command.upgrade(config, str(before))
        earlier = {
            k: v
            for k, v in rows.escalation_row(escalation).items()
            if k not in ("team", "account", "arr_cents", "currency")
        }
        conn.execute(insert(escalations).values(**earlier))
        command.upgrade(config, "head")
        copied = conn.execute(
            select(escalations.c.team, escalations.c.account, escalations.c.arr_cents, escalations.c.currency)
        ).one()
    engine.dispose()

    assert tuple(copied) == (INGEST, "Globex", 48_000_000, "USD")


def test_the_period_is_found_through_an_index(seeded: tuple[Services, dict[str, str]]) -> None:
    services, _ = seeded
    engine: Engine = services.stats.engine  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":  # a table this small is read whole unless the planner must not
        with engine.connect() as conn:
            conn.execute(text("ALTER DATABASE " + engine.url.database + " SET enable_seqscan = off"))  # type: ignore[operator]
            conn.commit()
        engine.dispose()

    every_team = " ".join(explain(engine, InsightsQuery(since=SINCE, until=UNTIL, now=NOW)))
    one_team = " ".join(explain(engine, InsightsQuery(since=SINCE, until=UNTIL, now=NOW, team=INGEST)))

    assert "ix_escalations_created_at" in every_team
    assert "ix_escalations_team_created_at" in one_team
    assert (
        read_insights(engine, InsightsQuery(since=SINCE, until=UNTIL, now=NOW, team=INGEST)).escalations == 2
    )
