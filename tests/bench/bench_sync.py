"""Requests one status-sync pass makes for 10, 100 and 1,000 open escalations, and its wall time.

Run: `python -m tests.bench.bench_sync`. The real `jira` and `pagerduty` clients talk to the
loopback fakes (zero latency, TLS for PagerDuty), SQLite in a temporary folder. For each size,
the open escalations are paged and filed first; then one steady-state pass is measured (nothing
changed, so every request is a status read). Printed beside it: the lower bound (the batches the
pull needs: ceil(n/100) Jira searches plus ceil(incidents/100) PagerDuty list pages) and the naive
count (one GET per issue and one per incident). Figures only: nothing is asserted on time.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `integrator` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


from integrator.application.escalate import parse_report
from integrator.application.ports import SystemClock
from integrator.application.retrying import RetryPolicy
from tests.fakes import FakeJira, FakePagerDuty
from tests.fakes.clients import real_clients
from tests.support import make_services, report_data, write_config

SIZES = (10, 100, 1000)


def main() -> None:
    print("Requests per status-sync pass (steady state, zero-latency loopback fakes, SQLite):")
    print(f"{'open':>6} {'made':>6} {'lower bound':>12} {'naive':>7} {'wall ms':>9}")
    with FakeJira() as jira, FakePagerDuty() as pagerduty, tempfile.TemporaryDirectory() as folder:
        settings = write_config(Path(folder))
        tracker, pager = real_clients(jira, pagerduty, timeout=30)
        services = make_services(
            settings,
            clock=SystemClock(),
            pager=pager,
            tracker=tracker,
            retry=RetryPolicy.none(),  # type: ignore[arg-type]
        )
        made = 0
        for size in SIZES:
            while made < size:
                data = report_data(title=f"Batch ingest drops rows (run {made})")
                services.escalator.escalate(parse_report({**data, "idempotency_key": f"bench-{made}"}))
                made += 1
            services.syncer.run_pass()  # settle: anything owed by the new escalations is sent
            before = len(jira.requests) + len(pagerduty.requests)
            started = time.perf_counter()
            summary = services.syncer.run_pass()
            wall = (time.perf_counter() - started) * 1000
            requests = len(jira.requests) + len(pagerduty.requests) - before
            incidents = len(pagerduty.incidents)
            bound = math.ceil(size / 100) + math.ceil(incidents / 100)
            if summary.watched != size or summary.problems:
                raise SystemExit(f"unexpected pass: {summary}")
            print(f"{size:>6} {requests:>6} {bound:>12} {2 * size:>7} {wall:>9.1f}")
        tracker.close()
        pager.close()


if __name__ == "__main__":
    main()
