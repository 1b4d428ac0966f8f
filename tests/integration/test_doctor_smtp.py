"""The doctor's SMTP check against a real SMTP server on loopback: STARTTLS and login, and nothing sent."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest
import trustme

from integrator.adapters.smtp_check import SmtpWiring
from integrator.domain.checkup import Outcome
from tests.integration.test_email import PASSWORD, USER, Inbox, serve, smtp_settings


@pytest.fixture
def submission() -> Iterator[tuple[Inbox, int, ssl.SSLContext]]:
    """STARTTLS and login required, as on a real submission port; the client trusts the server's CA."""
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    inbox = Inbox()
    controller = serve(
        inbox,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=inbox.authenticate,
    )
    yield inbox, controller.port, client_tls
    controller.stop()


def test_connects_starts_tls_and_logs_in_without_sending(
    submission: tuple[Inbox, int, ssl.SSLContext],
) -> None:
    inbox, port, tls = submission
    settings = smtp_settings(port, starttls=True, username=USER, password=PASSWORD)

    (found,) = SmtpWiring(settings, ssl_context=tls).check_access()

    assert found.outcome is Outcome.OK
    assert found.detail == f"127.0.0.1:{port}: connected, STARTTLS, logged in as {USER}; nothing sent"
    assert inbox.logins == [USER]
    assert inbox.messages == []


def test_a_refused_login_is_a_problem_that_never_shows_the_password(
    submission: tuple[Inbox, int, ssl.SSLContext],
) -> None:
    _, port, tls = submission
    settings = smtp_settings(port, starttls=True, username=USER, password="wrong-password")

    (found,) = SmtpWiring(settings, ssl_context=tls).check_access()

    assert found.outcome is Outcome.PROBLEM
    assert "refused the login (535)" in found.detail
    assert "wrong-password" not in found.detail


def test_a_server_that_is_not_there_is_a_problem() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    (found,) = SmtpWiring(smtp_settings(port)).check_access()

    assert found.outcome is Outcome.PROBLEM
    assert "check INTEGRATOR_SMTP__HOST, __PORT and __STARTTLS" in found.detail
