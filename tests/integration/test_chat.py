"""HttpChatPoster against a Slack-style incoming webhook served on loopback (http.server in a thread)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from integrator import bootstrap
from integrator.adapters.chat import HttpChatPoster
from integrator.application.escalate import parse_report
from integrator.application.retrying import RetryPolicy
from integrator.errors import Rejected, Unavailable
from tests.support import CATALOG, FakeClock, MemoryPager, MemoryTracker, report_data, write_config

SECRET_PATH = "/services/T0ACME/B0INGEST/xoxSecretToken42"


@dataclass
class Webhook:
    """What the webhook received, and what it answers next (Slack answers 200 "ok")."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    release: threading.Event | None = None  # set: answer only once released (a slow server)
    url: str = ""


def handler_for(hook: Webhook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = self.rfile.read(length)
            if hook.release is not None:
                hook.release.wait(5)
            hook.paths.append(self.path)
            hook.content_types.append(self.headers.get("Content-Type", ""))
            hook.posts.append(json.loads(payload))
            self.send_response(hook.status)
            for name, value in hook.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(hook.body)))
            self.end_headers()
            self.wfile.write(hook.body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(hook))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}"
    yield hook
    if hook.release is not None:
        hook.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_posts_the_text_as_json_to_the_webhook(webhook: Webhook) -> None:
    HttpChatPoster(timeout=5).post(webhook.url, "*Escalated*: Globex &amp; Co")
    assert webhook.posts == [{"text": "*Escalated*: Globex &amp; Co"}]
    assert webhook.paths == [SECRET_PATH]
    assert webhook.content_types == ["application/json"]


def test_a_rate_limit_is_worth_a_retry_after_the_time_the_server_asks(webhook: Webhook) -> None:
    webhook.status, webhook.body, webhook.headers = 429, b"rate_limited", {"Retry-After": "7"}
    with pytest.raises(Unavailable, match="answered 429: rate_limited") as raised:
        HttpChatPoster(timeout=5).post(webhook.url, "hello")
    assert raised.value.retry_after == 7.0


def test_a_server_error_is_worth_a_retry(webhook: Webhook) -> None:
    webhook.status, webhook.body = 503, b"upstream down"
    with pytest.raises(Unavailable, match="answered 503") as raised:
        HttpChatPoster(timeout=5).post(webhook.url, "hello")
    assert raised.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "body"), [(404, b"no_service"), (403, b"invalid_token"), (410, b"channel_is_archived")]
)
def test_a_refused_post_is_rejected_naming_the_host_not_the_secret(
    webhook: Webhook, status: int, body: bytes
) -> None:
    webhook.status, webhook.body = status, body
    with pytest.raises(
        Rejected, match=rf"the chat webhook at 127\.0\.0\.1 answered {status}: {body.decode()}"
    ) as raised:
        HttpChatPoster(timeout=5).post(webhook.url, "hello")
    assert type(raised.value) is Rejected
    assert "xoxSecretToken42" not in str(raised.value)


def test_a_redirect_is_not_followed(webhook: Webhook) -> None:
    webhook.status, webhook.headers = 301, {"Location": "https://elsewhere.example/hook"}
    with pytest.raises(Rejected, match="a redirect"):
        HttpChatPoster(timeout=5).post(webhook.url, "hello")
    assert len(webhook.posts) == 1


def test_the_webhook_url_is_never_logged(webhook: Webhook, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    HttpChatPoster(timeout=5).post(webhook.url, "hello")
    webhook.status = 500
    with pytest.raises(Unavailable):
        HttpChatPoster(timeout=5).post(webhook.url, "hello")
    assert "posted to the chat webhook at 127.0.0.1" in caplog.text
    assert "xoxSecretToken42" not in caplog.text


def test_a_webhook_that_is_not_there_is_unavailable() -> None:
    with socket.socket() as bound:  # bound, never listening: connecting is refused
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}{SECRET_PATH}"
        with pytest.raises(Unavailable, match=r"cannot reach the chat webhook at 127\.0\.0\.1") as raised:
            HttpChatPoster(timeout=5).post(url, "hello")
    assert "xoxSecretToken42" not in str(raised.value)


def test_a_slow_webhook_times_out_as_unavailable(webhook: Webhook) -> None:
    webhook.release = threading.Event()
    with pytest.raises(Unavailable, match=r"did not answer within 0\.2 s") as raised:
        HttpChatPoster(timeout=0.2).post(webhook.url, "hello")
    assert raised.value.uncertain


def test_a_webhook_that_is_not_a_url_is_rejected() -> None:
    with pytest.raises(Rejected, match="not an http"):
        HttpChatPoster(timeout=5).post("ftp://hooks.example/services/x", "hello")


def test_an_escalation_is_posted_to_the_owning_teams_channel(webhook: Webhook, tmp_path: Path) -> None:
    catalog = CATALOG.replace(
        'breach_contacts = ["vp-eng@acme.example"]',
        f'breach_contacts = ["vp-eng@acme.example"]\nchat_webhook = "{webhook.url}"',
    )
    settings = write_config(tmp_path, catalog=catalog)
    services = bootstrap.build(
        settings,
        clock=FakeClock(),
        retry=RetryPolicy.none(),
        pager=MemoryPager(),
        tracker=MemoryTracker(),
        chat=HttpChatPoster(timeout=5),
    )
    services.escalator.escalate(parse_report(report_data()))

    [post] = webhook.posts
    lines = post["text"].splitlines()
    assert lines[0] == "*Escalated*: [POC] Globex ($480k ARR): Batch ingest drops rows"
    assert "alice@acme.example (@acme/ingest, ingest-api) was paged directly" in lines[1]
    assert "Jira <https://jira.example/browse/ING-1|ING-1>" in lines[2]
