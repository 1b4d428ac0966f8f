"""Faults a test arms on a fake server: a status instead of the answer, a dropped connection, a delay.

A fault matches a request by method (`"*"` for any) and a regular expression that must match the
whole path (`re.fullmatch`, so `r"/rest/api/2/issue"` does not catch `/rest/api/2/issue/ING-1`).
The first armed fault that matches is used, once per request, `times` times (None: until cleared).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Status:
    """Answer `code` with `headers` and `body`, without applying the request."""

    code: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Drop:
    """Close the connection without an answer, before or after applying the request's effect."""

    after_apply: bool = False


@dataclass(frozen=True)
class Delay:
    """Wait `seconds` (cut short when the server stops), then answer normally."""

    seconds: float


Fault = Status | Drop | Delay


@dataclass
class Armed:
    """A fault waiting for matching requests; `remaining` None means until removed."""

    method: str
    pattern: re.Pattern[str]
    fault: Fault
    remaining: int | None

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method.upper()) and self.pattern.fullmatch(path) is not None


class Faults:
    """The faults armed on one server; safe to use from the test while the server answers."""

    def __init__(self) -> None:
        self._armed: list[Armed] = []
        self._lock = threading.Lock()

    def add(self, method: str, path_regex: str, fault: Fault, times: int | None = 1) -> Armed:
        """Arm `fault` for the next `times` matching requests (None: every one until cleared)."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for 'until cleared'")
        armed = Armed(method.upper(), re.compile(path_regex), fault, times)
        with self._lock:
            self._armed.append(armed)
        return armed

    def remove(self, armed: Armed) -> None:
        with self._lock:
            if armed in self._armed:
                self._armed.remove(armed)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    @contextmanager
    def always(self, method: str, path_regex: str, fault: Fault) -> Iterator[Armed]:
        """`fault` on every matching request while the block runs ("PagerDuty answers 503 for minutes")."""
        armed = self.add(method, path_regex, fault, times=None)
        try:
            yield armed
        finally:
            self.remove(armed)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if one is armed; uses up one of its `times`."""
        with self._lock:
            for armed in self._armed:
                if armed.matches(method, path):
                    if armed.remaining is not None:
                        armed.remaining -= 1
                        if armed.remaining == 0:
                            self._armed.remove(armed)
                    return armed.fault
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._armed)
