"""The customer update: drafted for the economic buyer, edited and sent by the SE alone, on the timeline."""

from __future__ import annotations

import html
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from integrator.adapters.smtp import SmtpMailer
from integrator.domain.escalation import Message
from integrator.errors import IntegrationError, Unavailable
from integrator.settings import SmtpSettings
from tests.web.conftest import World
from tests.web.helpers import csrf_token, eventually, hidden, submit_form

BUYER = "hank@globex.example"


@dataclass
class RecordingMailer:
    """Stands in for SMTP on the dispatcher: keeps every message; `failures` are raised first."""

    sent: list[Message] = field(default_factory=list)
    failures: list[IntegrationError] = field(default_factory=list)

    def send(self, message: Message) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)

    def to(self, address: str) -> list[Message]:
        return [m for m in self.sent if m.to == address]


@pytest.fixture
def mailer(world: World) -> RecordingMailer:
    recorder = RecordingMailer()
    world.services.dispatcher.handlers.mailer = recorder
    return recorder


def report(browser: TestClient) -> str:
    """A reported failure whose page is delivered and P1 filed; its id."""
    buyer = {"deal.economic_buyer.name": "Hank Scorpio", "deal.economic_buyer.email": BUYER}
    escalation_id: str = submit_form(browser, **buyer).headers["location"].rsplit("/", 1)[1]
    eventually(lambda: "ING-1" in browser.get(f"/escalations/{escalation_id}").text)
    return escalation_id


