"""Read deadlines per connection under uvicorn: headers and body must arrive in time, or it is closed."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def timed_protocol(*, header_seconds: float, body_seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request headers or body arrive too slowly.

    uvicorn bounds only the idle time between requests; a client sending one header line every few
    seconds (slow loris) would otherwise hold its connection, and a server slot, for ever.
    """

    class TimedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _owes: str | None = None  # "headers" or "body", while a deadline is armed

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm(header_seconds)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._follow()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._follow()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _follow(self) -> None:
            """Arm the deadline of what the client owes next: headers, a body, or nothing."""
            state = self.conn.their_state
            if state is h11.IDLE and self._deadline is None:
                self._arm(header_seconds)
            elif state is h11.SEND_BODY and self._owes != "body":
                self._arm(body_seconds, owes="body")
            elif state not in (h11.IDLE, h11.SEND_BODY):
                self._disarm()

        def _arm(self, seconds: float, owes: str = "headers") -> None:
            self._disarm()
            self._owes = owes
            self._deadline = self.loop.call_later(seconds, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline, self._owes = None, None

        def _expire(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.logger.warning("closed a connection whose request %s came too slowly", self._owes)
                self.transport.close()

    return TimedH11Protocol
