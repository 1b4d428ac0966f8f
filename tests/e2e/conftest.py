"""A real headless Chromium against `integrator` served by uvicorn, paging and filing through the real
adapters into the loopback fake PagerDuty (TLS) and Jira servers. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr

from integrator.adapters.jira.client import JiraTracker
from integrator.adapters.pagerduty.client import PagerDutyPager
from integrator.application.ports import SystemClock
from integrator.application.retrying import RetryPolicy
from integrator.bootstrap import Services
from integrator.settings import AuthSettings, JiraSettings, PagerDutySettings
from integrator.web.app import create_app
from tests.fakes import FakeJira, FakePagerDuty
from tests.fakes.world import JIRA_API_TOKEN, JIRA_EMAIL, PD_API_KEY, PD_FROM
from tests.support import CATALOG, make_services, write_config
from tests.web.serving import serving

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Site:
    """integrator as served for the browser, with what it sends to."""

    url: str
    token: str
    services: Services
    jira: FakeJira
    pagerduty: FakePagerDuty

    def escalation_count(self) -> int:
        return len(self.services.store.recent())


@pytest.fixture
def site_config() -> dict[str, Any]:
    """Settings a test module adds to the site's (it overrides this fixture); a catalog text as `catalog`."""
    return {}


@pytest.fixture
def site(
    tmp_path: Path, fake_jira: FakeJira, fake_pagerduty: FakePagerDuty, site_config: dict[str, Any]
) -> Iterator[Site]:
    assert fake_pagerduty.ca_file is not None
    extra = dict(site_config)
    settings = write_config(tmp_path, catalog=extra.pop("catalog", CATALOG)).model_copy(
        update={
            "public_url": "http://127.0.0.1",
            "secret_key": SecretStr("e2e-secret-key-0123456789abcdef"),
            "auth": AuthSettings(mode="token"),
            "jira": JiraSettings(
                url=fake_jira.url, email=JIRA_EMAIL, api_token=SecretStr(JIRA_API_TOKEN), timeout_seconds=3
            ),
            "pagerduty": PagerDutySettings(
                api_key=SecretStr(PD_API_KEY),
                from_email=PD_FROM,
                api_url=fake_pagerduty.url,
                timeout_seconds=5,
            ),
            **extra,
        }
    )
    pager = PagerDutyPager(settings.pagerduty, verify=str(fake_pagerduty.ca_file))
    tracker = JiraTracker(settings.jira)
    services = make_services(
        settings, clock=SystemClock(), pager=pager, tracker=tracker, retry=RetryPolicy.none()
    )
    token = services.tokens.create("priya")
    try:
        with serving(create_app(services, page_wait=3.0)) as url:
            yield Site(url, token, services, fake_jira, fake_pagerduty)
    finally:
        pager.close()
        tracker.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York")
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as test-artifacts/e2e/NAME.png (not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/")
    page.fill("#token", site.token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/")
