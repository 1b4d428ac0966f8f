"""`integrator insights` over a seeded history (SQLite, PostgreSQL): table, --json, --csv, bad dates."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from integrator.bootstrap import Services
from integrator.cli.app import app
from tests.insights_history import INGEST, seed_history
from tests.support import FakeClock, MemoryPager, MemoryTracker, make_services, write_config

PERIOD = ["--since", "2026-11-01", "--until", "2026-11-29"]


@pytest.fixture
def services(database_url: str, tmp_path: Path) -> Iterator[Services]:
    clock = FakeClock()
    built = make_services(
        write_config(tmp_path, database_url=database_url),
        clock=clock,
        pager=MemoryPager(),
        tracker=MemoryTracker(),
    )
    seed_history(built, clock)
    yield built
    built.close()


def insights(services: Services, *args: str) -> Result:
    return CliRunner().invoke(app, ["insights", *args], obj=services, catch_exceptions=False)


def test_the_table_shows_counts_response_promises_and_protocol(services: Services) -> None:
    result = insights(services, *PERIOD)

    assert result.exit_code == 0, result.output
    assert "Escalations 4 · deals affected 4 · still open 2" in result.stdout
    assert "ARR at risk: 250,000.50 EUR, 600,000.00 USD" in result.stdout
    assert re.search(r"@acme/ingest +│ Report → page sent +│ 2 min +│ 4 min +│ 2 ", result.stdout)
    assert re.search(r"@acme/platform +│ Page → acknowledged +│ no data +│ no data +│ 0 ", result.stdout)
    assert "Breaches: 2 escalation(s)" in result.stdout
    assert "Economic Buyer told within 60 min: 1 of 4 (25 %)" in result.stdout
    assert "Executive Sponsor told within 60 min: 2 of 4 (50 %)" in result.stdout


def test_json_is_the_api_shape(services: Services) -> None:
    result = insights(services, *PERIOD, "--team", INGEST, "--json")

    body = json.loads(result.stdout)
    assert (body["escalations"], body["period"]["team"]) == (2, INGEST)
    assert body["promises"]["fix"] == {"kept": 1, "broken": 1, "share_kept": 0.5}


def test_csv_has_one_row_per_figure(services: Services) -> None:
    result = insights(services, *PERIOD, "--csv")

    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["figure", "team", "value"]
    assert ["escalations", "", "4"] in rows
    assert ["arr_at_risk_EUR", "", "250000.50"] in rows
    assert ["page_p90_seconds", INGEST, "240"] in rows
    assert ["rca_share_kept", "", "0.5"] in rows


def test_an_empty_period_says_no_escalations(services: Services) -> None:
    table = insights(services, "--since", "2020-01-01", "--until", "2020-02-01")
    as_csv = insights(services, "--since", "2020-01-01", "--until", "2020-02-01", "--csv")

    assert table.exit_code == 0
    assert "No escalations in this period." in table.stdout
    assert ["fix_share_kept", "", ""] in list(csv.reader(io.StringIO(as_csv.stdout)))
    assert "nan" not in as_csv.stdout.lower()


def test_a_bad_date_names_the_flag_and_exits_2(services: Services) -> None:
    result = insights(services, "--since", "yesterday-ish")

    assert result.exit_code == 2
    assert "--since must be a date (2026-09-01) or an ISO time" in result.stderr
