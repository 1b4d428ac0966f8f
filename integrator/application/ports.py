"""The small Protocols integrator needs from the outside world, in its own words.

Adapters in `integrator/adapters/` and the stores in `integrator/store/` implement them; bootstrap
picks which (the real adapter or its dry-run stand-in); tests use in-memory fakes. Outbound
methods raise `errors.Unavailable` (transient) or `errors.Rejected` (permanent), never an SDK
error; store methods raise `errors.AlreadyRecorded`, `errors.StoreUnavailable` or `NotFound`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from integrator.domain.checkup import Finding
from integrator.domain.deals import EscalatedDeal
from integrator.domain.escalation import (
    Changes,
    Effect,
    EffectKind,
    EffectState,
    Escalation,
    Event,
    IncidentStatus,
    IssueStatus,
    Message,
    Owed,
    Page,
    State,
    Ticket,
)
from integrator.domain.halt import HookCall
from integrator.domain.owner import Team
from integrator.domain.status import Watch

REPLAY_WINDOW = timedelta(days=7)  # how long a webhook delivery is remembered (redeliveries come sooner)
PRUNE_BATCH = 100  # deliveries forgotten at most per new delivery: pruning stays a small, bounded cost


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Pager(Protocol):
    """PagerDuty, seen as the thing that wakes the owning engineer."""

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
        """Urgency back to high, and the configured priority when PagerDuty has it."""

    def set_title(self, incident_id: str, title: str) -> None: ...

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        """What `page` would send, without sending anything (lookups shown as placeholders)."""
        ...


class Tracker(Protocol):
    """Jira, seen as the place the P1 and its 48-hour clock live."""

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

    def add_label(self, key: str, label: str) -> None:
        """Add a label to the issue (Jira keeps each label once: repeating it adds nothing)."""
        ...

    def set_summary(self, key: str, summary: str, *, label: str | None = None) -> None:
        """Rewrite the issue's summary line (and add `label`) in one edit."""

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

    def send(self, message: Message) -> None: ...


class ChatPoster(Protocol):
    """A team's Slack-compatible incoming webhook."""

    def post(self, webhook_url: str, text: str) -> None: ...


class HaltHook(Protocol):
    """A customer's test-environment control hook, which halts or resumes it (Standard Webhooks)."""

    def send(self, call: HookCall) -> None:
        """Deliver the signed request; returns once the hook confirmed it (a 2xx answer)."""
        ...


@dataclass(frozen=True)
class Attempt:
    """What one attempt at an effect came to, as the store records it."""

    escalation_id: str
    effect_id: int
    state: EffectState
    result: dict[str, Any] | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    changes: Changes = field(default_factory=Changes)
    timeline: tuple[Event, ...] = ()
    kind: EffectKind | None = None  # when known: a done effect of a kind that is never a moment marks none


@dataclass(frozen=True)
class Hold:
    """Effects of these kinds that a new escalation owes are stored already claimed until `until`
    (their first attempt taken) by the caller, who runs them next: no separate claim to commit."""

    kinds: frozenset[EffectKind]
    until: datetime


# What linking a report to an open escalation of the same failure owes: given that escalation (as
# stored) and the new deal, the effects and the timeline events (see `Escalator.linked`).
Linker = Callable[[Escalation, EscalatedDeal], tuple[Sequence[Owed], Sequence[Event]]]


