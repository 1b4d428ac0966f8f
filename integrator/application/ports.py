"""The small Protocols integrator needs from the outside world, in its own words.

Adapters in `integrator/adapters/` implement them; tests use in-memory fakes. Every method
raises `errors.Unavailable` (transient) or `errors.Rejected` (permanent), never an SDK error.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, Protocol

from integrator.domain.checkup import Finding
from integrator.domain.escalation import Escalation, IncidentStatus, IssueStatus, Message, Page, Ticket
from integrator.domain.owner import Team


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


class WiringCheck(Protocol):
    """One outside system's read-only checks of how integrator is wired to it (`integrator doctor`).

    Reads only; a check the credentials may not make is a `not checked` finding with the reason.
    Never raises for what it finds: a refusal or an outage is a finding too.
    """

    system: str

    def check_access(self) -> list[Finding]:
        """Credentials and account-wide settings, under the subject `checkup.SETUP`."""
        ...

    def check_team(self, team: Team) -> list[Finding]:
        """What one catalog owner needs from the system, under the subject `team.handle`."""
        ...
