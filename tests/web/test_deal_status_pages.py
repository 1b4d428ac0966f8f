"""Each deal's own customer status page: shared and revoked per deal, and showing that deal alone
(its account, its updates), never another deal's; the update drafted to a deal carries its link."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests.web.helpers import csrf_token, eventually
from tests.web.test_customer_update import RecordingMailer, draft, mailer  # noqa: F401 - the fixture
from tests.web.test_deal_updates import post, two_deals
from tests.web.test_status_page import visit


def press(browser: TestClient, escalation_id: str, deal: int, *, revoke: bool = False) -> None:
    """Press a deal's "Share status page" (or "Revoke the link") button on the escalation page."""
    page = browser.get(f"/escalations/{escalation_id}").text
    action = "/status-page/revoke" if revoke else "/status-page"
    answer = browser.post(
        f"/escalations/{escalation_id}{action}",
        data={"csrf_token": csrf_token(page), "deal": str(deal)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def links(browser: TestClient, escalation_id: str) -> dict[int, str]:
    """The status page link the escalation page shows for each shared deal."""
    page = browser.get(f"/escalations/{escalation_id}").text
    found = re.findall(r'<a href="([^"]+)" rel="noopener noreferrer" id="status-link(?:-(\d+))?">', page)
    return {int(number or 1): html.unescape(link) for link, number in found}


def customer(client: TestClient, link: str) -> tuple[int, str]:
    answer = TestClient(client.app, base_url="https://testserver").get(visit(link))
    return answer.status_code, answer.text


def test_each_deal_has_its_own_page_showing_its_account_and_never_the_other(
    browser: TestClient, client: TestClient, bearer: dict[str, str]
) -> None:
    escalation_id = two_deals(browser, bearer)

    press(browser, escalation_id, 2)
    only_two = links(browser, escalation_id)
    press(browser, escalation_id, 1)
    both = links(browser, escalation_id)

    assert list(only_two) == [2]  # sharing deal 2's page shares nothing of deal 1's
    assert both[1] != both[2]
    globex, initech = customer(client, both[2]), customer(client, both[1])
    assert globex[0] == initech[0] == 200
    assert "Globex" in globex[1]
    assert "Initech" not in globex[1]
    assert "Initech" in initech[1]
    assert "Globex" not in initech[1]
    for page in (globex[1], initech[1]):
        assert "100,000" not in page
        assert "100000" not in page
        assert "@" not in page  # no contact's or SE's address
    shown = browser.get(f"/api/v1/escalations/{escalation_id}", headers=bearer).json()
    assert {d["deal"]: d["status_url"] for d in shown["deals"]} == both
    timeline = browser.get(f"/escalations/{escalation_id}").text
    assert "Customer status page for deal 2 (Globex) shared by ci" in timeline


def test_revoking_one_deals_page_ends_that_link_only(
    browser: TestClient, client: TestClient, bearer: dict[str, str]
) -> None:
    escalation_id = two_deals(browser, bearer)
    press(browser, escalation_id, 1)
    press(browser, escalation_id, 2)
    shared = links(browser, escalation_id)

    press(browser, escalation_id, 2, revoke=True)

    assert list(links(browser, escalation_id)) == [1]
    assert customer(client, shared[2])[0] == 404
    assert customer(client, shared[1])[0] == 200
    assert customer(client, shared[1].rsplit("/", 1)[0] + "/not-a-token")[0] == 404
    press(browser, escalation_id, 2)
    assert links(browser, escalation_id)[2] != shared[2]  # shared again: a new link, the old one stays dead
    assert customer(client, shared[2])[0] == 404


def test_a_deals_draft_carries_its_own_link_and_its_page_lists_its_own_updates(
    browser: TestClient,
    client: TestClient,
    bearer: dict[str, str],
    mailer: RecordingMailer,  # noqa: F811
) -> None:
    escalation_id = two_deals(browser, bearer)
    press(browser, escalation_id, 1)
    draft_before = draft(browser.get(f"/escalations/{escalation_id}?deal=2").text)
    press(browser, escalation_id, 2)
    shared = links(browser, escalation_id)

    form = draft(browser.get(f"/escalations/{escalation_id}?deal=2").text)
    post(browser, escalation_id, {**form, "deal": "2"})
    eventually(lambda: bool(mailer.to("buyer@globex.example")))

    assert shared[1] not in draft_before["body"]
    assert "/status/" not in draft_before["body"]
    assert shared[2] in form["body"]
    assert shared[1] not in form["body"]
    assert "Update sent" in customer(client, shared[2])[1]
    assert "Update sent" not in customer(client, shared[1])[1]


def test_sharing_the_page_of_a_deal_the_escalation_lacks_is_refused(
    browser: TestClient, bearer: dict[str, str]
) -> None:
    escalation_id = two_deals(browser, bearer)
    page = browser.get(f"/escalations/{escalation_id}").text

    answer = browser.post(
        f"/escalations/{escalation_id}/status-page",
        data={"csrf_token": csrf_token(page), "deal": "7"},
        follow_redirects=False,
    )

    assert answer.status_code == 422
    assert "deal" in answer.text
    assert links(browser, escalation_id) == {}
