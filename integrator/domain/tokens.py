"""What is known about an API token once it is issued; the token itself is never kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Token:
    """One issued token: its name, when it was created, and whether it has been revoked."""

    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None
