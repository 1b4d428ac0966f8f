"""Who knows, in a real browser: the disclosure panel first on the escalation page, after a report naming
every contact and after one naming none (warned of before anything is sent)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_browser import field, fill_report
from tests.integration.test_email import Inbox, plain_server, smtp_settings  # noqa: F401 - the fixture
from tests.integration.test_executive_escalation import EXECUTIVES

pytestmark = pytest.mark.browser
SLOW = 15_000  # ms: emails and the ticket follow the page in the background; the page reloads itself


@pytest.fixture
def site_config(plain_server: tuple[Inbox, int]) -> dict[str, Any]:  # noqa: F811
    """Email through a real SMTP server, and a catalog naming the executive escalation."""
    _, port = plain_server
    return {"catalog": EXECUTIVES, "smtp": smtp_settings(port)}


def row(page: Page, role: str) -> Locator:
    return page.locator(f'#disclosure tr[data-role="{role}"]')


def submit(page: Page) -> None:
    page.get_by_role("button", name="Page the owner and file the P1").click()


def test_after_a_report_naming_everyone_the_panel_shows_each_told_and_the_customer_once_updated(
    page: Page,
    site: Site,
    plain_server: tuple[Inbox, int],  # noqa: F811 - the fixture
    screenshot: Callable[[Page, str], Path],
) -> None:
    sign_in(page, site)
    fill_report(page)
    field(page, "deal.economic_buyer.name").fill("Hank Scorpio")
    field(page, "deal.executive_sponsor.name").fill("Dana Whitfield")
    field(page, "deal.account_executive.email").fill("sam@acme.example")
    submit(page)
    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))

    panel = page.locator("#disclosure")
    expect(panel).to_be_visible()
    first = page.locator("main section.card").first
    expect(first).to_have_id("disclosure")
    expect(row(page, "engineer")).to_have_attribute("data-state", "told")
    expect(row(page, "engineer")).to_contain_text("bob@acme.example")
    for role in ("executive_sponsor", "account_executive", "executive_escalation", "reporter"):
        expect(row(page, role)).to_have_attribute("data-state", "told", timeout=SLOW)
    expect(row(page, "executive_escalation")).to_contain_text("eng-director@acme.example")
    expect(row(page, "economic_buyer")).to_have_attribute("data-state", "pending")
    expect(row(page, "economic_buyer")).to_contain_text("no customer update sent yet")
    expect(row(page, "breach_contact")).to_contain_text("told only if the fix clock is breached")
    expect(page.locator("#effects table")).to_be_hidden()  # the raw effects: below, collapsed
    page.locator("#effects summary").click()
    expect(page.locator("#effects table")).to_be_visible()
    screenshot(page, "disclosure-all-named")

    page.locator("#update-send").click()

    expect(row(page, "economic_buyer")).to_have_attribute("data-state", "told", timeout=SLOW)
    expect(row(page, "economic_buyer")).to_contain_text("customer update")
    inbox, _ = plain_server
    told = sorted(str(m["To"]) for m in inbox.received())
    assert told == sorted(
        [
            "bob@acme.example",
            "dana@acme.example",
            "eng-director@acme.example",
            "hank@globex.example",
            "priya@acme.example",
            "sam@acme.example",
        ]
    )
    page.goto(f"{site.url}/escalations")
    expect(page.locator("td[data-customer-told]")).to_have_attribute("data-customer-told", "told")


def test_a_report_naming_nobody_is_warned_of_before_submit_and_the_panel_says_not_named(
    page: Page, site: Site, screenshot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, site)
    fill_report(page)
    field(page, "deal.economic_buyer.email").fill("")
    field(page, "deal.executive_sponsor.email").fill("")
    submit(page)

    warning = page.locator("#contact-warnings")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("deal.economic_buyer.email: no Economic Buyer is named")
    expect(warning).to_contain_text("deal.executive_sponsor.email: no Executive Sponsor is named")
    expect(field(page, "deal.account")).to_have_value("Globex Corporation")  # the report is kept
    assert site.escalation_count() == 0
    assert site.pagerduty.requests_to("POST", "/incidents") == []
    screenshot(page, "disclosure-warning")

    page.get_by_role("button", name="Submit without telling them").click()
    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))

    for role in ("economic_buyer", "executive_sponsor", "account_executive"):
        expect(row(page, role)).to_have_attribute("data-state", "not_named")
        expect(row(page, role)).to_contain_text("not named")
    expect(row(page, "engineer")).to_have_attribute("data-state", "told")
    expect(row(page, "reporter")).to_have_attribute("data-state", "told", timeout=SLOW)
    assert site.escalation_count() == 1
    page.goto(f"{site.url}/escalations")
    expect(page.locator("td[data-customer-told]")).to_contain_text("no buyer named")
