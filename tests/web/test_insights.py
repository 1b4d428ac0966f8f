"""Insights on the web: the JSON at /api/v1/insights, the page (a table under each chart), the charts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.insights_history import INGEST, seed_history
from tests.web.conftest import World

PERIOD = {"since": "2026-11-01", "until": "2026-11-29"}


@pytest.fixture
def seeded(world: World) -> dict[str, str]:
    return seed_history(world.services, world.clock).ids


def test_the_api_answers_every_figure_of_the_period(
    client: TestClient, bearer: dict[str, str], seeded: dict[str, str]
) -> None:
    body = client.get("/api/v1/insights", params=PERIOD, headers=bearer).json()

    assert body["period"] == {
        "since": "2026-11-01T00:00:00+00:00",
        "until": "2026-11-29T00:00:00+00:00",
        "team": None,
    }
    assert (body["escalations"], body["deals"], body["still_open"]) == (4, 4, 2)
    assert body["arr_at_risk"] == [
        {"currency": "EUR", "amount": "250000.50"},
        {"currency": "USD", "amount": "600000.00"},
    ]
    every_team = {
        r["measure"]: (r["p50_seconds"], r["p90_seconds"]) for r in body["response"] if r["team"] is None
    }
    assert every_team == {
        "ack": (480, 1800),
        "fix": (72_000, 216_000),
        "page": (120, 360),
        "rca": (18_000, 36_000),
        "told": (1800, 5400),
    }
    assert body["promises"]["rca"] == {"kept": 2, "broken": 2, "share_kept": 0.5}
    assert body["promises"]["fix"] == {"kept": 1, "broken": 2, "share_kept": 0.3333}
    assert [(b["escalation_id"], b["promise"]) for b in body["promises"]["breaches"]] == [
        (seeded["C"], "rca"),
        (seeded["C"], "fix"),
        (seeded["B"], "rca"),
        (seeded["B"], "fix"),
    ]
    assert (
        body["promises"]["breaches"][0]["url"] == f"https://integrator.acme.example/escalations/{seeded['C']}"
    )
    assert body["protocol"] == {
        "tell_within_minutes": 60,
        "economic_buyer_told": {"count": 1, "share": 0.25},
        "executive_sponsor_told": {"count": 2, "share": 0.5},
        "environments_halted": 0,
    }
    assert [(w["starts"], w["escalations"]) for w in body["weeks"]] == [
        ("2026-11-01", 1),
        ("2026-11-08", 2),
        ("2026-11-15", 0),
        ("2026-11-22", 1),
    ]
    assert [(b["from_hours"], b["fixes"], b["within_clock"]) for b in body["time_to_fix"] if b["fixes"]] == [
        (12, 1, True),
        (60, 1, False),
    ]


def test_the_api_filters_by_team(client: TestClient, bearer: dict[str, str], seeded: dict[str, str]) -> None:
    body = client.get("/api/v1/insights", params={**PERIOD, "team": INGEST}, headers=bearer).json()

    assert (body["escalations"], body["period"]["team"]) == (2, INGEST)
    assert body["arr_at_risk"] == [{"currency": "USD", "amount": "600000.00"}]


def test_an_empty_period_answers_zeros_and_no_data_never_nan(
    client: TestClient, bearer: dict[str, str]
) -> None:
    answer = client.get("/api/v1/insights", headers=bearer)

    body = answer.json()
    assert answer.status_code == 200
    assert "NaN" not in answer.text
    assert (body["escalations"], body["arr_at_risk"], body["response"]) == (0, [], [])
    assert body["promises"]["rca"] == {"kept": 0, "broken": 0, "share_kept": None}
    assert body["protocol"]["economic_buyer_told"] == {"count": 0, "share": None}
    assert len(body["weeks"]) == 13  # the default period: the 90 days up to now


def test_a_bad_period_is_refused_naming_the_field(client: TestClient, bearer: dict[str, str]) -> None:
    bad_date = client.get("/api/v1/insights", params={"since": "last tuesday"}, headers=bearer)
    backwards = client.get(
        "/api/v1/insights", params={"since": "2026-11-02", "until": "2026-11-01"}, headers=bearer
    )
    unknown = client.get("/api/v1/insights", params={"teams": "x"}, headers=bearer)
    ages = client.get("/api/v1/insights", params={"since": "0001-01-01"}, headers=bearer)
    too_early = client.get("/api/v1/insights", params={"until": "0001-01-02"}, headers=bearer)

    assert bad_date.status_code == backwards.status_code == unknown.status_code == 422
    assert ages.status_code == too_early.status_code == 422
    assert ages.json()["fields"] == {"since": "the period may be at most 3660 days"}
    assert too_early.json()["fields"] == {"until": "is too early"}
    assert "since" in bad_date.text
    assert "since" in backwards.text
    assert "teams" in unknown.text


def test_the_api_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/insights").status_code == 401


def test_the_page_shows_each_figure_in_a_table_under_its_chart(
    browser: TestClient, seeded: dict[str, str]
) -> None:
    page = browser.get("/insights", params=PERIOD)

    html = page.text
    assert page.status_code == 200
    assert '<a href="/insights">Insights</a>' in html
    assert re.search(r'data-figure="escalations">4<', html)
    assert "EUR 250,000.50" in html
    assert "USD 600,000" in html
    assert html.count('<img class="chart"') == 3
    assert 'src="/insights/charts/weekly.svg?since=2026-11-01&amp;until=2026-11-29"' in html
    assert f'<a href="/escalations/{seeded["C"]}">' in html
    assert "2 min · 4 min" in html  # ingest: report → page sent, p50 · p90
    assert "1 of 4 · 25 %" in html  # the Economic Buyer told within 60 minutes
    assert "<script>" not in html
    assert "NaN" not in html


def test_each_chart_is_an_svg_image_without_script(browser: TestClient, seeded: dict[str, str]) -> None:
    for name in ("weekly", "response", "time-to-fix"):
        chart = browser.get(f"/insights/charts/{name}.svg", params=PERIOD)

        assert chart.status_code == 200
        assert chart.headers["content-type"] == "image/svg+xml"
        assert chart.text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<svg')
        assert "<script" not in chart.text
        assert "googleapis" not in chart.text
        assert "cdn" not in chart.text.lower()
    assert browser.get("/insights/charts/nope.svg").status_code == 404


def test_an_empty_period_says_no_escalations(browser: TestClient) -> None:
    page = browser.get("/insights", params={"since": "2020-01-01", "until": "2020-02-01"})

    assert page.status_code == 200
    assert "No escalations in this period." in page.text
    assert "NaN" not in page.text
