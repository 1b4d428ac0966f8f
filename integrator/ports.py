"""The small Protocols integrator needs from the outside world, in its own words.

Adapters in `integrator/adapters/` implement them; tests use in-memory fakes. Every method
raises `errors.Unavailable` (transient) or `errors.Rejected` (permanent), never an SDK error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from integrator.model import Escalation, Page, Ticket


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Pager(Protocol):
    """PagerDuty, seen as the thing that wakes the owning engineer."""

    dry_run: bool

    def page(self, escalation: Escalation) -> Page:
        """Open a high-urgency incident keyed by the escalation id, assigned to its engineer."""
        ...

    def find(self, escalation: Escalation) -> Page | None:
        """The incident an earlier, possibly lost, `page` call opened for this escalation, if any."""
        ...

    def add_note(self, incident_id: str, text: str) -> None: ...

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        """What `page` would send, without sending anything (lookups shown as placeholders)."""
        ...


class Tracker(Protocol):
    """Jira, seen as the place the P1 and its 48-hour clock live."""

    dry_run: bool

    def file(self, escalation: Escalation) -> Ticket:
        """Create the P1 for the escalation (one request; never searches first)."""
        ...

    def find(self, escalation: Escalation) -> Ticket | None:
        """The ticket carrying the escalation's label, if an earlier create went through."""
        ...

    def link(self, key: str, *, url: str, title: str) -> None:
        """Attach `url` to the ticket as a remote link; repeating it does not add a second link."""
        ...

    def comment(self, key: str, text: str) -> None: ...

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        """The fields `file` would send, without sending anything."""
        ...
