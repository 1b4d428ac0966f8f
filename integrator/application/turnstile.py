"""A gate that lets at most a few threads through at once, in the order they arrived."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Turnstile:
    """At most `width` holders at once, admitted first come, first served.

    Python's locks promise no order: under a burst, a thread that arrived late can pass many that
    came before it, and the first to arrive may wait longest. Tickets keep the order, so time in
    the queue grows with the queue, not with luck.
    """

    def __init__(self, width: int) -> None:
        if width < 1:
            raise ValueError("width must be at least 1")
        self.width = width
        self._turn = threading.Condition()
        self._issued = 0  # tickets handed out
        self._left = 0  # holders that have passed through

    @property
    def arrived(self) -> int:
        """How many have come to the gate so far (passed, passing or waiting)."""
        with self._turn:
            return self._issued

    @contextmanager
    def passing(self) -> Iterator[None]:
        with self._turn:
            ticket = self._issued
            self._issued += 1
            self._turn.wait_for(lambda: ticket < self._left + self.width)
        try:
            yield
        finally:
            with self._turn:
                self._left += 1
                self._turn.notify_all()
