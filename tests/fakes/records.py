"""What a fake server saw and what it answered: recorded requests, replies, and contract violations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Recorded:
    """One request as it arrived: `path` is percent-decoded and has no query; header names are lower case."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    json: Any | None

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name`."""
        values = self.query.get(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        """Every value of `name`, comma-separated values split (`fields=a,b&fields=c` → a, b, c)."""
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]


@dataclass(frozen=True)
class Violation:
    """A request (or the fake's own answer) that the official contract does not allow."""

    method: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}: {self.message}"


@dataclass(frozen=True)
class Reply:
    """An answer the fake sends: status, headers and raw body."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


JSON_TYPE = "application/json;charset=UTF-8"


def json_reply(status: int, payload: Any, *, content_type: str = JSON_TYPE, **headers: str) -> Reply:
    """`payload` as a JSON answer."""
    body = json.dumps(payload).encode()
    return Reply(status, body, {"Content-Type": content_type, **headers})


def parse_json(body: bytes) -> Any | None:
    """`body` decoded as JSON, or None when it is empty or not JSON."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
