"""The local demo's guard against DNS rebinding: a loopback `Host` always, a loopback `Origin` on writes."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import Receive, Scope, Send

from integrator.web.security import HttpMiddleware

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def loopback_host(value: str) -> bool:
    """Whether a `Host` header (`name` or `name:port`, IPv6 in brackets) names this machine."""
    try:
        name = urlsplit(f"//{value}").hostname
    except ValueError:
        return False
    return name is not None and name.lower() in LOOPBACK_NAMES


def loopback_origin(value: str) -> bool:
    """Whether an `Origin` header is an http(s) origin on this machine."""
    try:
        parts = urlsplit(value)
        name = parts.hostname
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and name is not None and name.lower() in LOOPBACK_NAMES


class LoopbackOnly(HttpMiddleware):
    """Answers 403 to a request whose `Host` is not loopback, or a write whose `Origin` is not.

    With no sign-in, a page on another site that rebinds its name to 127.0.0.1 would otherwise
    read and write as the local user; its requests still carry its own name in `Host` and `Origin`.
    """

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {name.lower(): value.decode("latin-1") for name, value in scope["headers"]}
        refusal = _refusal(scope["method"], headers.get(b"host", ""), headers.get(b"origin"))
        if refusal is not None:
            await _refuse(scope, send, refusal)
            return
        await self.app(scope, receive, send)


def _refusal(method: str, host: str, origin: str | None) -> str | None:
    """Why the request is refused, or None when it may go on."""
    if not loopback_host(host):
        return f"the local demo answers only to 127.0.0.1 or localhost, not Host {host!r}"
    if method in UNSAFE and origin is not None and not loopback_origin(origin):
        return f"the local demo accepts changes only from its own pages, not Origin {origin!r}"
    return None


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    path: str = scope["path"]
    if path.startswith("/api/"):
        body = json.dumps({"error": "forbidden", "message": message, "fields": {}}).encode()
        content_type = b"application/json"
    else:
        body, content_type = message.encode(), b"text/plain; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})
