"""The customer's status page: shared and revoked by the SE, and safe for the customer to read."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from integrator.domain.escalation import Changes, Event, State
from tests.web.conftest import World
from tests.web.helpers import csrf_token, eventually, form_fields, hidden

TRACE = """Traceback (most recent call last):
  File "/app/services/ingest/api/batch.py", line 88, in load_batch
    rows = pool.fetch(cursor)
  File "/app/services/ingest/connectors/db/pool.py", line 142, in fetch
    conn = self._acquire(timeout=self.timeout)
TimeoutError: QueuePool limit reached on db-primary.internal.acme.example"""


def report(browser: TestClient) -> str:
    """Report through the form a failure full of what the customer must not see; the escalation id."""
    page = browser.get("/").text
    fields = form_fields(
        **{
            "failure.stack_trace": TRACE,
            "failure.locations": "",
            "failure.observed": "pool exhausted, see https://grafana.internal.acme.example/d/ingest",
            "deal.executive_sponsor.name": "Dana Whitfield",
            "deal.executive_sponsor.email": "dana@acme.example",
            "deal.economic_buyer.name": "Hank Scorpio",
            "deal.economic_buyer.email": "hank@globex.example",
        }
    )
    data = {"csrf_token": csrf_token(page), "idempotency_key": hidden(page, "idempotency_key"), **fields}
    answer = browser.post("/escalations", data=data, follow_redirects=False)
    assert answer.status_code == 303
    escalation_id = answer.headers["location"].rsplit("/", 1)[1]
    eventually(lambda: "ING-1" in browser.get(f"/escalations/{escalation_id}").text)
    return escalation_id


def share(browser: TestClient, escalation_id: str) -> str:
    """Press "Share status page"; the link the page then shows."""
    page = browser.get(f"/escalations/{escalation_id}").text
    answer = browser.post(
        f"/escalations/{escalation_id}/status-page",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return status_link(browser.get(f"/escalations/{escalation_id}").text)


def status_link(page: str) -> str:
    match = re.search(r'<a href="([^"]+)" rel="noopener noreferrer" id="status-link">', page)
    assert match, "the escalation page shows no status page link"
    return html.unescape(match.group(1))


def revoke(browser: TestClient, escalation_id: str) -> None:
    page = browser.get(f"/escalations/{escalation_id}").text
    answer = browser.post(
        f"/escalations/{escalation_id}/status-page/revoke",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def visit(link: str) -> str:
    """The path of the link the customer was given (the app is served at the public URL)."""
    path = link.removeprefix("https://integrator.acme.example")
    assert path.startswith("/status/"), link
    return path


def acknowledge(world: World, escalation_id: str) -> None:
    """What the status sync records when Alice acknowledges the page in PagerDuty."""
    now = world.clock.now()
    text = f"Acknowledged in PagerDuty by Alice Smith (alice@acme.example) at {now:%Y-%m-%d %H:%M} UTC"
    world.services.store.apply(
        escalation_id,
        now=now,
        changes=Changes(state=State.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by="Alice Smith"),
        timeline=[Event(at=now, kind="acknowledged", text=text, data={"by": "Alice Smith"})],
    )


def test_sharing_gives_an_unguessable_link_and_the_customer_sees_the_safe_timeline(
    browser: TestClient, client: TestClient, world: World
) -> None:
    escalation_id = report(browser)
    world.clock.advance(minutes=7)
    acknowledge(world, escalation_id)

    link = share(browser, escalation_id)
    token = link.rsplit("/", 1)[1]
    customer = TestClient(client.app, base_url="https://testserver")
    page = customer.get(visit(link))

    assert link.startswith("https://integrator.acme.example/status/")
    assert len(token) >= 32
    assert page.status_code == 200
    text = page.text
    assert "Batch ingest drops rows" in text
    assert "MSP-3: zero data loss" in text
    assert "is engaged and working on it" in text
    assert re.search(r'data-promise="Root-cause analysis" data-state="due"', text)
    assert re.search(r'data-promise="Fix" data-state="due"', text)
    timeline = browser.get(f"/escalations/{escalation_id}").text
    assert "Customer status page shared by ci" in timeline


@pytest.mark.parametrize(
    "secret",
    [
        "480",  # ARR, in every spelling
        "480,000",
        "480k",
        "ARR",
        "@acme.example",  # no internal address
        "acme.example",  # nor any internal host or link
        "Alice",  # no internal names
        "Priya",
        "Dana",
        "bob",
        "Traceback",  # no stack trace, no code location
        "QueuePool",
        "pool.py",
        "services/ingest",
        "grafana",
        "ING-1",  # no Jira or PagerDuty
        "Jira",
        "PagerDuty",
        "pd.example",
        "jira.example",
    ],
)
def test_the_status_page_carries_no_arr_no_internal_address_or_name_no_trace_and_no_internal_link(
    browser: TestClient, client: TestClient, world: World, secret: str
) -> None:
    escalation_id = report(browser)
    acknowledge(world, escalation_id)
    link = share(browser, escalation_id)
    internal = browser.get(f"/escalations/{escalation_id}").text
    assert "Alice Smith" in internal  # the SE's own page does show all of it
    assert "QueuePool" in internal or "pool.py" in internal

    page = TestClient(client.app, base_url="https://testserver").get(visit(link)).text

    assert secret.lower() not in page.lower()


def test_the_status_page_is_private_not_cached_not_indexed_and_sets_no_cookie(
    browser: TestClient, client: TestClient
) -> None:
    link = share(browser, report(browser))

    answer = TestClient(client.app, base_url="https://testserver").get(visit(link))

    assert answer.headers.get_list("referrer-policy") == ["no-referrer"]
    assert answer.headers["cache-control"] == "no-store"
    assert "noindex" in answer.headers["x-robots-tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in answer.text
    assert "set-cookie" not in answer.headers
    assert "<script" not in answer.text
    assert "<form" not in answer.text
    assert re.findall(r'href="([^"]+)"', answer.text) == ["/static/app.css"]


def test_the_promises_show_when_they_are_overdue_and_when_they_are_met(
    browser: TestClient, client: TestClient, world: World
) -> None:
    escalation_id = report(browser)
    link = share(browser, escalation_id)
    customer = TestClient(client.app, base_url="https://testserver")
    escalation = world.services.store.get(escalation_id)

    world.clock.current = escalation.rca_due + timedelta(minutes=1)
    overdue = customer.get(visit(link)).text
    world.services.store.apply(
        escalation_id,
        now=world.clock.now(),
        timeline=[Event(at=world.clock.now(), kind="customer_update_sent", text="…", data={"rca": True})],
    )
    world.clock.current = escalation.fix_due - timedelta(hours=1)
    world.services.store.apply(
        escalation_id, now=world.clock.now(), changes=Changes(state=State.FIXED, fixed_at=world.clock.now())
    )
    met = customer.get(visit(link)).text

    assert 'data-promise="Root-cause analysis" data-state="overdue"' in overdue
    assert 'data-promise="Fix" data-state="due"' in overdue
    assert 'data-promise="Root-cause analysis" data-state="met"' in met
    assert 'data-promise="Fix" data-state="met"' in met
    assert "Fixed" in met
    assert "Root-cause analysis sent" in met


def test_a_revoked_link_is_a_plain_404_at_once_and_sharing_again_gives_a_new_link(
    browser: TestClient, client: TestClient
) -> None:
    escalation_id = report(browser)
    link = share(browser, escalation_id)
    customer = TestClient(client.app, base_url="https://testserver")
    assert customer.get(visit(link)).status_code == 200

    revoke(browser, escalation_id)
    gone = customer.get(visit(link))
    page = browser.get(f"/escalations/{escalation_id}").text
    again = share(browser, escalation_id)

    assert gone.status_code == 404
    assert "not available" in gone.text
    assert "Batch ingest drops rows" not in gone.text
    assert gone.headers["cache-control"] == "no-store"
    assert 'id="status-link"' not in page
    assert "Customer status page link revoked by ci" in page
    assert again != link
    assert customer.get(visit(again)).status_code == 200
    assert customer.get(visit(link)).status_code == 404


def test_an_unknown_token_is_a_404(client: TestClient) -> None:
    assert client.get("/status/not-a-token").status_code == 404
    assert client.get("/status/").status_code == 404


def test_sharing_twice_keeps_one_link(browser: TestClient) -> None:
    escalation_id = report(browser)

    first = share(browser, escalation_id)
    second = share(browser, escalation_id)

    assert first == second
    assert browser.get(f"/escalations/{escalation_id}").text.count("Customer status page shared") == 1


def test_sharing_and_revoking_need_the_csrf_token_and_a_signed_in_user(
    browser: TestClient, client: TestClient, world: World
) -> None:
    escalation_id = report(browser)

    forged = browser.post(f"/escalations/{escalation_id}/status-page", data={}, follow_redirects=False)
    anonymous = TestClient(client.app, base_url="https://testserver").post(
        f"/escalations/{escalation_id}/status-page", data={}, follow_redirects=False
    )

    assert forged.status_code == 403
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/signin")
    assert world.services.store.get(escalation_id).status_token is None
    link = share(browser, escalation_id)
    forged_revoke = browser.post(f"/escalations/{escalation_id}/status-page/revoke", data={"csrf_token": "x"})
    assert forged_revoke.status_code == 403
    assert world.services.store.get(escalation_id).status_token == link.rsplit("/", 1)[1]
