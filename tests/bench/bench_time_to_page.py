"""Time to page: how long integrator itself takes from a report to the PagerDuty page, with instant fakes.

Run: `python -m tests.bench.bench_time_to_page` (or `python tests/bench/bench_time_to_page.py`). The
real `jira` and `pagerduty` clients talk to the loopback fakes (TLS for PagerDuty, no contract
checks, so they answer at once), SQLite in a temporary folder, the default retry policy. Each
escalation is timed as the CLI runs it, from the report's JSON text through `parse_report` and
`Escalator.escalate`, until the fake PagerDuty has read the `POST /incidents` (nothing is
subtracted). After a warm-up (TLS, the user and priority lookups, Jira's serverInfo), it prints the
median, p99 and worst of `BENCH_ESCALATIONS` (default 200) against the target, p99 < 50 ms, and the
whole escalate call (page, P1, cross-link) beside it. Figures only: nothing is asserted on time.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `integrator` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


from integrator import bootstrap
from integrator.application.escalate import parse_report
from integrator.application.ports import SystemClock
from integrator.application.retrying import RetryPolicy
from tests.fakes import FakeJira, FakePagerDuty, Recorded
from tests.fakes.clients import real_clients
from tests.fakes.server import Route
from tests.support import report_data, write_config

ESCALATIONS = int(os.environ.get("BENCH_ESCALATIONS", "200"))
WARM_UP = 10
TARGET_P99_MS = 50.0


class TimedPagerDuty(FakePagerDuty):
    """The fake PagerDuty, noting the moment each `POST /incidents` has been read, before anything else."""

    def __init__(self) -> None:
        super().__init__(validate=False)
        self.paged_at: list[float] = []

    def _check_request(self, request: Recorded, found: tuple[Route, re.Match[str]] | None) -> None:
        if request.method == "POST" and request.path == "/incidents":
            self.paged_at.append(time.perf_counter())
        super()._check_request(request, found)


def reports(count: int, start: int) -> list[str]:
    """Distinct reports as JSON text, as `escalate --file` reads them."""
    return [
        json.dumps(
            {**report_data(title=f"Batch ingest drops rows (run {n})"), "idempotency_key": f"bench-{n}"}
        )
        for n in range(start, start + count)
    ]


def escalate_all(
    services: bootstrap.Services, pagerduty: TimedPagerDuty, texts: list[str]
) -> list[tuple[float, float]]:
    """(time to page, whole escalate call), in seconds, for each report."""
    timings = []
    for text in texts:
        paged_before = len(pagerduty.paged_at)
        started = time.perf_counter()
        escalation, _ = services.escalator.escalate(parse_report(text))
        finished = time.perf_counter()
        if (
            escalation.page is None
            or escalation.ticket is None
            or len(pagerduty.paged_at) != paged_before + 1
        ):
            raise SystemExit(f"escalation {escalation.id} was not paged and filed once: {escalation.effects}")
        timings.append((pagerduty.paged_at[-1] - started, finished - started))
    return timings


def milliseconds(values: list[float]) -> tuple[float, float, float]:
    """Median, p99 and worst, in milliseconds."""
    p99 = statistics.quantiles(values, n=100)[98]
    return statistics.median(values) * 1000, p99 * 1000, max(values) * 1000


def main() -> None:
    with (
        FakeJira(validate=False) as jira,
        TimedPagerDuty() as pagerduty,
        tempfile.TemporaryDirectory() as folder,
    ):
        tracker, pager = real_clients(jira, pagerduty)
        services = bootstrap.build(
            write_config(Path(folder)), clock=SystemClock(), retry=RetryPolicy(), pager=pager, tracker=tracker
        )
        try:
            escalate_all(services, pagerduty, reports(WARM_UP, 0))
            timings = escalate_all(services, pagerduty, reports(ESCALATIONS, WARM_UP))
        finally:
            tracker.close()
            pager.close()
            services.close()

    to_page = milliseconds([page for page, _ in timings])
    whole = milliseconds([call for _, call in timings])
    print(f"Time to page: {ESCALATIONS} escalations, SQLite, real clients, instant loopback fakes")
    print(f"{'':<40} {'median ms':>9} {'p99 ms':>8} {'worst ms':>9}")
    for label, (median, p99, worst) in (
        ("report -> POST /incidents at PagerDuty", to_page),
        ("whole escalate (page, P1, cross-link)", whole),
    ):
        print(f"{label:<40} {median:>9.1f} {p99:>8.1f} {worst:>9.1f}")
    verdict = "met" if to_page[1] < TARGET_P99_MS else "NOT met"
    print(f"target: p99 time to page < {TARGET_P99_MS:.0f} ms: {verdict}")
    # The tail moves with whatever else the machine runs; say how busy it was.
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} over the last minute")


if __name__ == "__main__":
    main()