class EscalationStore(Protocol):
    """Escalations, the effects they owe and their timelines; every method is one transaction."""

    def add(
        self,
        escalation: Escalation,
        *,
        owed: Sequence[Owed],
        event: Event,
        link: Linker | None = None,
        hold: Hold | None = None,
    ) -> tuple[Escalation, bool]:
        """Store a new escalation with what it owes; (the first one, False) on a repeated idempotency key.

        With `link`, when an open escalation has the same fingerprint, the report becomes its next
        deal instead, owing what `link` returns: (that escalation, True). Atomic: reports of one
        failure arriving together (threads, processes, replicas) make one escalation. With `hold`,
        the new escalation's effects of its kinds are stored claimed (see `Hold`); nothing else is."""
        ...

    def unlink(
        self,
        escalation_id: str,
        number: int,
        *,
        new: Escalation,
        owed: Sequence[Owed],
        events: Sequence[Event],
        left_owing: Sequence[Owed] = (),
    ) -> Escalation:
        """Take deal `number` off the escalation and store it as `new`, owing `owed`; `events` and
        `left_owing` go to the first escalation. One transaction; `NotFound` when the escalation has
        no such linked deal (deal 1 is the escalation itself)."""

    def apply(
        self,
        escalation_id: str,
        *,
        now: datetime,
        changes: Changes | None = None,
        owed: Iterable[Owed] = (),
        timeline: Sequence[Event] = (),
        only_if_new: bool = False,
    ) -> list[Owed]:
        """Change an escalation, owe new effects (each (kind, target) once, ever) and extend its
        timeline; returns the effects that were new. With `only_if_new`, nothing is changed or
        added when every effect was owed already (a repeated request)."""
        ...

    def claim(self, effect_ids: Sequence[int], *, now: datetime, lease_until: datetime) -> list[Effect]:
        """Take these effects until `lease_until`, those that are due and free, in one transaction."""
        ...

    def extend(self, held: Mapping[int, int], *, until: datetime) -> None:
        """Renew the leases of effects this worker still holds: effect id → the attempt it claimed
        (an effect claimed again since, by another worker, has another attempt and is left alone)."""
        ...

    def record(
        self,
        attempts: Sequence[Attempt],
        *,
        now: datetime,
        claim: Sequence[int] = (),
        lease_until: datetime | None = None,
    ) -> list[Effect]:
        """Record attempts (each effect's new state, what it changed, its timeline) in one transaction;
        in the same transaction, `claim` these effects until `lease_until` as `claim` does (what
        was claimed is returned: the work that comes next, handed over without a commit of its own)."""
        ...

    def take_lease(self, name: str, *, holder: str, now: datetime, until: datetime) -> bool:
        """Hold the named lease until `until`; False while another holder's lease runs."""
        ...

    def release_lease(self, name: str, *, holder: str) -> None: ...

    def first_delivery(self, delivery_id: str, *, now: datetime) -> bool:
        """Remember a webhook delivery; False when it was seen within `REPLAY_WINDOW`.

        Each call also forgets up to `PRUNE_BATCH` deliveries older than the window, so the
        remembered deliveries stay bounded by the traffic of one window.
        """
        ...

    def share_status(
        self, escalation_id: str, token: str | None, *, now: datetime, event: Event, deal: int = 1
    ) -> None:
        """Set (or, with None, revoke) deal `deal`'s customer status page token."""
        ...

    def get(self, escalation_id: str) -> Escalation:
        """The escalation, or `NotFound`."""
        ...

    def find_by_key(self, idempotency_key: str) -> Escalation | None: ...

    def recent(self, *, states: Collection[State] | None = None, limit: int = 200) -> list[Escalation]:
        """Newest first."""
        ...

    def by_status_token(self, token: str) -> Escalation | None:
        """The escalation whose status page (of deal 1, or of a linked deal) has this token, as that
        deal's people see it (`Escalation.for_deal`); None for an unknown or revoked token."""
        ...

    def by_incident(self, incident_id: str) -> Escalation | None: ...

    def by_issue(self, key: str) -> Escalation | None: ...

    def open_with_fingerprint(self, fingerprint_id: str) -> list[Escalation]:
        """Open escalations (not fixed, not closed) of the failure with this fingerprint id, newest first."""
        ...

    def watching(self) -> list[Watch]:
        """What the sync needs of every open escalation (not fixed, not closed), oldest first."""
        ...

    def load(self, ids: Collection[str]) -> list[Escalation]:
        """These escalations (any order); ones that do not exist are left out."""
        ...

    def due_escalations(self, *, now: datetime) -> list[str]:
        """Ids of escalations with a pending effect past its backoff and lease, oldest effect first."""
        ...

    def pending_effects(self) -> list[tuple[str, Effect]]:
        """(escalation id, effect) of every effect still pending, soonest retry first."""
        ...


class SubmitMetrics(Protocol):
    """What the submit path counts: submissions, time to page, background failures."""

    def submitted(self, channel: str, *, created: bool) -> None: ...

    def paged(self, escalation: Escalation) -> None:
        """The escalation's page just went out (observed once, by the run that sent it)."""
        ...

    def background_failed(self) -> None: ...


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
