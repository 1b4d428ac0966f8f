"""What the Insights figures are made of: the period asked about and the facts a store counts (no I/O).

A store counts and ranks in the database; these values carry only what it found (counts, sums in
cents, percentiles in whole seconds), never the escalations themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

WEEK = timedelta(days=7)
FIX_BIN = timedelta(hours=12)  # the time-to-fix distribution's bar width
FIX_BINS = 8  # bars of FIX_BIN; the last one holds everything slower (96 h and more)
BREACHES_SHOWN = 50  # the newest breaches listed; the count covers them all
CUSTOMER_UPDATE = "customer-update:"  # the email target prefix of a Sales Engineer's update
HALT = "halt"  # EffectKind.HALT's value: counted by name, so it counts once that effect exists


class Measure(StrEnum):
    """The response times measured, each from the report (or the page) to a moment."""

    PAGE = "page"  # report → page sent (the page effect done)
    ACK = "ack"  # page sent → acknowledged
    TOLD = "told"  # report → the first customer update to the Economic Buyer sent
    RCA = "rca"  # report → the update carrying the root-cause analysis sent
    FIX = "fix"  # report → fix confirmed


PERCENTILES = (50, 90)


@dataclass(frozen=True)
class InsightsQuery:
    """The period [since, until), optionally one owner team; `now` decides which promises are due."""

    since: datetime
    until: datetime
    now: datetime
    team: str | None = None
    # The protocol's window for telling the Economic Buyer and the Executive Sponsor.
    tell_within: timedelta = timedelta(minutes=60)


@dataclass(frozen=True)
class Spread:
    """One measure's durations for one team ("" = every team): how many, and the nearest-rank p50/p90."""

    measure: Measure
    team: str
    count: int
    p50: int  # seconds
    p90: int


@dataclass(frozen=True)
class WeekCount:
    """One week of the period (week 0 starts at `since`): escalations, and ARR at risk by currency."""

    week: int
    escalations: int
    arr_cents: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Tally:
    """A promise's record: kept (met by its time), broken (met late, or due and not met)."""

    kept: int = 0
    broken: int = 0


@dataclass(frozen=True)
class Breach:
    """An escalation that broke a promise: which (`rca`, `fix`), when it was due, when it was met."""

    escalation_id: str
    team: str
    account: str
    promise: str
    due: datetime
    met_at: datetime | None


@dataclass(frozen=True)
class InsightFacts:
    """What a store counted for one `InsightsQuery`."""

    escalations: int = 0
    deals: int = 0  # every deal of the period's escalations: its first report and those linked to it
    still_open: int = 0
    arr_cents: Mapping[str, int] = field(default_factory=dict)  # currency → ARR at risk, in cents
    spreads: Sequence[Spread] = ()
    weeks: Sequence[WeekCount] = ()
    fix_bins: Mapping[int, int] = field(default_factory=dict)  # bin (of FIX_BIN, last open) → fixes
    rca: Tally = Tally()
    fix: Tally = Tally()
    breaches: Sequence[Breach] = ()  # the newest BREACHES_SHOWN, newest first
    breach_count: int = 0
    buyer_told: int = 0  # escalations whose Economic Buyer had an update within `tell_within`
    sponsor_told: int = 0  # escalations whose Executive Sponsor was emailed within `tell_within`
    halted: int = 0  # environments halted (halt effects done)


def nearest_rank(ordered: Sequence[int], percent: int) -> int:
    """The nearest-rank percentile of ascending values: the smallest with rank ≥ percent % of them."""
    return ordered[max(1, -(-len(ordered) * percent // 100)) - 1]


def fix_bin(seconds: int) -> int:
    """The time-to-fix bar a fix taking `seconds` falls in."""
    return min(int(seconds // FIX_BIN.total_seconds()), FIX_BINS - 1)
