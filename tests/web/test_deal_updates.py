"""A customer update to one deal of several: drafted for that deal's buyer, sent to them alone (or to
every deal's buyer), and only that deal's disclosure row turns told; the panel is grouped by deal."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.support import TRACE, report_data
from tests.web.helpers import eventually
from tests.web.test_customer_update import RecordingMailer, draft, mailer  # noqa: F401 - the fixture


def deal(account: str) -> dict[str, Any]:
    """A report of the connection-pool failure (one fingerprint) from `account`'s proof-of-concept."""
    data = report_data(stack_trace=TRACE)
    low = account.lower()
    data["deal"] = {
        "account": account,
        "arr": 100000,
        "economic_buyer": {"name": f"Buyer {account}", "email": f"buyer@{low}.example"},
    }
    data["reporter"] = {"name": f"SE {account}", "email": f"se@{low}.example", "time_zone": "UTC"}
    return data


def two_deals(client: TestClient, bearer: dict[str, str]) -> str:
    first = client.post("/api/v1/escalations", json=deal("Initech"), headers=bearer).json()
    second = client.post("/api/v1/escalations", json=deal("Globex"), headers=bearer).json()
    assert (second["id"], second["deal"]) == (first["id"], 2)
    escalation_id: str = first["id"]
    return escalation_id


def buyers(client: TestClient, bearer: dict[str, str], escalation_id: str) -> dict[int, str]:
    shown = client.get(f"/api/v1/escalations/{escalation_id}", headers=bearer).json()
    return {r["deal"]: r["state"] for r in shown["disclosure"] if r["role"] == "economic_buyer"}


def post(browser: TestClient, escalation_id: str, form: dict[str, str]) -> Any:
    return browser.post(f"/escalations/{escalation_id}/customer-update", data=form, follow_redirects=False)


def test_an_update_to_deal_two_reaches_deal_twos_buyer_only(
    browser: TestClient,
    bearer: dict[str, str],
    mailer: RecordingMailer,  # noqa: F811
) -> None:
    escalation_id = two_deals(browser, bearer)
    page = browser.get(f"/escalations/{escalation_id}?deal=2").text
    form = draft(page)
    assert form["to"] == "buyer@globex.example"  # drafted for deal 2's customer
    assert form["body"].startswith("Hi Buyer,")
    assert '<option value="2" selected>Deal 2 · Globex</option>' in page

    answer = post(browser, escalation_id, {**form, "deal": "2"})

    assert answer.status_code == 303
    eventually(lambda: bool(mailer.to("buyer@globex.example")))
    assert [m.to for m in mailer.sent if m.subject == form["subject"]] == ["buyer@globex.example"]
    assert buyers(browser, bearer, escalation_id) == {1: "pending", 2: "told"}


def test_an_update_to_every_deal_reaches_each_deals_buyer_once(
    browser: TestClient,
    bearer: dict[str, str],
    mailer: RecordingMailer,  # noqa: F811
) -> None:
    escalation_id = two_deals(browser, bearer)
    form = {**draft(browser.get(f"/escalations/{escalation_id}").text), "deal": "all", "to": ""}
    form["body"] = "Hello, the fix is in progress and on schedule."

    post(browser, escalation_id, form)
    post(browser, escalation_id, form)  # a double click

    eventually(lambda: len([m for m in mailer.sent if m.subject == form["subject"]]) == 2)
    assert sorted(m.to for m in mailer.sent if m.subject == form["subject"]) == [
        "buyer@globex.example",
        "buyer@initech.example",
    ]
    assert buyers(browser, bearer, escalation_id) == {1: "told", 2: "told"}


def test_an_update_to_a_deal_it_does_not_have_is_refused_naming_the_field(
    browser: TestClient,
    bearer: dict[str, str],
    mailer: RecordingMailer,  # noqa: F811
) -> None:
    escalation_id = two_deals(browser, bearer)
    form = draft(browser.get(f"/escalations/{escalation_id}").text)

    answer = post(browser, escalation_id, {**form, "deal": "5"})

    assert answer.status_code == 422
    assert re.search(r'<a href="#update-deal">deal</a>: escalation \w+ has no deal 5', answer.text)
    shown = browser.get(f"/api/v1/escalations/{escalation_id}", headers=bearer).json()
    assert [f for f in shown["effects"] if f["target"].startswith("customer-update")] == []


def test_the_panel_groups_each_deals_people_then_those_they_share(
    browser: TestClient, bearer: dict[str, str]
) -> None:
    escalation_id = two_deals(browser, bearer)

    page = browser.get(f"/escalations/{escalation_id}").text

    groups = re.findall(r'<tr class="disclosure-group" data-deal="(\w+)">', page)
    assert groups == ["1", "2", "shared"]
    assert re.search(r'data-role="reporter" data-state="\w+" data-deal="2"', page)
    assert "Deal 2 · Globex" in page
