"""The request id: taken from `X-Request-ID` (when sane) or made up, logged with every line, and answered."""

from __future__ import annotations

import re
import uuid

from starlette.types import Message, Receive, Scope, Send

from integrator import logs
from integrator.web.security import HttpMiddleware

HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


class RequestId(HttpMiddleware):
    """ASGI middleware: every line logged while answering a request carries its id."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope["headers"]).get(HEADER, b"")
        value = given.decode() if _SANE.fullmatch(given) else uuid.uuid4().hex

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, value.encode())]
            await send(message)

        with logs.bound(request_id=value):
            await self.app(scope, receive, answer)
