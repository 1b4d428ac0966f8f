"""Domain values: the failure report, the resolved owner, escalations, effects and events (no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _check_email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from exc
    return value


def _strip(value: str) -> str:
    return value.strip()


Email = Annotated[str, AfterValidator(_check_email)]
Text = Annotated[str, AfterValidator(_strip)]
RequiredText = Annotated[str, AfterValidator(_strip), Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=200_000)


class Person(_Strict):
    name: Text = ""
    email: Email | None = None


class Deal(_Strict):
    account: RequiredText
    arr: Decimal = Field(ge=0, max_digits=15, decimal_places=2)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    poc_ends_on: date | None = None
    economic_buyer: Person | None = None
    executive_sponsor: Person | None = None
    account_executive: Person | None = None


class Failure(_Strict):
    title: Annotated[str, AfterValidator(_strip), Field(min_length=1, max_length=250)]
    description: Text = ""
    criterion: Text = ""
    observed: Text = ""
    locations: list[Annotated[str, AfterValidator(_strip), Field(min_length=1, max_length=1000)]] = []
    stack_trace: str = ""
    environment: Text = ""
    test_halted: bool = False
    occurred_at: datetime | None = None


class Reporter(_Strict):
    name: Text = ""
    email: Email
    time_zone: Annotated[str, AfterValidator(_check_time_zone)] = "UTC"


class FailureReport(_Strict):
    """What a Sales Engineer submits when a proof-of-concept breaks."""

    deal: Deal
    failure: Failure
    reporter: Reporter
    rca_due: datetime | None = None
    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _needs_a_location(self) -> FailureReport:
        if not self.failure.locations and not self.failure.stack_trace.strip():
            raise ValueError("failure.locations or failure.stack_trace is required")
        return self


@dataclass(frozen=True)
class Team:
    """One owner handle of the catalog: the microservice and where its work goes."""

    handle: str
    service: str
    jira_project: str
    pagerduty_service: str
    senior_engineer: str
    jira_component: str | None = None
    breach_contacts: tuple[str, ...] = ()
    chat_webhook: str | None = None


@dataclass(frozen=True)
class Owner:
    """Who owns a failure, and why: the location and the registry line that decided."""

    team: Team
    engineer: str
    location: str | None
    line: int | None
    pattern: str | None

    def explain(self) -> str:
        if self.line is None:
            return f"no registry line owns the locations; {self.team.handle} is the catalog's default owner"
        return (
            f"{self.location!r} matches line {self.line} ({self.pattern}) of the registry,"
            f" owned by {self.team.handle}"
        )


class State(StrEnum):
    PENDING = "pending"
    PAGED = "paged"
    ACKNOWLEDGED = "acknowledged"
    FIXED = "fixed"
    CLOSED = "closed"


class EffectKind(StrEnum):
    PAGE = "page"  # PagerDuty: the incident that pages the owning engineer
    TICKET = "ticket"  # Jira: the P1
    LINK = "link"  # the cross-link between the two
    COMMENT = "comment"  # Jira: a comment on the P1
    TRANSITION = "transition"  # Jira: move the P1 to a status category
    NOTE = "note"  # PagerDuty: a note on the incident
    RESOLVE = "resolve"  # PagerDuty: resolve the incident
    URGENCY = "urgency"  # PagerDuty: raise the incident's urgency back to high
    EMAIL = "email"  # a message to one person
    CHAT = "chat"  # a post to the owning team's chat webhook


class EffectState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Page:
    """An incident that pages one engineer (or, failing that, the service's escalation policy)."""

    incident_id: str
    url: str | None
    assignee: str | None  # the PagerDuty user id paged directly; None = the escalation policy
    note: str = ""  # why the escalation policy was paged instead, when it was


@dataclass(frozen=True)
class Ticket:
    key: str
    url: str


@dataclass(frozen=True)
class IncidentStatus:
    """A PagerDuty incident as the status sync sees it."""

    incident_id: str
    incident_key: str | None
    status: str  # "triggered", "acknowledged" or "resolved"
    urgency: str  # "high" or "low"
    acknowledged_by: str | None = None  # the acknowledging user's name, when acknowledged
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None  # who resolved it, when PagerDuty says
    updated_at: datetime | None = None


@dataclass(frozen=True)
class IssueStatus:
    """A Jira issue as the status sync sees it."""

    key: str
    status: str  # the status name, e.g. "In Progress"
    category: str  # the status category key: "new", "indeterminate" or "done"
    resolution: str | None = None


@dataclass(frozen=True)
class Message:
    """One email: to one person, in the words their role needs."""

    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class Effect:
    id: int
    kind: EffectKind
    state: EffectState
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    target: str = ""  # tells apart effects of one kind: "acknowledged", "fix-50:pat@acme.example"
    result: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)  # what to send, decided when it was owed


@dataclass(frozen=True)
class Owed:
    """An effect an escalation comes to owe; (kind, target) is owed at most once per escalation."""

    kind: EffectKind
    target: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Escalation:
    """One report, its resolved owner, its clocks, what is owed to the outside and what happened."""

    id: str
    state: State
    dry_run: bool
    report: FailureReport
    owner: Owner
    created_at: datetime
    fix_due: datetime
    rca_due: datetime
    url: str
    page: Page | None = None
    pagerduty_state: str | None = None
    ticket: Ticket | None = None
    jira_state: str | None = None  # the P1's status category: "new", "indeterminate" or "done"
    jira_status: str | None = None  # the P1's status name, as Jira shows it
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    fixed_at: datetime | None = None
    status_token: str | None = None  # the customer status page's capability; None = not shared
    effects: tuple[Effect, ...] = ()
    timeline: tuple[Event, ...] = ()

    @property
    def label(self) -> str:
        """The Jira label that ties a ticket to this escalation (and finds it after a lost reply)."""
        return f"integrator-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.state not in (State.FIXED, State.CLOSED)

    def effect(self, kind: EffectKind, target: str = "") -> Effect | None:
        return next((e for e in self.effects if e.kind == kind and e.target == target), None)

    def owes(self, kind: EffectKind, target: str) -> bool:
        """Whether this escalation already owes (or owed) that effect."""
        return self.effect(kind, target) is not None