def draft(page: str) -> dict[str, str]:
    """The update form as the escalation page shows it."""
    to = re.search(r'<input id="update-to" name="to" type="email" value="([^"]*)"', page)
    subject = re.search(r'<input id="update-subject" name="subject" type="text" value="([^"]*)"', page)
    body = re.search(r'<textarea id="update-body" name="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert to, "no customer update form on the page"
    assert subject
    assert body
    return {
        "to": html.unescape(to.group(1)),
        "subject": html.unescape(subject.group(1)),
        "body": html.unescape(body.group(1)),
        "number": hidden(page, "number"),
        "csrf_token": csrf_token(page),
    }


def send(browser: TestClient, escalation_id: str, **changes: str) -> Any:
    """Open the escalation page, edit the drafted update, press send (the redirect not followed)."""
    form = {**draft(browser.get(f"/escalations/{escalation_id}").text), **changes}
    return browser.post(f"/escalations/{escalation_id}/customer-update", data=form, follow_redirects=False)


def update_error(page: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="update-{name}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else None


def test_the_escalation_page_shows_a_draft_to_the_economic_buyer_and_nothing_goes_to_them_unasked(
    browser: TestClient, world: World, mailer: RecordingMailer
) -> None:
    escalation_id = report(browser)

    form = draft(browser.get(f"/escalations/{escalation_id}").text)

    assert form["to"] == BUYER
    assert "Batch ingest drops rows" in form["subject"]
    assert form["body"].startswith("Hi Hank,")
    assert "MSP-3: zero data loss" in form["body"]
    assert "480" not in form["body"]
    assert form["number"] == "1"
    eventually(lambda: all(f.state == "done" for f in world.services.store.get(escalation_id).effects))
    assert mailer.to("priya@acme.example")  # the stakeholders' email went out; the customer's did not
    assert mailer.to(BUYER) == []


def test_the_se_edits_and_sends_the_update_it_is_mailed_as_written_and_shown_on_the_timeline(
    browser: TestClient, mailer: RecordingMailer
) -> None:
    escalation_id = report(browser)

    answer = send(
        browser, escalation_id, subject="Where we are on the ingest issue", body="Hi Hank,\n\nUpdate."
    )
    page = browser.get(answer.headers["location"]).text

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/escalations/{escalation_id}#timeline"
    assert mailer.to(BUYER) == [Message(BUYER, "Where we are on the ingest issue", "Hi Hank,\n\nUpdate.")]
    assert f"Customer update sent to {BUYER} by ci" in page
    assert re.search(r'data-effect="email" data-state="delivered"', page)
    assert "email (customer-update:1)" in page


def test_a_double_click_sends_the_update_once_and_the_next_update_is_number_two(
    browser: TestClient, mailer: RecordingMailer
) -> None:
    escalation_id = report(browser)
    form = draft(browser.get(f"/escalations/{escalation_id}").text)
    url = f"/escalations/{escalation_id}/customer-update"

    first = browser.post(url, data=form, follow_redirects=False)
    repeat = browser.post(url, data=form, follow_redirects=False)
    second = send(browser, escalation_id, subject="Fix deployed", body="Hi Hank, it is fixed.")
    stale = browser.post(url, data={**form, "body": "Something else"}, follow_redirects=False)
    page = browser.get(f"/escalations/{escalation_id}").text

    assert (first.status_code, repeat.status_code, second.status_code) == (303, 303, 303)
    assert [m.subject for m in mailer.to(BUYER)] == [form["subject"], "Fix deployed"]
    assert page.count("Customer update sent to") == 2
    assert stale.status_code == 422  # written on an old page: refused, and the text is kept
    assert "already sent" in (update_error(stale.text, "number") or stale.text)
    assert draft(stale.text)["body"] == "Something else"
    assert hidden(page, "number") == "3"


@pytest.mark.parametrize(
    ("field_name", "value", "message"),
    [
        ("to", "hank at globex", "must be one email address"),
        ("to", "hank@globex.example, cfo@globex.example", "must be one email address"),
        ("to", "", "is required"),
        ("subject", "", "is required"),
        ("subject", "Update\r\nBcc: everyone@globex.example", "must be one line"),
        ("body", "   ", "is required"),
    ],
)
def test_bad_input_is_named_at_its_field_the_text_is_kept_and_nothing_is_sent(
    browser: TestClient, world: World, mailer: RecordingMailer, field_name: str, value: str, message: str
) -> None:
    escalation_id = report(browser)

    answer = send(
        browser, escalation_id, **{field_name: value, "body": "Kept text." if field_name != "body" else value}
    )

    assert answer.status_code == 422
    assert update_error(answer.text, field_name) == message
    if field_name != "body":
        assert draft(answer.text)["body"] == "Kept text."
    assert mailer.to(BUYER) == []
    assert "customer_update_sent" not in [e.kind for e in world.services.store.get(escalation_id).timeline]


def test_sending_needs_the_csrf_token_and_a_signed_in_user(
    browser: TestClient, client: TestClient, world: World, mailer: RecordingMailer
) -> None:
    escalation_id = report(browser)
    form = draft(browser.get(f"/escalations/{escalation_id}").text)
    url = f"/escalations/{escalation_id}/customer-update"

    forged = browser.post(url, data={**form, "csrf_token": "forged"}, follow_redirects=False)
    missing = browser.post(
        url, data={k: v for k, v in form.items() if k != "csrf_token"}, follow_redirects=False
    )
    anonymous = TestClient(client.app, base_url="https://testserver").post(
        url, data=form, follow_redirects=False
    )

    assert (forged.status_code, missing.status_code) == (403, 403)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/signin")
    assert mailer.to(BUYER) == []
    assert "customer_update_sent" not in [e.kind for e in world.services.store.get(escalation_id).timeline]


def test_a_mail_server_failure_leaves_the_update_retrying_visibly_and_sync_delivers_it(
    browser: TestClient, world: World, mailer: RecordingMailer
) -> None:
    escalation_id = report(browser)
    mailer.failures.append(Unavailable("smtp", "connection refused"))

    send(browser, escalation_id)
    page = browser.get(f"/escalations/{escalation_id}").text
    world.clock.advance(minutes=30)
    world.services.dispatcher.drive_due()

    assert "email (customer-update:1)" in page
    assert "connection refused" in page
    assert len(mailer.to(BUYER)) == 1


def test_the_update_marked_as_the_rca_meets_the_rca_promise(
    browser: TestClient, mailer: RecordingMailer
) -> None:
    escalation_id = report(browser)

    send(browser, escalation_id, includes_rca="yes")
    page = browser.get(f"/escalations/{escalation_id}").text
    after = draft(page)

    assert "We sent you the root-cause analysis" in after["body"]
    assert after["number"] == "2"


@dataclass
class Inbox:
    """A real SMTP server on loopback (aiosmtpd): what it received, as parsed emails."""

    received: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.original_content, policy=default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def inbox(world: World) -> Iterator[Inbox]:
    """The dispatcher's mailer is the real SMTP adapter, talking to `Inbox` on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    smtp = {"host": "127.0.0.1", "port": port, "starttls": False, "from": "integrator@acme.example"}
    world.services.dispatcher.handlers.mailer = SmtpMailer(SmtpSettings.model_validate(smtp))
    yield inbox
    server.stop()


def test_the_update_reaches_the_customer_through_smtp(browser: TestClient, inbox: Inbox) -> None:
    escalation_id = report(browser)

    send(browser, escalation_id, subject="Where we are", body="Hi Hank,\r\n\r\nThe lead is on it.\r\n")

    to_buyer = [m for m in inbox.received if m["To"] == BUYER]
    assert len(to_buyer) == 1
    assert to_buyer[0]["Subject"] == "Where we are"
    assert to_buyer[0]["From"] == "integrator@acme.example"
    assert to_buyer[0].get_content().replace("\r\n", "\n") == "Hi Hank,\n\nThe lead is on it.\n"
