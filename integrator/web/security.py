"""What every response and request goes through: security headers, a body size limit, CSRF tokens.

CSRF uses a signed double submit: a random value in an HttpOnly cookie, and in each form (or the
`X-CSRF-Token` header of the page's own script calls) an HMAC of it under the secret key. A page on
another site can neither read the cookie nor compute the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from integrator.web.problems import Forbidden, TooLarge

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class HttpMiddleware:
    """Pure ASGI middleware for HTTP requests; other scopes (lifespan) pass straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class SecurityHeaders(HttpMiddleware):
    """Adds CSP (no inline script anywhere, /docs included), no-sniff, frame-deny and referrer policy."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {name.lower() for name, _ in headers}  # a route's own stricter choice stands
                extra = [(b"content-security-policy", CSP.encode()), *HEADERS]
                message["headers"] = headers + [(name, value) for name, value in extra if name not in have]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses bodies over `max_bytes`: at once when Content-Length says so, else while reading."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise TooLarge(self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the request body is over {self.max_bytes:,} bytes"

    async def _refuse(self, scope: Scope, send: Send) -> None:
        path: str = scope["path"]
        body = b'{"error":"too_large","message":"%s","fields":{}}' % self._message().encode()
        content_type = b"application/json"
        if not path.startswith("/api/"):
            body, content_type = self._message().encode(), b"text/plain; charset=utf-8"
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class Csrf:
    """Issues and checks the per-browser CSRF token (see the module docstring)."""

    secret: bytes
    secure: bool
    cookie: str = "integrator_csrf"
    header: str = "X-CSRF-Token"
    field: str = "csrf_token"

    def token(self, request: Request) -> tuple[str, str | None]:
        """The token for this browser's forms, and a new cookie value to set when it has none yet."""
        value = request.cookies.get(self.cookie)
        if value and len(value) >= 32:
            return self._sign(value), None
        value = secrets.token_urlsafe(32)
        return self._sign(value), value

    def check(self, request: Request, submitted: str | None) -> None:
        """Raise `Forbidden` unless `submitted` is this browser's token."""
        value = request.cookies.get(self.cookie)
        if not value or not submitted or not hmac.compare_digest(self._sign(value), submitted):
            raise Forbidden(
                "the form's security token is missing or stale (CSRF protection);"
                " reload the page and submit again"
            )

    def check_form(self, request: Request, form: FormData) -> None:
        """`check` with the token a posted form carries in its hidden field."""
        self.check(request, form_text(form, self.field))

    def _sign(self, value: str) -> str:
        return hmac.new(self.secret, value.encode(), hashlib.sha256).hexdigest()


def form_text(form: FormData, name: str) -> str | None:
    """A posted field's text; None when the field is missing or is a file."""
    value = form.get(name)
    return value if isinstance(value, str) else None
