"""The status diff: what Jira's and PagerDuty's news and the clocks come to for one escalation (pure).

`plan_sync` compares what integrator last knew with what the two systems say now; `plan_clock`
raises the fix-clock milestones (50 %, 75 %, the RCA time, the breach) once each. Both return a
`SyncPlan`: the escalation's changes, the effects it now owes, its timeline, and the topics its
stakeholders are told of. Whatever the service changed itself is already known, so nothing echoes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime, timedelta

from integrator.domain.clocks import MILESTONES, deal_milestone
from integrator.domain.escalation import (
    Changes,
    EffectKind,
    Escalation,
    Event,
    IncidentStatus,
    IssueStatus,
    Owed,
    Page,
    State,
    Ticket,
    Topic,
)

WATCHED_PD_STATES = ("triggered", "acknowledged", "resolved")  # not "dry-run", not unknown


@dataclass(frozen=True)
class WatchedDeal:
    """A linked deal's own clocks: when it was reported, by whom, and when its RCA is promised."""

    number: int
    created_at: datetime
    reporter: str  # its SE's email: who is reminded to tell its customer
    rca_due: datetime


@dataclass(frozen=True)
class Watch:
    """What the sync needs of an open escalation to see news: its known states, clocks and milestones.

    The store reads these for every open escalation in one narrow query; the whole escalation is
    read only for the few that turn out to have news.
    """

    id: str
    state: State
    created_at: datetime
    fix_due: datetime
    rca_due: datetime
    pagerduty_service: str
    page: Page | None = None
    pagerduty_state: str | None = None
    ticket: Ticket | None = None
    jira_state: str | None = None
    jira_status: str | None = None
    acknowledged_at: datetime | None = None
    fixed_at: datetime | None = None
    raised: frozenset[str] = frozenset()  # the clock milestones already on the timeline (and CUSTOMER_TOLD)
    reporter: str = ""  # the reporting SE's email: who is reminded to tell the customer
    linked: tuple[WatchedDeal, ...] = ()  # deals 2, 3, …: each has its own reminder and RCA time
    told: frozenset[int] = frozenset()  # the deals a customer update went to

    @classmethod
    def of(cls, e: Escalation) -> Watch:
        own = {"pagerduty_service", "raised", "reporter", "linked", "told"}
        shared = {name: getattr(e, name) for name in WATCH_FIELDS - own}
        raised = frozenset(event.kind for event in e.timeline if watched_kind(event.kind))
        told = (told_deals(ev.data.get("deals")) for ev in e.timeline if ev.kind == CUSTOMER_TOLD)
        return cls(
            **shared,
            pagerduty_service=e.owner.team.pagerduty_service,
            raised=raised,
            reporter=e.report.reporter.email,
            linked=tuple(WatchedDeal(d.number, d.created_at, d.reporter, d.rca_due) for d in e.linked_deals),
            told=frozenset(n for deals in told for n in deals),
        )

    def changed(self, changes: Changes) -> Watch:
        known = {name: value for name, value in changes.fields().items() if name in WATCH_FIELDS}
        return replace(self, **known)


MILESTONE = "clock:"  # the timeline kind of a raised milestone: clock:fix-50, clock:rca, clock:breach
CUSTOMER_TOLD = "customer_update_sent"  # the timeline kind of a customer update: the customer is told


def watched_kind(kind: str) -> bool:
    """Whether a timeline event of `kind` is one the clocks read: a milestone, or the customer told."""
    return kind.startswith(MILESTONE) or kind == CUSTOMER_TOLD


def told_deals(deals: object) -> tuple[int, ...]:
    """The deals a customer update went to, from its event's data `deals` (none: deal 1's, from
    before deals)."""
    if not isinstance(deals, list | tuple):
        return (1,)
    return tuple(int(n) for n in deals)


WATCH_FIELDS = frozenset(f.name for f in dataclass_fields(Watch))


