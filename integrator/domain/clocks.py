"""The clocks of an escalation: when the root-cause analysis is promised and when the fix is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from integrator.domain.escalation import Escalation, Event, Topic

MILESTONES = {Topic.FIX_50: 0.5, Topic.FIX_75: 0.75}  # reminders at these shares of the fix window


def deal_milestone(topic: Topic, deal: int) -> str:
    """The name of one deal's clock milestone (its timeline kind after `clock:`): deal 1's is the
    escalation's own (`rca`), a linked deal's carries its number (`rca:deal-2`)."""
    return topic.value if deal == 1 else f"{topic.value}:deal-{deal}"


def fix_due(created_at: datetime, fix_hours: float) -> datetime:
    return created_at + timedelta(hours=fix_hours)


class PromiseState(StrEnum):
    DUE = "due"
    MET = "met"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Promise:
    """A promise made to the customer (the root-cause analysis, the fix) and where it stands."""

    what: str
    due: datetime
    state: PromiseState
    met_at: datetime | None


def rca_sent_at(e: Escalation, deal: int | None = None) -> datetime | None:
    """When the SE sent a customer an update marked as carrying the RCA, if they have: to any deal's
    customer, or with `deal`, to that deal's (an update from before deals went to deal 1's)."""
    return next(
        (
            ev.at
            for ev in e.timeline
            if delivers_rca(ev) and (deal is None or deal in ev.data.get("deals", [1]))
        ),
        None,
    )


def delivers_rca(event: Event) -> bool:
    """Whether this timeline event is a customer update marked as carrying the RCA."""
    return event.kind == "customer_update_sent" and bool(event.data.get("rca"))


def promises(e: Escalation, *, now: datetime | None = None) -> list[Promise]:
    """The RCA (met by an update marked as carrying it) and the fix (met when confirmed).

    Overdue: past due at `now`; without a clock, once the sync has raised that milestone.
    """
    raised = {event.kind for event in e.timeline}

    def state(due: datetime, met_at: datetime | None, milestone: str) -> PromiseState:
        if met_at is not None:
            return PromiseState.MET
        late = now > due if now is not None else f"clock:{milestone}" in raised
        return PromiseState.OVERDUE if late else PromiseState.DUE

    rca_at = rca_sent_at(e, e.seen_as)  # each deal's customer is promised, and sent, the RCA
    return [
        Promise(
            "Root-cause analysis",
            e.rca_due,
            state(e.rca_due, rca_at, deal_milestone(Topic.RCA, e.seen_as)),
            rca_at,
        ),
        Promise("Fix", e.fix_due, state(e.fix_due, e.fixed_at, Topic.BREACH.value), e.fixed_at),
    ]
