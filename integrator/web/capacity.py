"""A bound on requests in flight: past it the server answers 503 with `Retry-After` at once, never queues."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

ALWAYS = frozenset({"/healthz"})  # liveness must not fail because the server is busy


class ConcurrencyLimit:
    """Lets at most `max_requests` HTTP requests run at once; the rest get 503 and when to retry."""

    def __init__(self, app: ASGIApp, *, max_requests: int, retry_after: int) -> None:
        self.app = app
        self.max_requests = max_requests
        self.retry_after = retry_after
        self.running = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ALWAYS:
            await self.app(scope, receive, send)
            return
        if self.running >= self.max_requests:
            await self._refuse(scope, send)
            return
        self.running += 1  # one event loop: no lock needed between the check and the count
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = f"the server is at its limit of {self.max_requests} requests at once; retry shortly"
        if str(scope["path"]).startswith("/api/"):
            body = json.dumps({"error": "unavailable", "message": message, "fields": {}}).encode()
            content_type = b"application/json"
        else:
            body, content_type = message.encode(), b"text/plain; charset=utf-8"
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(self.retry_after).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
