"""SmtpMailer against a real SMTP server (aiosmtpd) on loopback: STARTTLS, login, and failing servers."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from integrator import bootstrap
from integrator.adapters.smtp import SmtpMailer
from integrator.application.escalate import parse_report
from integrator.application.retrying import RetryPolicy
from integrator.domain.escalation import Message
from integrator.errors import ConfigError, Rejected, Unavailable
from integrator.settings import SmtpSettings
from tests.support import FakeClock, MemoryPager, MemoryTracker, report_data, write_config

USER, PASSWORD = "integrator", "s3cret-smtp-password"
MESSAGE = Message(
    to="priya@acme.example", subject="Escalated: [POC] Globex", body="Alice is paged.\nFix due soon.\n"
)


@dataclass
class Inbox:
    """An SMTP handler that keeps what it receives, or answers RCPT / DATA with a chosen reply."""

    messages: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535

    def received(self) -> list[EmailMessage]:
        return [message_from_bytes(e.original_content or b"", policy=policy.default) for e in self.messages]


class LoopbackController(Controller):
    """aiosmtpd's Controller on a free loopback port (it cannot find its own port 0 otherwise)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def serve(inbox: Inbox, **smtp: Any) -> LoopbackController:
    controller = LoopbackController(inbox, hostname="127.0.0.1", port=0, server_hostname="smtp.test", **smtp)
    controller.start()
    return controller


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[tuple[Inbox, int]]:
    """STARTTLS required, login required after it (the way a real submission port works)."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    inbox = Inbox()
    controller = serve(
        inbox,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=inbox.authenticate,
    )
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def plain_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = serve(inbox)
    yield inbox, controller.port
    controller.stop()


def smtp_settings(port: int, **fields: Any) -> SmtpSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "from": "Integrator <integrator@acme.example>",
        "timeout_seconds": 5,
    }
    return SmtpSettings.model_validate({**values, **fields})


def test_sends_over_starttls_with_login_and_the_headers_mail_needs(
    tls_server: tuple[Inbox, int], client_tls: ssl.SSLContext
) -> None:
    inbox, port = tls_server
    settings = smtp_settings(port, starttls=True, username=USER, password=PASSWORD)
    SmtpMailer(settings, ssl_context=client_tls).send(MESSAGE)

    assert inbox.logins == [USER]
    [envelope] = inbox.messages
    assert envelope.mail_from == "integrator@acme.example"
    assert envelope.rcpt_tos == ["priya@acme.example"]
    [received] = inbox.received()
    assert received["From"] == "Integrator <integrator@acme.example>"
    assert received["To"] == "priya@acme.example"
    assert received["Subject"] == "Escalated: [POC] Globex"
    assert received["Date"]
    assert received["Message-ID"].endswith("@acme.example>")
    assert received.get_content().splitlines() == ["Alice is paged.", "Fix due soon."]


def test_a_wrong_password_is_rejected_and_never_shown(
    tls_server: tuple[Inbox, int], client_tls: ssl.SSLContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _inbox, port = tls_server
    wrong = "not-the-password-42"
    mailer = SmtpMailer(
        smtp_settings(port, starttls=True, username=USER, password=wrong), ssl_context=client_tls
    )
    with pytest.raises(Rejected, match="refused the login: 535") as raised:
        mailer.send(MESSAGE)
    assert wrong not in str(raised.value)
    assert wrong not in caplog.text


def test_a_password_smtplib_cannot_send_is_refused_at_start_without_showing_it() -> None:
    with pytest.raises(ConfigError, match="only ASCII") as raised:
        SmtpMailer(smtp_settings(25, username=USER, password="pässwörd"))
    assert "ä" not in str(raised.value)


def test_login_without_tls_is_refused_by_a_server_that_requires_it(tls_server: tuple[Inbox, int]) -> None:
    _inbox, port = tls_server
    with pytest.raises(Rejected, match=r"SMTP server 127\.0\.0\.1:\d+"):
        SmtpMailer(smtp_settings(port, username=USER, password=PASSWORD)).send(MESSAGE)


def test_a_certificate_the_client_does_not_trust_is_rejected(tls_server: tuple[Inbox, int]) -> None:
    _inbox, port = tls_server
    untrusting = ssl.create_default_context()  # the system's CAs: not the test CA
    mailer = SmtpMailer(
        smtp_settings(port, starttls=True, username=USER, password=PASSWORD), ssl_context=untrusting
    )
    with pytest.raises(Rejected, match="TLS certificate is not trusted"):
        mailer.send(MESSAGE)


def test_starttls_asked_of_a_server_without_it_is_rejected(plain_server: tuple[Inbox, int]) -> None:
    inbox, port = plain_server
    with pytest.raises(Rejected, match="STARTTLS extension not supported") as raised:
        SmtpMailer(smtp_settings(port, starttls=True)).send(MESSAGE)
    assert "INTEGRATOR_SMTP__STARTTLS" in str(raised.value)
    assert inbox.messages == []


def test_sends_in_plain_text_when_starttls_is_off(plain_server: tuple[Inbox, int]) -> None:
    inbox, port = plain_server
    SmtpMailer(smtp_settings(port)).send(MESSAGE)
    assert [m["To"] for m in inbox.received()] == ["priya@acme.example"]


@pytest.mark.parametrize(
    ("rcpt", "data", "error", "said"),
    [
        ("451 4.3.0 Mailbox busy, try later", None, Unavailable, "deferred the recipient: 451"),
        ("550 5.1.1 No such user", None, Rejected, "refused the recipient: 550 5.1.1 No such user"),
        (None, "451 4.3.0 Queue full", Unavailable, "refused the message: 451 4.3.0 Queue full"),
        (None, "554 5.6.0 Message rejected", Rejected, "refused the message: 554"),
    ],
)
def test_a_4xx_answer_is_worth_a_retry_and_a_5xx_is_not(
    plain_server: tuple[Inbox, int], rcpt: str | None, data: str | None, error: type[Exception], said: str
) -> None:
    inbox, port = plain_server
    inbox.rcpt_reply, inbox.data_reply = rcpt, data
    with pytest.raises(error, match=said) as raised:
        SmtpMailer(smtp_settings(port)).send(MESSAGE)
    assert type(raised.value) is error
    assert inbox.messages == []


def test_a_server_that_is_not_there_is_unavailable() -> None:
    with socket.socket() as bound:  # bound, never listening: connecting is refused
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        with pytest.raises(Unavailable, match=rf"cannot reach SMTP server 127\.0\.0\.1:{port}"):
            SmtpMailer(smtp_settings(port)).send(MESSAGE)


def test_a_server_that_never_answers_times_out_as_unavailable() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog does) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        mailer = SmtpMailer(smtp_settings(port, timeout_seconds=0.3))
        with pytest.raises(Unavailable, match=r"did not answer within 0\.3 s"):
            mailer.send(MESSAGE)


def test_a_header_that_would_break_the_message_is_rejected_before_connecting() -> None:
    mailer = SmtpMailer(smtp_settings(1))
    with pytest.raises(Rejected, match="cannot write the email"):
        mailer.send(Message(to="priya@acme.example\r\nBcc: everyone@acme.example", subject="x", body="y"))


def test_an_escalation_emails_each_stakeholder_through_smtp(
    plain_server: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = plain_server
    settings = write_config(tmp_path)
    settings.smtp = smtp_settings(port)
    services = bootstrap.build(
        settings, clock=FakeClock(), retry=RetryPolicy.none(), pager=MemoryPager(), tracker=MemoryTracker()
    )
    services.escalator.escalate(parse_report(report_data()))

    by_address = {m["To"]: m for m in inbox.received()}
    assert sorted(by_address) == ["alice@acme.example", "dana@acme.example", "priya@acme.example"]
    engineer = by_address["alice@acme.example"].get_content()
    sponsor = by_address["dana@acme.example"].get_content()
    assert "ARR at stake: 480,000 USD" in engineer
    assert "Jira P1: ING-1 https://jira.example/browse/ING-1" in engineer
    assert "Who is engaged: alice@acme.example" in sponsor
    assert "services/ingest/api/batch.py" not in sponsor
