"""`doctor --send-test`: a labelled test to each chat webhook and the sender's mailbox; nothing without it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from integrator.__main__ import wiring
from integrator.application.send_test import LABEL
from integrator.cli.app import app
from tests.integration.test_chat import SECRET_PATH, Webhook, handler_for
from tests.integration.test_email import Inbox, serve
from tests.support import CATALOG, REGISTRY

INGEST, SETUP = "@acme/ingest", "(setup)"
SENDER = "integrator@acme.example"


@pytest.fixture
def hook() -> Iterator[Webhook]:
    """A Slack-style incoming webhook on loopback, keeping what is posted to it."""
    received = Webhook()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(received))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}"
    yield received
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A plain SMTP server on loopback, keeping what it receives."""
    received = Inbox()
    controller = serve(received)
    yield received, controller.port
    controller.stop()


def run_doctor(tmp_path: Path, hook: Webhook, smtp_port: int, *args: str, **env: str) -> tuple[int, Any]:
    """`integrator doctor --json ARGS` with the ingest team's chat webhook and SMTP on loopback."""
    (tmp_path / "CODEOWNERS").write_text(REGISTRY)
    (tmp_path / "services.toml").write_text(CATALOG + f'chat_webhook = "{hook.url}"\n')
    environment = {
        "INTEGRATOR_REGISTRY": str(tmp_path / "CODEOWNERS"),
        "INTEGRATOR_CATALOG": str(tmp_path / "services.toml"),
        "INTEGRATOR_SMTP__HOST": "127.0.0.1",
        "INTEGRATOR_SMTP__PORT": str(smtp_port),
        "INTEGRATOR_SMTP__STARTTLS": "false",
        "INTEGRATOR_SMTP__FROM": f"Integrator <{SENDER}>",
        **env,
    }
    result = CliRunner().invoke(app, ["doctor", "--json", *args], env=environment, obj=wiring())
    return result.exit_code, json.loads(result.stdout)


def finding(shown: dict[str, Any], subject: str, check: str) -> dict[str, Any]:
    (found,) = [f for f in shown["findings"] if (f["subject"], f["check"]) == (subject, check)]
    return found


def test_send_test_posts_a_labelled_message_to_each_chat_webhook_and_emails_the_sender(
    tmp_path: Path, hook: Webhook, inbox: tuple[Inbox, int]
) -> None:
    mailbox, port = inbox
    code, shown = run_doctor(tmp_path, hook, port, "--send-test")

    (post,) = hook.posts
    assert post["text"].startswith(LABEL)
    assert INGEST in post["text"]
    (email,) = mailbox.received()
    assert email["To"] == SENDER
    assert str(email["Subject"]).startswith(LABEL)
    assert finding(shown, INGEST, "chat.send_test")["outcome"] == "ok"
    assert finding(shown, SETUP, "smtp.send_test") == {
        "subject": SETUP,
        "check": "smtp.send_test",
        "outcome": "ok",
        "detail": f"test email sent to {SENDER}",
    }
    # the loopback hook is plain http, which the read-only check rightly calls a problem
    assert [(f["subject"], f["check"]) for f in shown["findings"] if f["outcome"] == "problem"] == [
        (INGEST, "chat.webhook")
    ]
    assert code == 1


def test_without_send_test_nothing_is_posted_or_mailed(
    tmp_path: Path, hook: Webhook, inbox: tuple[Inbox, int]
) -> None:
    mailbox, port = inbox
    _, shown = run_doctor(tmp_path, hook, port)

    assert hook.posts == []
    assert mailbox.messages == []
    assert not [f for f in shown["findings"] if f["check"].endswith("send_test")]
    assert finding(shown, SETUP, "smtp.access")["outcome"] == "ok"


def test_a_chat_webhook_that_refuses_the_test_is_a_problem_naming_only_its_host(
    tmp_path: Path, hook: Webhook, inbox: tuple[Inbox, int]
) -> None:
    hook.status, hook.body = 404, b"no_service"
    _, port = inbox
    code, shown = run_doctor(tmp_path, hook, port, "--send-test")

    refused = finding(shown, INGEST, "chat.send_test")
    assert refused["outcome"] == "problem"
    assert "127.0.0.1 answered 404" in refused["detail"]
    assert SECRET_PATH not in json.dumps(shown)
    assert code == 1


def test_an_explicit_dry_run_sends_no_test_and_says_so(
    tmp_path: Path, hook: Webhook, inbox: tuple[Inbox, int]
) -> None:
    mailbox, port = inbox
    _, shown = run_doctor(tmp_path, hook, port, "--send-test", INTEGRATOR_DRY_RUN="true")

    assert hook.posts == []
    assert mailbox.messages == []
    assert finding(shown, SETUP, "send_test")["outcome"] == "not checked"


def test_without_smtp_the_test_email_is_not_checked_and_the_chat_test_still_goes(
    tmp_path: Path, hook: Webhook, inbox: tuple[Inbox, int]
) -> None:
    mailbox, port = inbox
    _, shown = run_doctor(tmp_path, hook, port, "--send-test", INTEGRATOR_SMTP__HOST="")

    assert len(hook.posts) == 1
    assert mailbox.messages == []
    assert finding(shown, SETUP, "smtp.send_test")["outcome"] == "not checked"
    assert finding(shown, INGEST, "chat.send_test")["outcome"] == "ok"