@dataclass(frozen=True)
class SyncPlan:
    """What one escalation's news comes to: its new fields, what it now owes, its timeline."""

    changes: Changes = field(default_factory=Changes)
    owed: tuple[Owed, ...] = ()
    events: tuple[Event, ...] = ()
    topics: tuple[Topic, ...] = ()  # what the stakeholders are told of (the application owes the messages)
    deal_topics: tuple[tuple[Topic, int], ...] = ()  # what one linked deal's people alone are told of

    def __add__(self, other: SyncPlan) -> SyncPlan:
        return SyncPlan(
            self.changes + other.changes,
            self.owed + other.owed,
            self.events + other.events,
            self.topics + other.topics,
            self.deal_topics + other.deal_topics,
        )

    def __bool__(self) -> bool:
        return bool(self.changes or self.owed or self.events or self.topics or self.deal_topics)


def plan_sync(
    escalation: Escalation | Watch,
    incident: IncidentStatus | None,
    issue: IssueStatus | None,
    *,
    now: datetime,
    resolve_page_on_fix: bool,
) -> SyncPlan:
    """The differences between what integrator last knew and what the two systems say now."""
    e = escalation if isinstance(escalation, Watch) else Watch.of(escalation)
    plan = SyncPlan()
    known_pd = e.pagerduty_state if e.pagerduty_state in WATCHED_PD_STATES else None
    if incident is not None and known_pd is not None and incident.status != known_pd:
        plan += _incident_news(e, incident, now=now)
    jira_done = (issue.category if issue else e.jira_state) == "done"
    if issue is not None and e.ticket is not None and e.jira_state not in (None, "dry-run"):
        if issue.category != e.jira_state:
            page_resolved = (incident.status if incident else known_pd) == "resolved"
            plan += _issue_news(e, issue, now=now, resolve_page=resolve_page_on_fix and not page_resolved)
        elif issue.status != e.jira_status:
            plan += SyncPlan(changes=Changes(jira_status=issue.status))
    if incident is not None and incident.status == "resolved" and known_pd != "resolved" and not jira_done:
        plan += _page_over_ticket_open(e, incident, now=now)
    return plan


def _incident_news(e: Watch, incident: IncidentStatus, *, now: datetime) -> SyncPlan:
    plan = SyncPlan(changes=Changes(pagerduty_state=incident.status))
    if incident.status != "acknowledged" or e.acknowledged_at is not None:
        return plan
    who = incident.acknowledged_by or "the on-call engineer"
    at = incident.acknowledged_at or now
    text = f"Acknowledged in PagerDuty by {who} at {at:%Y-%m-%d %H:%M} UTC"
    owed = [Owed(EffectKind.COMMENT, "acknowledged", {"text": text})]
    if e.ticket is not None and e.jira_state == "new":  # the engineer is on it: the P1 is in progress
        owed.append(Owed(EffectKind.TRANSITION, "indeterminate", {"category": "indeterminate"}))
    state = State.ACKNOWLEDGED if e.state in (State.PENDING, State.PAGED) else None
    changes = Changes(acknowledged_at=at, acknowledged_by=who, state=state)
    event = Event(at=now, kind="acknowledged", text=text, data={"by": who})
    return plan + SyncPlan(changes, tuple(owed), (event,), (Topic.ACKNOWLEDGED,))


def _issue_news(e: Watch, issue: IssueStatus, *, now: datetime, resolve_page: bool) -> SyncPlan:
    changes = Changes(jira_state=issue.category, jira_status=issue.status)
    if issue.category == "indeterminate":
        text = f"Jira {issue.key} is in progress ({issue.status})"
        owed: tuple[Owed, ...] = (Owed(EffectKind.NOTE, "jira-indeterminate", {"text": text}),)
        event = Event(at=now, kind="in_progress", text=text, data={"status": issue.status})
        return SyncPlan(changes, owed, (event,), (Topic.IN_PROGRESS,))
    if issue.category == "done":
        resolution = f", {issue.resolution}" if issue.resolution else ""
        text = f"Jira {issue.key} is done ({issue.status}{resolution}); the fix clock is stopped"
        owed = (Owed(EffectKind.NOTE, "jira-done", {"text": text}),)
        if resolve_page:
            owed += (Owed(EffectKind.RESOLVE, "jira-done"),)
        changes += Changes(state=State.FIXED, fixed_at=now)
        event = Event(at=now, kind="fixed", text=text, data={"status": issue.status})
        return SyncPlan(changes, owed, (event,), (Topic.FIXED,))
    text = f"Jira {issue.key} is back in {issue.status}"  # reopened or moved back: recorded, not relayed
    return SyncPlan(
        changes, (), (Event(at=now, kind="jira_moved", text=text, data={"status": issue.status}),)
    )


