"""Insights: what POC failures cost, how fast each team answered, and whether the promises were kept.

The store counts and ranks (`StatsReader.insights`); this builds the one report the page, the API
and `integrator insights` show. A figure with nothing to measure is None ("no data"), never NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from integrator.application.records import StatsReader
from integrator.domain.escalation import escalation_url
from integrator.domain.insights import (
    FIX_BIN,
    FIX_BINS,
    WEEK,
    Breach,
    InsightFacts,
    InsightsQuery,
    Measure,
    Spread,
    Tally,
)
from integrator.errors import InvalidInput

DEFAULT_DAYS = 90
MAX_PERIOD = timedelta(days=3660)  # ten years: a period's weeks stay a short list
# The protocol's window: INTEGRATOR_PROTOCOL__TELL_CUSTOMER_WITHIN_MINUTES replaces it once it lands.
TELL_WITHIN_MINUTES = 60  # the default of INTEGRATOR_PROTOCOL__TELL_CUSTOMER_WITHIN_MINUTES
ALL_TEAMS = ""
MEASURE_NAMES = {
    Measure.PAGE: "Report → page sent",
    Measure.ACK: "Page → acknowledged",
    Measure.TOLD: "Report → customer told",
    Measure.RCA: "Report → RCA delivered",
    Measure.FIX: "Report → fixed",
}


def duration(seconds: int | None) -> str:
    """`45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`; "no data" for None."""
    if seconds is None:
        return "no data"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def percent(value: float | None) -> str:
    """`75 %`, `66.7 %`; "no data" for None (never NaN)."""
    return "no data" if value is None else f"{value * 100:.1f}".removesuffix(".0") + " %"


def share(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places, or None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class Bin:
    """One bar of the time-to-fix distribution: fixes that took [start, end) hours (end None = more)."""

    start_hours: int
    end_hours: int | None
    fixes: int
    within_clock: bool


@dataclass(frozen=True)
class Week:
    starts: date
    escalations: int
    arr: dict[str, Decimal]


@dataclass(frozen=True)
class Insights:
    """The report for one period (and perhaps one team)."""

    query: InsightsQuery
    facts: InsightFacts
    fix_hours: float
    public_url: str

    @property
    def empty(self) -> bool:
        return self.facts.escalations == 0

    @property
    def arr(self) -> dict[str, Decimal]:
        return {c: _money(cents) for c, cents in sorted(self.facts.arr_cents.items())}

    def teams(self) -> list[str]:
        """The teams with any response time, then "" (all teams) when there are several."""
        named = sorted({s.team for s in self.facts.spreads if s.team})
        return [*named, ALL_TEAMS] if len(named) != 1 else named

    def spread(self, team: str, measure: Measure) -> Spread | None:
        return next((s for s in self.facts.spreads if s.team == team and s.measure == measure), None)

    @property
    def rca(self) -> Tally:
        return self.facts.rca

    @property
    def fix(self) -> Tally:
        return self.facts.fix

    def share_kept(self, tally: Tally) -> float | None:
        return share(tally.kept, tally.kept + tally.broken)

    def share_of_all(self, count: int) -> float | None:
        return share(count, self.facts.escalations)

    @property
    def tell_within_minutes(self) -> int:
        return int(self.query.tell_within.total_seconds() // 60)

    @property
    def breaches_cut(self) -> bool:
        """Whether more escalations breached than the breaches listed show."""
        return self.facts.breach_count > len({b.escalation_id for b in self.facts.breaches})

    def breach_url(self, breach: Breach) -> str:
        return escalation_url(self.public_url, breach.escalation_id)

    def weeks(self) -> list[Week]:
        """Every week of the period from its first day, empty weeks (and currencies) included as 0."""
        found = {w.week: w for w in self.facts.weeks}
        count = max(1, -(-(self.query.until - self.query.since) // WEEK))
        weeks = []
        for n in range(count):
            w = found.get(n)
            arr = {c: _money(w.arr_cents.get(c, 0) if w else 0) for c in self.currencies()}
            weeks.append(Week((self.query.since + n * WEEK).date(), w.escalations if w else 0, arr))
        return weeks

    def currencies(self) -> list[str]:
        return sorted(self.facts.arr_cents)

    def fix_bins(self) -> list[Bin]:
        step = int(FIX_BIN.total_seconds() // 3600)
        bins = []
        for n in range(FIX_BINS):
            end = (n + 1) * step if n < FIX_BINS - 1 else None
            within = end is not None and end <= self.fix_hours
            bins.append(Bin(n * step, end, self.facts.fix_bins.get(n, 0), within))
        return bins


def read_insights(
    stats: StatsReader,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    team: str | None = None,
    fix_hours: float = 48,
    public_url: str = "",
    tell_within_minutes: int = TELL_WITHIN_MINUTES,
) -> Insights:
    """The report for [since, until) (default: the 90 days up to now); `InvalidInput` for a bad period."""
    until = until or now
    if since is None:
        if until - datetime.min.replace(tzinfo=UTC) < timedelta(days=DEFAULT_DAYS):
            raise InvalidInput({"until": "is too early"})
        since = until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise InvalidInput({"since": "must be before until"})
    if until - since > MAX_PERIOD:
        raise InvalidInput({"since": f"the period may be at most {MAX_PERIOD.days} days"})
    query = InsightsQuery(
        since=since,
        until=until,
        now=now,
        team=team or None,
        tell_within=timedelta(minutes=tell_within_minutes),
    )
    return Insights(query, stats.insights(query), fix_hours, public_url)


def parse_day(value: str, field: str) -> datetime:
    """A period's edge: `2026-09-01` (its start, UTC) or an ISO time; `InvalidInput` names `field`."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        found = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput({field: "must be a date (2026-09-01) or an ISO time"}) from exc
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _tally(report: Insights, tally: Tally) -> dict[str, Any]:
    return {"kept": tally.kept, "broken": tally.broken, "share_kept": report.share_kept(tally)}


