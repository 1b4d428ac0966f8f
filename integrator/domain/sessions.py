"""What is known about a browser's sign-in session; the secret in its cookie is never kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Session:
    """One signed-in browser: the token it signed in with, when, from what browser, and when it ended."""

    id: int
    token_id: int
    agent: str  # the browser's User-Agent, cut short: how a person tells their sessions apart
    created_at: datetime
    ended_at: datetime | None

    @property
    def live(self) -> bool:
        return self.ended_at is None