def _page_over_ticket_open(e: Watch, incident: IncidentStatus, *, now: datetime) -> SyncPlan:
    by = f" by {incident.resolved_by}" if incident.resolved_by else ""
    at = incident.updated_at or now
    text = (
        f"The PagerDuty incident was resolved{by} at {at:%Y-%m-%d %H:%M} UTC. The page is over; "
        "this P1 stays open until the fix is done."
    )
    owed = (Owed(EffectKind.COMMENT, "page-resolved", {"text": text}),)
    event = Event(at=now, kind="page_resolved", text=text, data={})
    return SyncPlan(Changes(), owed, (event,), (Topic.PAGE_RESOLVED,))


def plan_clock(
    escalation: Escalation | Watch, *, now: datetime, tell_customer_within: timedelta | None = None
) -> SyncPlan:
    """Reminders at 50% and 75% of the fix window and at each deal's RCA time; on breach, escalate.
    Once each.

    With `tell_customer_within`, each deal's SE is also reminded, once, when no customer update has
    gone to that deal's customer that long after the deal's report. Deal 1's milestones are the
    escalation's (`clock:rca`, `clock:tell_customer`); a linked deal's carry its number
    (`clock:rca:deal-2`) and tell that deal's people alone.
    """
    e = escalation if isinstance(escalation, Watch) else Watch.of(escalation)
    if not e.state.is_open or e.fixed_at is not None:
        return SyncPlan()  # the clocks stop when the fix is confirmed
    window = e.fix_due - e.created_at
    first = WatchedDeal(1, e.created_at, e.reporter, e.rca_due)
    moments = [(name, first, e.created_at + window * share) for name, share in MILESTONES.items()]
    moments += [(Topic.RCA, first, e.rca_due), (Topic.BREACH, first, e.fix_due)]
    moments += [(Topic.RCA, deal, deal.rca_due) for deal in e.linked]
    if tell_customer_within is not None:
        moments += [
            (Topic.TELL_CUSTOMER, deal, deal.created_at + tell_customer_within)
            for deal in (first, *e.linked)
            if deal.number not in e.told
        ]
    plan = SyncPlan()
    for topic, deal, moment in moments:
        if moment > now or f"{MILESTONE}{deal_milestone(topic, deal.number)}" in e.raised:
            continue
        plan += _milestone(e, topic, moment, deal)
    return plan


def _milestone(e: Watch, name: Topic, moment: datetime, deal: WatchedDeal) -> SyncPlan:
    owed: tuple[Owed, ...] = ()
    whose = f"deal {deal.number}'s customer" if deal.number > 1 else "the customer"
    if name == Topic.BREACH:
        text = f"The 48-hour fix clock is breached: the fix was due {e.fix_due:%Y-%m-%d %H:%M} UTC"
        owed = (
            Owed(EffectKind.NOTE, "breach", {"text": text}),
            Owed(EffectKind.COMMENT, "breach", {"text": text}),
            Owed(EffectKind.URGENCY, "breach"),
        )
    elif name == Topic.TELL_CUSTOMER:
        minutes = round((moment - deal.created_at).total_seconds() / 60)
        report = f"deal {deal.number}'s report" if deal.number > 1 else "the report"
        text = (
            f"Reminded {deal.reporter or 'the reporting SE'} that {whose} has not been told"
            f" ({minutes} minutes after {report}, no customer update sent)"
        )
    elif name == Topic.RCA:
        text = f"The root-cause analysis promised to {whose} is due now ({deal.rca_due:%Y-%m-%d %H:%M} UTC)"
    else:
        share = name.removeprefix("fix-")
        text = f"{share}% of the fix window has passed; the fix is due {e.fix_due:%Y-%m-%d %H:%M} UTC"
    kind = f"{MILESTONE}{deal_milestone(name, deal.number)}"
    if deal.number > 1:
        event = Event(at=moment, kind=kind, text=text, data={"deal": deal.number})
        return SyncPlan(Changes(), owed, (event,), deal_topics=((name, deal.number),))
    return SyncPlan(Changes(), owed, (Event(at=moment, kind=kind, text=text, data={}),), (name,))