def _amounts(arr: dict[str, Decimal]) -> list[dict[str, str]]:
    return [{"currency": c, "amount": str(a)} for c, a in arr.items()]


def _spread(s: Spread) -> dict[str, Any]:
    return {
        "team": s.team or None,
        "measure": s.measure.value,
        "count": s.count,
        "p50_seconds": s.p50,
        "p90_seconds": s.p90,
    }


def _breach(report: Insights, b: Breach) -> dict[str, Any]:
    return {
        "escalation_id": b.escalation_id,
        "url": report.breach_url(b),
        "team": b.team,
        "account": b.account,
        "promise": b.promise,
        "due": _time(b.due),
        "met_at": _time(b.met_at),
    }


def insights_dict(report: Insights) -> dict[str, Any]:
    """The stable JSON shape, shared by `GET /api/v1/insights` and `integrator insights --json`."""
    q, f = report.query, report.facts
    weeks = report.weeks()
    return {
        "period": {"since": _time(q.since), "until": _time(q.until), "team": q.team},
        "escalations": f.escalations,
        "deals": f.deals,
        "still_open": f.still_open,
        "arr_at_risk": _amounts(report.arr),
        "response": [_spread(s) for s in f.spreads],
        "promises": {
            "rca": _tally(report, f.rca),
            "fix": _tally(report, f.fix),
            "breach_count": f.breach_count,
            "breaches": [_breach(report, b) for b in f.breaches],
        },
        "protocol": {
            "tell_within_minutes": report.tell_within_minutes,
            "economic_buyer_told": {"count": f.buyer_told, "share": report.share_of_all(f.buyer_told)},
            "executive_sponsor_told": {"count": f.sponsor_told, "share": report.share_of_all(f.sponsor_told)},
            "environments_halted": f.halted,
        },
        "weeks": [
            {"starts": w.starts.isoformat(), "escalations": w.escalations, "arr_at_risk": _amounts(w.arr)}
            for w in weeks
        ],
        "time_to_fix": [
            {
                "from_hours": b.start_hours,
                "to_hours": b.end_hours,
                "fixes": b.fixes,
                "within_clock": b.within_clock,
            }
            for b in report.fix_bins()
        ],
    }


def insights_rows(report: Insights) -> list[tuple[str, str, str]]:
    """(figure, team, value) rows for `integrator insights --csv`; a figure with no data is ""."""
    data, f = insights_dict(report), report.facts
    rows = [
        ("escalations", "", str(f.escalations)),
        ("deals", "", str(f.deals)),
        ("still_open", "", str(f.still_open)),
    ]
    rows += [(f"arr_at_risk_{a['currency']}", "", a["amount"]) for a in data["arr_at_risk"]]
    for s in f.spreads:
        rows += [
            (f"{s.measure.value}_p50_seconds", s.team, str(s.p50)),
            (f"{s.measure.value}_p90_seconds", s.team, str(s.p90)),
        ]
    for name in ("rca", "fix"):
        tally = data["promises"][name]
        rows += [(f"{name}_kept", "", str(tally["kept"])), (f"{name}_broken", "", str(tally["broken"]))]
        rows.append((f"{name}_share_kept", "", _text(tally["share_kept"])))
    protocol = data["protocol"]
    for name in ("economic_buyer_told", "executive_sponsor_told"):
        rows.append((f"{name}_share", "", _text(protocol[name]["share"])))
    rows.append(("environments_halted", "", str(f.halted)))
    return rows


def _text(value: float | None) -> str:
    return "" if value is None else str(value)
