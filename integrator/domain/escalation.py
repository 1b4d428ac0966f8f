"""An escalation: its state, the effects it owes the outside world, and its timeline (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from integrator.domain.deals import EscalatedDeal

if TYPE_CHECKING:
    from integrator.domain.fingerprint import Fingerprint
    from integrator.domain.owner import Owner
    from integrator.domain.report import FailureReport


def escalation_url(public_url: str, escalation_id: str) -> str:
    """The escalation's page: the one link every message, ticket and page carries."""
    return f"{public_url.rstrip('/')}/escalations/{escalation_id}"


def status_page_url(public_url: str, token: str) -> str:
    """The customer's status page for a shared escalation."""
    return f"{public_url.rstrip('/')}/status/{token}"


class State(StrEnum):
    PENDING = "pending"
    PAGED = "paged"
    ACKNOWLEDGED = "acknowledged"
    FIXED = "fixed"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """Still watched by the sync and its clocks: not fixed, not closed."""
        return self not in (State.FIXED, State.CLOSED)


OPEN_STATES = frozenset(s for s in State if s.is_open)


class EffectKind(StrEnum):
    PAGE = "page"  # PagerDuty: the incident that pages the owning engineer
    TICKET = "ticket"  # Jira: the P1
    LINK = "link"  # the cross-link between the two
    COMMENT = "comment"  # Jira: a comment on the P1
    TRANSITION = "transition"  # Jira: move the P1 to a status category
    NOTE = "note"  # PagerDuty: a note on the incident
    RESOLVE = "resolve"  # PagerDuty: resolve the incident
    URGENCY = "urgency"  # PagerDuty: raise the incident's urgency back to high (and its priority)
    TITLE = "title"  # PagerDuty: the incident's title, rewritten when a deal is linked or unlinked
    SUMMARY = "summary"  # Jira: the P1's summary line (and a linked deal's label), rewritten likewise
    EMAIL = "email"  # a message to one person
    CHAT = "chat"  # a post to the owning team's chat webhook
    HALT = "halt"  # the customer's test environment: halt it (its hook in the catalog)
    RESUME = "resume"  # the customer's test environment: resume it after the fix


class Topic(StrEnum):
    """What stakeholders are told of: the report, each change of status, each clock milestone."""

    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    PAGE_RESOLVED = "page_resolved"
    FIX_50 = "fix-50"
    FIX_75 = "fix-75"
    RCA = "rca"
    BREACH = "breach"
    TELL_CUSTOMER = "tell_customer"  # the reporter's reminder: the customer has not been sent an update
    ARR_AT_RISK = "arr_at_risk"  # the deals of one failure together crossed the re-page threshold


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
    status_url: str | None = None  # the customer status page's link, while it is shared
    effects: tuple[Effect, ...] = ()
    timeline: tuple[Event, ...] = ()
    fingerprint: Fingerprint | None = None  # the failure's identity; None when the report has no trace
    linked_deals: tuple[EscalatedDeal, ...] = ()  # deals 2, 3, …: later reports of the same failure
    seen_as: int = 1  # the deal whose people this is written for (see `for_deal`); `report` is that deal's
    first_report: FailureReport | None = None  # deal 1's report, in another deal's view

    @property
    def label(self) -> str:
        """The Jira label that ties a ticket to this escalation (and finds it after a lost reply)."""
        return f"integrator-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.state.is_open

    @property
    def deals(self) -> tuple[EscalatedDeal, ...]:
        """Every deal this failure puts at risk: the first report's (deal 1), then the linked ones."""
        first = EscalatedDeal(1, self.first_report or self.report, self.created_at)
        if self.seen_as == 1:
            first = replace(first, status_token=self.status_token, status_url=self.status_url)
        return (first, *self.linked_deals)

    def deal(self, number: int) -> EscalatedDeal | None:
        """Deal `number` of this escalation, if it has one."""
        return next((d for d in self.deals if d.number == number), None)

    def deal_of(self, report: FailureReport) -> EscalatedDeal | None:
        """The deal this report became (the first with an equal report), if it is one of them."""
        return next((d for d in self.deals if d.report == report), None)

    def for_deal(self, number: int) -> Escalation:
        """The escalation as one deal's people see it: that deal's report (account, contacts, SE);
        its own RCA promise and its own status page (never deal 1's); the page, the P1, the fix and its
        clock stay the escalation's. `deals` is unchanged."""
        deal = next((d for d in self.linked_deals if d.number == number), None)
        if deal is None or self.seen_as != 1:
            return self
        return replace(
            self,
            report=deal.report,
            seen_as=number,
            first_report=self.report,
            rca_due=deal.rca_due,
            status_token=deal.status_token,
            status_url=deal.status_url,
        )

    def next_deal_number(self) -> int:
        """The number the next linked deal gets: one past every number used, an unlinked deal's too
        (what was owed for a deal number is owed once, ever)."""
        used = [d.number for d in self.deals]
        used += [
            int(ev.data["deal"])
            for ev in self.timeline
            if ev.kind in ("deal_linked", "deal_unlinked") and isinstance(ev.data.get("deal"), int)
        ]
        return max(used) + 1

    def effect(self, kind: EffectKind, target: str = "") -> Effect | None:
        return next((e for e in self.effects if e.kind == kind and e.target == target), None)

    @property
    def incident_id(self) -> str:
        """The PagerDuty incident's id, or "" before (or without) a page."""
        return self.page.incident_id if self.page else ""

    @property
    def ticket_key(self) -> str:
        """The Jira P1's key, or "" before (or without) a ticket."""
        return self.ticket.key if self.ticket else ""

    def changed(self, changes: Changes) -> Escalation:
        """This escalation as `changes` leave it."""
        return replace(self, **changes.fields())


@dataclass(frozen=True)
class Changes:
    """What an effect's outcome or a sync's news changes in an escalation; None leaves a field as it is."""

    state: State | None = None
    page: Page | None = None
    pagerduty_state: str | None = None
    ticket: Ticket | None = None
    jira_state: str | None = None
    jira_status: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    fixed_at: datetime | None = None

    def fields(self) -> dict[str, Any]:
        """The fields this sets, by the escalation's attribute names."""
        return {
            f.name: getattr(self, f.name) for f in dataclass_fields(self) if getattr(self, f.name) is not None
        }

    def __add__(self, other: Changes) -> Changes:
        return replace(self, **other.fields())

    def __bool__(self) -> bool:
        return bool(self.fields())
