"""The sync pass at scale for `bench_burst`: seed many open escalations, then time one pass alone.

`python -m tests.bench.burst_sync --seed-sync FOLDER COUNT` escalates one report through the real
path (instant in-memory fakes), copies its rows COUNT - 1 times through the store's tables in one
transaction (each copy paged and filed under its own incident and issue), settles with one pass
and writes what PagerDuty and Jira say of every copy to FOLDER/world.json.
`python -m tests.bench.burst_sync --measure-sync FOLDER [--tracemalloc]`, in a fresh process,
rebuilds those fakes, then runs one steady-state pass: wall time, the time spent inside the fakes,
and the growth of peak RSS (or, with --tracemalloc, the traced peak). Each prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import tracemalloc
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from integrator.application.escalate import parse_report
from integrator.application.ports import SystemClock
from integrator.bootstrap import Services
from integrator.domain.escalation import IncidentStatus, IssueStatus
from integrator.store.tables import effects, escalations, events
from tests.support import MemoryPager, MemoryTracker, make_services, report_data, write_config


@dataclass
class TimedPager(MemoryPager):
    """The in-memory PagerDuty, adding up the time its status reads take."""

    spent: float = field(default=0.0)

    def incidents(self, service_ids: Any, *, since: datetime) -> list[IncidentStatus]:
        started = time.perf_counter()
        try:
            return super().incidents(service_ids, since=since)
        finally:
            self.spent += time.perf_counter() - started


@dataclass
class TimedTracker(MemoryTracker):
    """The in-memory Jira, adding up the time its status reads take."""

    spent: float = field(default=0.0)

    def statuses(self, keys: Any) -> list[IssueStatus]:
        started = time.perf_counter()
        try:
            return super().statuses(keys)
        finally:
            self.spent += time.perf_counter() - started


def services_over(folder: Path, pager: MemoryPager, tracker: MemoryTracker) -> Services:
    return make_services(write_config(folder), clock=SystemClock(), pager=pager, tracker=tracker)


def copies(template: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """`count` copies of an escalation row, each with its own id, key, incident and issue."""
    project = template["jira_key"].rsplit("-", 1)[0]
    rows = []
    for n in range(count):
        key = f"seed-{n}"
        rows.append(
            {
                **template,
                "id": f"s{n:011d}",
                "idempotency_key": key,
                "report": {**template["report"], "idempotency_key": key},
                "pd_incident_id": f"PS{n:06d}",
                "jira_key": f"{project}-{100_000 + n}",
            }
        )
    return rows


def rows_of(conn: Any, table: Any, column: Any, escalation_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(table).where(column == escalation_id)).mappings()]


def seed(folder: Path, count: int) -> dict[str, Any]:
    started = time.perf_counter()
    pager, tracker = MemoryPager(), MemoryTracker()
    services = services_over(folder, pager, tracker)
    first, _ = services.escalator.escalate(parse_report({**report_data(), "idempotency_key": "template"}))
    services.syncer.run_pass()
    engine = services.store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        (template,) = rows_of(conn, escalations, escalations.c.id, first.id)
        children = {t: rows_of(conn, t, t.c.escalation_id, first.id) for t in (effects, events)}
        rows = copies(template, count - 1)
        conn.execute(insert(escalations), rows)
        for table, template_rows in children.items():
            columns = [{k: v for k, v in r.items() if k != "id"} for r in template_rows]
            conn.execute(insert(table), [{**c, "escalation_id": row["id"]} for row in rows for c in columns])
    incident = pager.states[first.page.incident_id]  # type: ignore[union-attr]
    issue = tracker.issues[first.ticket.key]  # type: ignore[union-attr]
    world = {
        "incidents": [asdict(incident)]
        + [asdict(replace(incident, incident_id=r["pd_incident_id"], incident_key=r["id"])) for r in rows],
        "issues": [asdict(issue)] + [asdict(replace(issue, key=r["jira_key"])) for r in rows],
    }
    (folder / "world.json").write_text(json.dumps(world, default=str))
    settle = services_over(folder, *fakes(folder)).syncer.run_pass()
    return {"seconds": time.perf_counter() - started, "settled_changed": settle.changed}


def fakes(folder: Path) -> tuple[TimedPager, TimedTracker]:
    """PagerDuty and Jira as the seeding left them: every incident triggered, every issue filed."""
    world = json.loads((folder / "world.json").read_text())
    pager, tracker = TimedPager(), TimedTracker()
    for found in world["incidents"]:
        pager.states[found["incident_id"]] = IncidentStatus(**{**found, "acknowledged_at": None})
    for found in world["issues"]:
        tracker.issues[found["key"]] = IssueStatus(**found)
    return pager, tracker


def measure(folder: Path, *, traced: bool) -> dict[str, Any]:
    pager, tracker = fakes(folder)
    services = services_over(folder, pager, tracker)
    services.store.pending_effects()  # the first query pays for the connection and the schema cache
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    summary = services.syncer.run_pass()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if summary.problems:
        raise SystemExit(f"the pass had problems: {summary.problems}")
    return {
        "seconds": seconds,
        "fakes_seconds": pager.spent + tracker.spent,
        "rss_growth_mb": (after - before) / 1024,  # ru_maxrss is in KiB on Linux
        "traced_peak_mb": peak / 2**20,
        "watched": summary.watched,
        "changed": summary.changed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-sync", nargs=2, metavar=("FOLDER", "COUNT"))
    parser.add_argument("--measure-sync", metavar="FOLDER")
    parser.add_argument("--tracemalloc", action="store_true")
    arguments = parser.parse_args()
    if arguments.seed_sync:
        answer = seed(Path(arguments.seed_sync[0]), int(arguments.seed_sync[1]))
    else:
        answer = measure(Path(arguments.measure_sync), traced=arguments.tracemalloc)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
