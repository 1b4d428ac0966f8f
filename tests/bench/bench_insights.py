"""Time to answer the Insights page at 1,000, 10,000 and 100,000 stored escalations, SQLite and PostgreSQL.

Run: `python -m tests.bench.bench_insights` (PostgreSQL too when INTEGRATOR_TEST_POSTGRES_URL names a
server; a fresh database is made and dropped). Rows are written with bulk inserts, not through the
use case: a quarter of them older than the page's 90 days, five teams, two currencies, each with a
page sent, most acknowledged and fixed, customer updates and RCAs for some, a second deal linked to
one in twenty (the deals, effects and events, and the moments on each row as the store keeps them).
`GET /insights` (the default 90 days) is served in-process; the median of three answers is printed
with its growth over the size before, and each figure's plan (the tables and indexes it reads).
Figures only: nothing is asserted on time.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `integrator` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text

from integrator.application.escalate import parse_report
from integrator.domain.insights import InsightsQuery
from integrator.settings import AuthSettings
from integrator.store import rows
from integrator.store.db import connect, migrate
from integrator.store.insights import explain
from integrator.store.tables import deals, effects, escalations, events
from integrator.web.app import create_app
from tests.databases import fresh_postgres
from tests.support import FakeClock, make_services, memory_services, report_data, write_config

SIZES = (1_000, 10_000, 100_000)  # or the sizes given: `python -m tests.bench.bench_insights 1000 10000`
TEAMS = ("@acme/ingest", "@acme/platform", "@acme/query", "@acme/billing", "@acme/web")
NOW = datetime(2026, 11, 29, tzinfo=UTC)
CHUNK = 5_000
ANSWERS = 3


def main() -> None:
    print("Time to answer GET /insights (the last 90 days; median of 3, in-process):")
    with tempfile.TemporaryDirectory() as folder:
        bench("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder))
        admin = os.environ.get("INTEGRATOR_TEST_POSTGRES_URL")
        if not admin:
            print("PostgreSQL: skipped (set INTEGRATOR_TEST_POSTGRES_URL)")
            return
        with fresh_postgres(admin) as url:
            bench("PostgreSQL", url, Path(folder))


def sizes() -> tuple[int, ...]:
    return tuple(int(a) for a in sys.argv[1:]) or SIZES


def bench(name: str, url: str, folder: Path) -> None:
    engine = connect(url)
    migrate(engine)
    template = _template(folder)
    print(f"\n{name}", flush=True)
    print(f"{'escalations':>12} {'seed s':>8} {'answer ms':>10} {'growth':>8}")
    stored, before = 0, None
    random.seed(9)
    try:
        for size in sizes():
            started = time.perf_counter()
            _seed(engine, template, start=stored, count=size - stored)
            stored = size
            seeded = time.perf_counter() - started
            answer = _answer(engine, url, folder)
            growth = f"{answer / before:.2f}x" if before else "-"
            print(f"{size:>12,} {seeded:>8.1f} {answer:>10.1f} {growth:>8}", flush=True)
            before = answer
        query = InsightsQuery(since=NOW - timedelta(days=90), until=NOW, now=NOW)
        team = InsightsQuery(since=query.since, until=NOW, now=NOW, team=TEAMS[0])
        for who, asked in (("every team", query), ("one team", team)):
            print(f"  plans ({who}):")
            for figure, plan in explain(engine, asked).items():
                print(f"    {figure:>9}:", " | ".join(_steps(plan)))
    finally:
        engine.dispose()


def _steps(plan: list[str]) -> list[str]:
    """The plan's steps that read a table or an index (SQLite's SEARCH/SCAN, PostgreSQL's scans)."""
    return [
        " ".join(line.split()[3:]) if line[:1].isdigit() else line.strip()
        for line in plan
        if any(word in line for word in ("SEARCH", "SCAN", "Scan"))
    ]


def _template(folder: Path) -> dict[str, Any]:
    """One escalation's row, as `Store.add` writes it, to vary."""
    (folder / "template").mkdir(exist_ok=True)
    services = memory_services(folder / "template", clock=FakeClock(NOW))
    return rows.escalation_row(services.escalator.prepare(parse_report(report_data())))


def _seed(engine: Engine, template: dict[str, Any], *, start: int, count: int) -> None:
    for first in range(start, start + count, CHUNK):
        batch = [_rows(template, n) for n in range(first, min(first + CHUNK, start + count))]
        with engine.begin() as conn:
            conn.execute(insert(escalations), [b[0] for b in batch])
            conn.execute(insert(deals), [d for b in batch for d in _deals(b[0])])
            conn.execute(insert(effects), [f for b in batch for f in b[1]])
            conn.execute(insert(events), [e for b in batch for e in b[2]])
    # At rest, as autovacuum leaves a table on PostgreSQL (its visibility map lets an index answer alone),
    # not whenever autovacuum happens to run during the answers.
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))


