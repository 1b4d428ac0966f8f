"""Insights in a real Chromium: the figures, three charts drawn as images under the CSP, a phone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from pydantic import SecretStr

from integrator.settings import AuthSettings
from integrator.web.app import create_app
from tests.insights_history import seed_history
from tests.support import FakeClock, MemoryPager, MemoryTracker, make_services, write_config
from tests.web.serving import serving

pytestmark = pytest.mark.browser

PERIOD = "since=2026-11-01&until=2026-11-29"


@dataclass
class Served:
    url: str
    token: str
    ids: dict[str, str]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """integrator over SQLite holding the seeded history, signed in with a token."""
    settings = write_config(tmp_path).model_copy(
        update={
            "public_url": "http://127.0.0.1",
            "secret_key": SecretStr("e2e-secret-key-0123456789abcdef"),
            "auth": AuthSettings(mode="token"),
        }
    )
    clock = FakeClock()
    services = make_services(settings, clock=clock, pager=MemoryPager(), tracker=MemoryTracker())
    ids = seed_history(services, clock).ids
    token = services.tokens.create("priya")
    try:
        with serving(create_app(services)) as url:
            yield Served(url, token, ids)
    finally:
        services.close()


def sign_in(page: Page, served: Served, then: str) -> None:
    page.goto(f"{served.url}/signin")
    page.fill("#token", served.token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.url}/")
    page.goto(f"{served.url}{then}")


def console_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def record(message: ConsoleMessage) -> None:
        url = str(message.location.get("url", ""))
        if message.type == "error" and not url.endswith("/favicon.ico"):  # the app has no icon
            errors.append(f"{message.text} {url}")

    page.on("console", record)
    return errors


def chart_sizes(page: Page) -> list[int]:
    """Each chart image's natural width: 0 when the browser could not draw it."""
    widths: list[int] = page.eval_on_selector_all(
        "img.chart", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)"
    )
    return widths


def test_the_insights_page_shows_figures_and_charts_with_no_csp_violation(
    page: Page, served: Served, screenshot: Callable[[Page, str], Path]
) -> None:
    errors = console_errors(page)
    sign_in(page, served, "/")

    page.get_by_role("link", name="Insights").click()
    page.goto(f"{served.url}/insights?{PERIOD}")

    expect(page.locator('[data-figure="escalations"]')).to_have_text("4")
    expect(page.locator('[data-figure="still-open"]')).to_have_text("2")
    expect(page.locator('[data-figure="arr"]')).to_contain_text("EUR 250,000.50")
    expect(page.locator('tr[data-team="@acme/ingest"] [data-measure="page"]')).to_contain_text(
        "2 min · 4 min"
    )
    expect(page.locator('tr[data-promise="fix"]')).to_contain_text("33.3 %")
    expect(page.locator('tr[data-protocol="economic-buyer"]')).to_contain_text("1 of 4 · 25 %")
    expect(page.locator("#breaches a").first).to_have_text(served.ids["C"])
    page.wait_for_load_state("load")
    assert chart_sizes(page) == [480, 480, 480]
    screenshot(page, "insights")
    assert errors == []


def test_on_a_phone_the_charts_fit_the_screen(
    chromium: Browser, served: Served, screenshot: Callable[[Page, str], Path]
) -> None:
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
    )
    page = context.new_page()
    try:
        sign_in(page, served, f"/insights?{PERIOD}")
        page.wait_for_load_state("load")

        shown = page.eval_on_selector_all(
            "img.chart", "imgs => imgs.map(i => i.getBoundingClientRect().width)"
        )
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        screenshot(page, "insights-phone")
    finally:
        context.close()

    assert all(0 < width <= 390 for width in shown)
    assert overflow <= 0


def test_an_empty_period_says_no_escalations(page: Page, served: Served) -> None:
    sign_in(page, served, "/insights?since=2020-01-01&until=2020-02-01")

    expect(page.locator("#no-escalations")).to_have_text("No escalations in this period.")
    expect(page.locator("img.chart")).to_have_count(0)
