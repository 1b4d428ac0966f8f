"""A gate that lets at most a few threads through at once, in the order they arrived."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class Turnstile:
    """At most `width` holders at once, admitted first come, first served.

    Python's locks promise no order: under a burst, a thread that arrived late can pass many that
    came before it, and the first to arrive may wait longest. Here each waiter has its own event
    and a leaving holder hands its place to the longest waiting one (waking no other), so time in
    the queue grows with the queue, not with luck.
    """

    def __init__(self, width: int) -> None:
        if width < 1:
            raise ValueError("width must be at least 1")
        self.width = width
        self._lock = threading.Lock()
        self._inside = 0
        self._waiting: deque[threading.Event] = deque()
        self._arrived = 0

    @property
    def arrived(self) -> int:
        """How many have come to the gate so far (passed, passing or waiting)."""
        with self._lock:
            return self._arrived

    @contextmanager
    def passing(self) -> Iterator[None]:
        with self._lock:
            self._arrived += 1
            turn = None
            if self._inside < self.width and not self._waiting:
                self._inside += 1
            else:
                turn = threading.Event()
                self._waiting.append(turn)
        if turn is not None:
            turn.wait()  # the holder that leaves hands its place over: `_inside` stays counted
        try:
            yield
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting.popleft().set()
                else:
                    self._inside -= 1
