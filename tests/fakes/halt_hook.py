"""A customer's environment hook on loopback: verifies Standard Webhooks signatures with the
`standardwebhooks` package, as a receiver would, and answers as the test scripts it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class Received:
    webhook_id: str
    body: dict[str, Any]
    verified: bool
    paged_before: bool  # whether the page had gone out when this request arrived


@dataclass
class HaltReceiver:
    """What the hook received; `answers` are status codes, or "hang": hold the request until the
    client gave up. A request whose signature does not verify is answered 401."""

    secret: str = SECRET
    paged: Callable[[], bool] = lambda: False
    received: list[Received] = field(default_factory=list)
    answers: list[int | str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def verified(self) -> list[Received]:
        return [r for r in self.received if r.verified]

    def catalog_entry(self, name: str = "poc-globex-eu1", variable: str = "POC_HALT_SECRET") -> str:
        """The catalog's `[environments]` entry for this hook."""
        return f'\n[environments."{name}"]\nhalt_url = "{self.url}"\nsecret = "env:{variable}"\n'


def _handler(receiver: HaltReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                body = Webhook(receiver.secret).verify(raw, dict(self.headers.items()))
                verified = True
            except WebhookVerificationError:
                body, verified = json.loads(raw), False
            paged = receiver.paged()
            receiver.received.append(Received(self.headers["webhook-id"], body, verified, paged))
            answer = (receiver.answers.pop(0) if receiver.answers else 204) if verified else 401
            if answer == "hang":
                receiver.released.wait(10)
                return
            self.send_response(int(answer))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def halt_receiver(receiver: HaltReceiver | None = None) -> Iterator[HaltReceiver]:
    """The receiver, served on a loopback port for the block."""
    found = receiver or HaltReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/halt"
    try:
        yield found
    finally:
        found.released.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
