"""Insights in SQL only: the moments kept on each escalation, the 0009 and 0011 backfills, indexes used."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, insert, select, text

from integrator.application.escalate import parse_report
from integrator.bootstrap import Services
from integrator.domain.insights import InsightsQuery
from integrator.domain.status import CUSTOMER_TOLD
from integrator.store import rows
from integrator.store.db import MIGRATIONS, connect
from integrator.store.insights import explain, read_insights
from integrator.store.tables import effects, escalations, events
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


MOMENTS = ("page_sent_at", "buyer_told_at", "sponsor_told_at", "rca_delivered_at", "halted_at")
M, H = timedelta(minutes=1), timedelta(hours=1)


def _moments(conn: Connection, escalation_id: str) -> tuple[timedelta | None, ...]:
    """The moments kept on the escalation's row, as the time since it was reported (None: not yet)."""
    e = escalations.c
    found = conn.execute(select(e.created_at, *(e[m] for m in MOMENTS)).where(e.id == escalation_id)).one()
    return tuple(None if at is None else at - found.created_at for at in found[1:])


def test_each_moment_is_kept_on_its_escalation_as_it_happens_the_first_time_only(
    seeded: tuple[Services, dict[str, str]],
) -> None:
    services, ids = seeded
    engine: Engine = services.stats.engine  # type: ignore[attr-defined]

    with engine.connect() as conn:
        kept = {name: _moments(conn, ids[name]) for name in ("A", "B", "C", "D")}

    assert kept == {
        "A": (2 * M, 30 * M, 1 * M, 5 * H, None),  # the buyer's second update (5 h) is not the first
        "B": (4 * M, 90 * M, None, 10 * H, None),  # Hank@Globex.example is the buyer's address
        "C": (6 * M, None, None, None, None),
        "D": (1 * M, None, 2 * M, 2 * H, None),  # the update carrying the RCA went to the CTO, not the buyer
    }


def test_the_migration_fills_in_the_moments_of_earlier_escalations(database_url: str, tmp_path: Path) -> None:
    reported = memory_services(tmp_path).escalator.prepare(parse_report(report_data()))
    a, b, at = "a0000000001", "b0000000001", reported.created_at

    def effect(escalation_id: str, kind: str, target: str, state: str, minutes: int, **payload: str) -> dict:
        return {
            "escalation_id": escalation_id, "kind": kind, "target": target, "state": state, "attempts": 1,
            "result": {}, "payload": payload, "created_at": at, "updated_at": at + minutes * M,
        }  # fmt: skip

    def told(escalation_id: str, minutes: int, *, rca: bool) -> dict:
        data = {"to": "hank@globex.example", "rca": rca}
        return {
            "escalation_id": escalation_id,
            "at": at + minutes * M,
            "kind": CUSTOMER_TOLD,
            "text": "",
            "data": data,
        }

    engine = connect(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, str(ScriptDirectory.from_config(config).get_revision("0011").down_revision))
        conn.execute(insert(escalations), [rows.escalation_row(replace(reported, id=i)) for i in (a, b)])
        conn.execute(
            insert(effects),
            [
                effect(a, "page", "", "done", 2),
                effect(a, "halt", "", "done", 3),
                effect(a, "email", "escalated:dana@acme.example", "done", 1, to="dana@acme.example",
                       role="executive_sponsor"),
                effect(a, "email", "customer-update:1", "done", 20, to="cto@globex.example"),
                effect(a, "email", "customer-update:2", "done", 30, to="Hank@Globex.example"),
                effect(a, "email", "customer-update:3", "done", 300, to="hank@globex.example"),
                effect(b, "page", "", "pending", 5),
                effect(b, "halt", "", "failed", 5),
                effect(b, "email", "customer-update:1", "failed", 10, to="hank@globex.example"),
            ],
        )  # fmt: skip
        conn.execute(insert(events), [told(a, 20, rca=False), told(a, 300, rca=True), told(a, 400, rca=True)])
        command.upgrade(config, "head")
        filled = {i: _moments(conn, i) for i in (a, b)}
        command.downgrade(config, "0010")  # and back, with the effects and events still referring to them
        command.upgrade(config, "head")
        again = {i: _moments(conn, i) for i in (a, b)}
    engine.dispose()

    assert filled == {a: (2 * M, 30 * M, 1 * M, 300 * M, 3 * M), b: (None, None, None, None, None)}
    assert again == filled


def test_every_figure_finds_the_period_through_an_insights_index(
    seeded: tuple[Services, dict[str, str]],
) -> None:
    services, _ = seeded
    engine: Engine = services.stats.engine  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":  # a table this small is read whole unless the planner must not
        with engine.connect() as conn:
            conn.execute(text("ALTER DATABASE " + engine.url.database + " SET enable_seqscan = off"))  # type: ignore[operator]
            conn.commit()
        engine.dispose()

    every_team = explain(engine, InsightsQuery(since=SINCE, until=UNTIL, now=NOW))
    one_team = explain(engine, InsightsQuery(since=SINCE, until=UNTIL, now=NOW, team=INGEST))

    for plans, index in ((every_team, "ix_escalations_insights"), (one_team, "ix_escalations_team_insights")):
        for figure, plan in plans.items():
            steps = " | ".join(plan)
            assert "SCAN escalations" not in steps, (figure, steps)  # SQLite: never the whole table
            if figure != "linked":  # may start from the deals
                assert index in steps, (figure, steps)
    if engine.dialect.name == "sqlite":  # the rows themselves are not read, but for the breaches listed
        for figure in ("counts", "spreads", "weeks", "fix_bins"):
            assert "COVERING INDEX ix_escalations_insights" in " ".join(every_team[figure])
            assert "COVERING INDEX ix_escalations_team_insights" in " ".join(one_team[figure])
    assert (
        read_insights(engine, InsightsQuery(since=SINCE, until=UNTIL, now=NOW, team=INGEST)).escalations == 2
    )
