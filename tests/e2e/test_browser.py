"""A Sales Engineer in a real browser: paste a trace, see the owner, submit, watch page and ticket land."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from integrator.application.escalate import parse_report
from tests.e2e.conftest import Site, sign_in
from tests.fakes import Delay
from tests.support import TRACE, report_data

pytestmark = pytest.mark.browser


def field(page: Page, name: str) -> Locator:
    return page.locator(f'[name="{name}"]')


def effect(page: Page, kind: str) -> Locator:
    return page.locator(f'[data-effect="{kind}"]')


def fill_report(page: Page, *, arr: str = "480k") -> None:
    field(page, "failure.title").fill("Batch ingest drops rows when the pool is exhausted")
    field(page, "failure.stack_trace").fill(TRACE)
    field(page, "failure.observed").fill("1.2% of rows missing after the 02:00 load")
    field(page, "deal.account").fill("Globex Corporation")
    field(page, "deal.arr").fill(arr)
    field(page, "reporter.email").fill("priya@acme.example")
    field(page, "deal.economic_buyer.email").fill("hank@globex.example")
    field(page, "deal.executive_sponsor.email").fill("dana@acme.example")


def test_a_pasted_trace_shows_the_owner_first_then_pages_and_files_for_real(
    page: Page, site: Site, screenshot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, site)
    fill_report(page)

    preview = page.locator("#owner-preview")
    expect(preview).to_contain_text("bob@acme.example")
    expect(preview).to_contain_text(
        "Registry line 6: /services/ingest/connectors/ @acme/ingest bob@acme.example"
    )
    expect(field(page, "reporter.time_zone")).to_have_value("America/New_York")  # the browser's own
    screenshot(page, "form")
    page.get_by_role("button", name="Page the owner and file the P1").click()

    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))
    expect(effect(page, "page")).to_have_attribute("data-state", "delivered")
    expect(effect(page, "ticket")).to_have_attribute("data-state", "delivered", timeout=15_000)
    expect(effect(page, "link")).to_have_attribute("data-state", "delivered", timeout=15_000)
    (issue,) = site.jira.issues
    (incident,) = site.pagerduty.incidents
    expect(page.locator("#ticket a")).to_have_text(issue.key)
    expect(page.locator("#page a")).to_have_text(incident.id)
    expect(page.locator("#owner")).to_contain_text("bob@acme.example")
    expect(page.locator("#clocks")).to_contain_text("47 h")
    screenshot(page, "escalation")


def test_a_bad_entry_comes_back_kept_with_a_message_at_the_field(page: Page, site: Site) -> None:
    sign_in(page, site)
    fill_report(page, arr="lots")
    field(page, "reporter.email").fill("priya at acme")

    page.get_by_role("button", name="Page the owner and file the P1").click()

    expect(page.locator('[id="deal.arr-error"]')).to_have_text(
        "'lots' is not an amount; write it like 480000, 480,000, $500k, 1.2M or USD 480000"
    )
    expect(page.locator('[id="reporter.email-error"]')).to_have_text("is not an email address")
    expect(field(page, "failure.stack_trace")).to_have_value(TRACE)
    expect(field(page, "deal.account")).to_have_value("Globex Corporation")
    assert site.escalation_count() == 0
    assert site.pagerduty.requests_to("POST", "/incidents") == []


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_two_clicks_on_submit_within_100_ms_create_one_escalation(
    chromium: object, site: Site, javascript: bool
) -> None:
    context = chromium.new_context(java_script_enabled=javascript)  # type: ignore[attr-defined]
    page = context.new_page()
    sign_in(page, site)
    fill_report(page)
    field(page, "failure.locations").fill("services/ingest/api/batch.py")

    page.locator("#submit").click(click_count=2, delay=50)

    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))
    context.close()
    assert site.escalation_count() == 1
    assert len(site.pagerduty.requests_to("POST", "/incidents")) == 1


def test_with_jira_hanging_for_30_s_the_reply_comes_in_seconds_with_the_page_delivered(
    page: Page, site: Site
) -> None:
    site.jira.faults.add("POST", r"/rest/api/2/issue", Delay(30), times=1)
    sign_in(page, site)
    fill_report(page)

    started = time.monotonic()
    page.get_by_role("button", name="Page the owner and file the P1").click()
    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))
    elapsed = time.monotonic() - started

    assert elapsed < 4.0
    expect(effect(page, "page")).to_have_attribute("data-state", "delivered", timeout=1)
    expect(effect(page, "ticket")).to_have_attribute("data-state", "pending", timeout=1)
    expect(page.locator("#live")).to_contain_text("this page updates itself")


def test_a_known_account_is_suggested_and_fills_the_deal_which_stays_editable(page: Page, site: Site) -> None:
    earlier = report_data()
    earlier["deal"] = {
        **earlier["deal"],
        "account": "Globex Corporation",
        "arr": "€1.2M",
        "poc_ends_on": "2026-12-18",
    }
    site.services.escalator.submit(parse_report(earlier))  # another SE reported this account before
    sign_in(page, site)

    field(page, "deal.account").press_sequentially("glo")
    expect(page.locator("#known-accounts option")).to_have_attribute("value", "Globex Corporation")
    field(page, "deal.account").fill("Globex Corporation")  # as choosing the suggestion does

    expect(field(page, "deal.arr")).to_have_value("1200000")
    expect(field(page, "deal.currency")).to_have_value("EUR")
    expect(field(page, "deal.poc_ends_on")).to_have_value("2026-12-18")
    expect(field(page, "deal.economic_buyer.name")).to_have_value("Hank Scorpio")
    expect(field(page, "deal.economic_buyer.email")).to_have_value("hank@globex.example")
    expect(field(page, "deal.executive_sponsor.email")).to_have_value("dana@acme.example")
    field(page, "deal.arr").fill("1.5M")  # the SE's own entry wins
    field(page, "failure.title").fill("Batch ingest drops rows again")
    field(page, "failure.stack_trace").fill(TRACE)
    field(page, "reporter.email").fill("priya@acme.example")
    page.get_by_role("button", name="Page the owner and file the P1").click()

    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))
    latest = site.services.accounts.get("globex corporation")
    assert (latest.arr, latest.currency) == (Decimal("1500000"), "EUR")
    assert latest.economic_buyer is not None
    assert latest.economic_buyer.email == "hank@globex.example"


def test_the_browser_remembers_the_reporter_for_the_next_report(page: Page, site: Site) -> None:
    sign_in(page, site)
    fill_report(page)
    field(page, "reporter.name").fill("Priya Raman")
    field(page, "reporter.time_zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Page the owner and file the P1").click()
    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))

    page.goto(f"{site.url}/")

    expect(field(page, "reporter.name")).to_have_value("Priya Raman")
    expect(field(page, "reporter.email")).to_have_value("priya@acme.example")
    expect(field(page, "reporter.time_zone")).to_have_value("Europe/Berlin")
