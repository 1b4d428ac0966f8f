"""The Insights report over the in-memory store: shares, weeks, the fix clock's bars, how figures read."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from integrator.application.insights import duration, percent, read_insights, share
from integrator.domain.insights import nearest_rank
from integrator.errors import InvalidInput
from tests.insights_history import NOW, SINCE, UNTIL, seed_history
from tests.support import FakeClock, memory_services


def test_a_share_of_nothing_is_none_and_reads_no_data() -> None:
    assert share(0, 0) is None
    assert percent(None) == "no data"
    assert (share(1, 3), percent(share(1, 3)), percent(1.0)) == (0.3333, "33.3 %", "100 %")


def test_durations_read_in_the_largest_sensible_units() -> None:
    assert [duration(s) for s in (None, 45, 120, 5400, 7200, 216_000, 172_800)] == [
        "no data",
        "45 s",
        "2 min",
        "1 h 30 min",
        "2 h",
        "2 d 12 h",
        "2 d",
    ]


def test_nearest_rank_takes_the_smallest_value_covering_the_share() -> None:
    assert [nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p) for p in (50, 90)] == [5, 9]
    assert [nearest_rank([7], p) for p in (50, 90)] == [7, 7]


def test_the_report_fills_every_week_and_marks_bars_by_the_configured_fix_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    services = memory_services(tmp_path, clock=clock)
    seed_history(services, clock)

    report = read_insights(services.stats, now=NOW, since=SINCE, until=UNTIL, fix_hours=24)

    assert [(w.starts.day, w.escalations, {c: str(a) for c, a in w.arr.items()}) for w in report.weeks()] == [
        (1, 1, {"EUR": "0.00", "USD": "480000.00"}),
        (8, 2, {"EUR": "200000.00", "USD": "120000.00"}),
        (15, 0, {"EUR": "0.00", "USD": "0.00"}),
        (22, 1, {"EUR": "50000.50", "USD": "0.00"}),
    ]
    assert [(b.start_hours, b.within_clock) for b in report.fix_bins()][:3] == [
        (0, True),
        (12, True),
        (24, False),
    ]
    assert report.teams() == ["@acme/ingest", "@acme/platform", ""]
    assert report.breaches_cut is False


def test_the_default_period_is_the_90_days_up_to_now(tmp_path: Path) -> None:
    report = read_insights(memory_services(tmp_path).stats, now=NOW)

    assert (report.query.since, report.query.until) == (NOW - timedelta(days=90), NOW)
    assert report.empty
    assert len(report.weeks()) == 13


def test_a_period_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_insights(memory_services(tmp_path).stats, now=NOW, since=UNTIL, until=SINCE)

    assert refused.value.fields == {"since": "must be before until"}
