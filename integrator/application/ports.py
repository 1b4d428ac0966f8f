"""The small Protocols integrator needs from the outside world, in its own words.

Adapters in `integrator/adapters/` implement them; tests use in-memory fakes. Every method
raises `errors.Unavailable` (transient) or `errors.Rejected` (permanent), never an SDK error.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from integrator.domain.escalation import Escalation, IncidentStatus, IssueStatus, Message, Page, Ticket
from integrator.domain.tokens import Token


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

    def has_note(self, incident_id: str, text: str) -> bool:
        """Whether the incident already has a note with this text (one a lost reply added)."""
        ...

    def incidents(self, service_ids: Collection[str], *, since: datetime) -> list[IncidentStatus]:
        """Every incident of these services created since `since`, through the list endpoint, paged."""
        ...

    def incident(self, incident_id: str) -> IncidentStatus:
        """One incident (a webhook's re-fetch)."""
        ...

    def resolve(self, incident_id: str) -> None:
        """Resolve the incident; resolving a resolved incident is not an error."""
        ...

    def raise_urgency(self, incident_id: str) -> None:
        """Set the incident's urgency back to high."""
        ...

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

    def comment(self, key: str, text: str) -> None:
        """Add a comment; `text` is plain text, escaped for wiki markup by the adapter."""
        ...

    def has_comment(self, key: str, text: str) -> bool:
        """Whether the issue already has a comment `comment(key, text)` would add (a lost reply's)."""
        ...

    def statuses(self, keys: Collection[str]) -> list[IssueStatus]:
        """The status of each issue, in batched searches (`key in (...)`, pages of up to 100)."""
        ...

    def status(self, key: str) -> IssueStatus:
        """One issue's status (a webhook's re-fetch)."""
        ...

    def transition_to(self, key: str, category: str) -> IssueStatus:
        """Move the issue to a status of `category` ("indeterminate" or "done") by the transition
        whose target is in that category; `Rejected` naming the project and status when the
        workflow has none. Already in that category: nothing is sent."""
        ...

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        """The fields `file` would send, without sending anything."""
        ...


class Mailer(Protocol):
    """Email through SMTP."""

    dry_run: bool

    def send(self, message: Message) -> None: ...


class ChatPoster(Protocol):
    """A team's Slack-compatible incoming webhook."""

    dry_run: bool

    def post(self, webhook_url: str, text: str) -> None: ...


class TokenStore(Protocol):
    """Where API tokens are kept: by name and SHA-256 hash, never the token itself."""

    def add(self, name: str, digest: str, *, at: datetime) -> bool:
        """Keep a new live token; False (nothing kept) when a live token already has the name."""
        ...

    def find(self, digest: str) -> Token | None:
        """The live token with this hash, if any."""
        ...

    def live(self, token_id: int) -> Token | None:
        """The token with this id while it is not revoked."""
        ...

    def revoke(self, name: str, *, at: datetime) -> Token | None:
        """Revoke the live token named `name`; None when there is none."""
        ...

    def all(self) -> list[Token]:
        """Every token ever issued, oldest first, revoked ones included."""
        ...


@dataclass(frozen=True)
class StoreCounts:
    """What the store holds, counted: escalations by state, effects by (kind, state), the oldest due."""

    escalations: Mapping[str, int]
    effects: Mapping[tuple[str, str], int]
    oldest_due: datetime | None  # when the longest-waiting due effect became due; None when none is


class StatsReader(Protocol):
    """Read-only numbers about the store, for health checks and metrics."""

    def ping(self) -> None:
        """Return when the database answers; `errors.StoreUnavailable` when it does not."""
        ...

    def counts(self, *, now: datetime) -> StoreCounts:
        """The counts as of now (effects due at or before `now` are the ones waiting)."""
        ...