def _deals(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The escalation's own deal (1), as `Store.add` writes it; one in twenty has a second linked to it."""
    deal = {
        "escalation_id": row["id"],
        "number": 1,
        "report": row["report"],
        "account": row["account"],
        "arr": str(row["arr_cents"] / 100),
        "currency": row["currency"],
        "reporter": row["report"]["reporter"]["email"],
        "idempotency_key": None,
        "created_at": row["created_at"],
    }
    linked = {**deal, "number": 2, "account": "Linked Co", "arr": "25000.00", "currency": "USD"}
    return [deal, linked] if int(row["id"][1:]) % 20 == 0 else [deal]


def _rows(
    template: dict[str, Any], n: int
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    created = NOW - timedelta(days=random.uniform(0, 120))  # a quarter before the 90 days
    page_at = created + timedelta(seconds=random.randint(20, 600))
    fixed = created + timedelta(hours=random.uniform(2, 90)) if random.random() < 0.7 else None
    fixed = fixed if fixed and fixed < NOW else None
    told = created + timedelta(minutes=random.randint(5, 180))
    sponsor_told = created + timedelta(minutes=random.randint(1, 90))
    rca_at = created + timedelta(hours=random.uniform(1, 12)) if n % 2 else None
    escalation_id = f"b{n:011d}"
    row = {
        **template,
        "id": escalation_id,
        "idempotency_key": None,
        "state": "fixed" if fixed else "acknowledged",
        "created_at": created,
        "updated_at": created,
        "fix_due": created + timedelta(hours=48),
        "rca_due": created + timedelta(hours=8),
        "acknowledged_at": page_at + timedelta(seconds=random.randint(30, 3600)),
        "fixed_at": fixed,
        "team": TEAMS[n % len(TEAMS)],
        "account": f"Account {n % 997}",
        "arr_cents": random.randint(50_000, 2_000_000) * 100,
        "currency": "USD" if n % 3 else "EUR",
        # The moments, as recording the effects and events below writes them.
        "page_sent_at": page_at,
        "buyer_told_at": told,
        "sponsor_told_at": sponsor_told,
        "rca_delivered_at": rca_at,
    }
    effect = {
        "escalation_id": escalation_id,
        "state": "done",
        "attempts": 1,
        "result": {},
        "created_at": created,
    }
    found = [
        {**effect, "kind": "page", "target": "", "payload": {}, "updated_at": page_at},
        {**effect, "kind": "ticket", "target": "", "payload": {}, "updated_at": page_at},
        {**effect, "kind": "email", "target": "escalated:dana@acme.example",
         "payload": {"to": "dana@acme.example", "role": "executive_sponsor", "topic": "escalated"},
         "updated_at": sponsor_told},
        {**effect, "kind": "email", "target": "customer-update:1",
         "payload": {"to": "hank@globex.example", "subject": "Update", "body": "Where we are"},
         "updated_at": told},
    ]  # fmt: skip
    timeline = [
        {"escalation_id": escalation_id, "at": created, "kind": "reported", "text": "Reported", "data": {}}
    ]
    if rca_at:
        timeline.append(
            {"escalation_id": escalation_id, "at": rca_at, "kind": "customer_update_sent", "text": "RCA",
             "data": {"to": "hank@globex.example", "rca": True, "number": 2}}
        )  # fmt: skip
    return row, found, timeline


def _answer(engine: Engine, url: str, folder: Path) -> float:
    """Milliseconds to answer GET /insights, the median of a few, once warmed up."""
    with _served(url, folder) as client:
        client.get("/insights").raise_for_status()
        timings = []
        for _ in range(ANSWERS):
            started = time.perf_counter()
            answer = client.get("/insights")
            timings.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
        return statistics.median(timings)


@contextmanager
def _served(url: str, folder: Path) -> Iterator[TestClient]:
    settings = write_config(folder, database_url=url).model_copy(
        update={"auth": AuthSettings(mode="none"), "dry_run": True}
    )
    services = make_services(settings, clock=FakeClock(NOW))
    try:
        with TestClient(create_app(services), base_url="http://127.0.0.1:8000") as client:
            yield client
    finally:
        services.close()


if __name__ == "__main__":
    main()
