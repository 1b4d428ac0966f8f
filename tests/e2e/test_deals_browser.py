"""The Sales Engineer reporting a failure already escalated for another deal: the match is shown
before anything is sent, and "this is a different failure" pages and files it on its own."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from integrator.application.escalate import parse_report
from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_browser import field, fill_report
from tests.support import TRACE, report_data

pytestmark = pytest.mark.browser


def initech_escalated(site: Site) -> str:
    """The same failure, escalated earlier for Initech (one page, one P1)."""
    data = report_data(stack_trace=TRACE)
    data["deal"] = {"account": "Initech", "arr": 500000}
    escalation, _ = site.services.escalator.escalate(parse_report(data))
    return escalation.id


def test_the_match_is_shown_before_sending_and_submitting_adds_the_deal_without_a_page(
    page: Page, site: Site
) -> None:
    first = initech_escalated(site)
    sign_in(page, site)
    fill_report(page)

    page.get_by_role("button", name="Page the owner and file the P1").click()

    notice = page.locator("#match-notice")
    expect(notice).to_contain_text(f"Same failure as escalation {first}")
    expect(notice).to_contain_text("for Initech — the engineer is already paged")
    expect(notice).to_contain_text("This report will be added to it.")
    assert site.escalation_count() == 1
    assert len(site.services.store.get(first).deals) == 1  # nothing stored yet
    expect(field(page, "failure.stack_trace")).to_have_value(TRACE)  # the report is kept

    page.get_by_role("button", name="Page the owner and file the P1").click()

    page.wait_for_url(re.compile(rf"/escalations/{first}$"))
    expect(page.locator("#arr-at-risk")).to_contain_text("980,000")
    expect(page.locator("#deals tr.deal")).to_have_count(2)
    expect(page.locator('#deals tr.deal[data-deal="2"]')).to_contain_text("Globex Corporation")
    assert len(site.pagerduty.incidents) == 1
    assert len(site.jira.issues) == 1


def test_ticking_different_failure_pages_and_files_the_report_on_its_own(page: Page, site: Site) -> None:
    first = initech_escalated(site)
    sign_in(page, site)
    fill_report(page)
    page.get_by_role("button", name="Page the owner and file the P1").click()
    expect(page.locator("#match-notice")).to_be_visible()

    page.get_by_label("This is a different failure").check()
    page.get_by_role("button", name="Page the owner and file the P1").click()

    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))
    assert not page.url.endswith(f"/escalations/{first}")
    assert site.escalation_count() == 2
    assert len(site.services.store.get(first).deals) == 1
    expect(page.locator("#deals")).to_have_count(0)


def test_a_deal_unlinked_on_the_escalation_page_gets_its_own_page_and_p1(page: Page, site: Site) -> None:
    first = initech_escalated(site)
    data = report_data(stack_trace=TRACE)
    data["deal"] = {"account": "Globex Corporation", "arr": 480000}
    site.services.escalator.escalate(parse_report(data))
    sign_in(page, site)
    page.goto(f"{site.url}/escalations/{first}")
    expect(page.locator("#deals tr.deal")).to_have_count(2)

    page.locator("#unlink-2").click()

    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))
    assert not page.url.endswith(f"/escalations/{first}")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(".lead").first).to_contain_text("Globex Corporation")
    assert site.escalation_count() == 2
    assert len(site.services.store.get(first).deals) == 1
    assert len(site.pagerduty.incidents) == 2
