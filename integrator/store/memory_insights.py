"""The Insights figures counted over escalations in memory, by the rules `store/insights.py` runs in SQL.

The store contract runs the same seeded history through both, so the two stay in step.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from integrator.domain.clocks import rca_sent_at
from integrator.domain.escalation import EffectKind, EffectState, Escalation
from integrator.domain.insights import (
    BREACHES_SHOWN,
    CUSTOMER_UPDATE,
    HALT,
    PERCENTILES,
    WEEK,
    Breach,
    InsightFacts,
    InsightsQuery,
    Measure,
    Spread,
    Tally,
    WeekCount,
    fix_bin,
    nearest_rank,
)
from integrator.store.rows import insight_columns

DoneAt = Callable[[int], datetime | None]  # effect id → when it was recorded done


def count_insights(found: Iterable[Escalation], done_at: DoneAt, q: InsightsQuery) -> InsightFacts:
    chosen = [
        e
        for e in found
        if q.since <= e.created_at < q.until and (not q.team or e.owner.team.handle == q.team)
    ]
    if not chosen:
        return InsightFacts()
    moments = [_Moments.of(e, done_at) for e in chosen]
    rca = Tally(sum(m.rca_kept for m in moments), sum(m.rca_broken(q.now) for m in moments))
    fix = Tally(sum(m.fix_kept for m in moments), sum(m.fix_broken(q.now) for m in moments))
    breached = sorted(
        (m for m in moments if m.rca_broken(q.now) or m.fix_broken(q.now)),
        key=lambda m: (-m.e.created_at.timestamp(), m.e.id),
    )
    within = q.tell_within.total_seconds()
    return InsightFacts(
        escalations=len(chosen),
        deals=sum(len(e.deals) for e in chosen),
        still_open=sum(1 for e in chosen if e.is_open),
        arr_cents=_arr(chosen),
        spreads=_spreads(moments, by_team=True) + _spreads(moments, by_team=False),
        weeks=_weeks(chosen, q),
        fix_bins=dict(Counter(fix_bin(s) for m in moments if (s := m.took(Measure.FIX)) is not None)),
        rca=rca,
        fix=fix,
        breaches=[b for m in breached[:BREACHES_SHOWN] for b in m.breaches(q.now)],
        breach_count=len(breached),
        buyer_told=sum(1 for m in moments if (s := m.took(Measure.TOLD)) is not None and s <= within),
        sponsor_told=sum(
            1 for m in moments if m.sponsor_at and _seconds(m.sponsor_at, m.e.created_at) <= within
        ),
        halted=sum(
            1 for e in chosen for f in e.effects if f.kind.value == HALT and f.state == EffectState.DONE
        ),
    )


class _Moments:
    def __init__(self, e: Escalation, done_at: DoneAt) -> None:
        self.e = e
        done = [f for f in e.effects if f.state == EffectState.DONE]
        buyer = e.report.deal.economic_buyer
        buyer_email = (buyer.email or "").lower() if buyer else ""

        def first(match: Callable[[str, Mapping[str, object]], bool], kind: EffectKind) -> datetime | None:
            times = [done_at(f.id) for f in done if f.kind == kind and match(f.target, f.payload)]
            return min((t for t in times if t is not None), default=None)

        self.page_at = first(lambda target, _: target == "", EffectKind.PAGE)
        self.told_at = first(
            lambda target, p: (
                target.startswith(CUSTOMER_UPDATE) and str(p.get("to", "")).lower() == buyer_email
            ),
            EffectKind.EMAIL,
        )
        self.sponsor_at = first(lambda _, p: p.get("role") == "executive_sponsor", EffectKind.EMAIL)
        self.rca_at = rca_sent_at(e)

    @classmethod
    def of(cls, e: Escalation, done_at: DoneAt) -> _Moments:
        return cls(e, done_at)

    def took(self, measure: Measure) -> int | None:
        start, end = {
            Measure.PAGE: (self.e.created_at, self.page_at),
            Measure.ACK: (self.page_at, self.e.acknowledged_at),
            Measure.TOLD: (self.e.created_at, self.told_at),
            Measure.RCA: (self.e.created_at, self.rca_at),
            Measure.FIX: (self.e.created_at, self.e.fixed_at),
        }[measure]
        return _seconds(end, start) if start and end else None

    @property
    def rca_kept(self) -> bool:
        return self.rca_at is not None and self.rca_at <= self.e.rca_due

    @property
    def fix_kept(self) -> bool:
        return self.e.fixed_at is not None and self.e.fixed_at <= self.e.fix_due

    def rca_broken(self, now: datetime) -> bool:
        return self.rca_at > self.e.rca_due if self.rca_at else self.e.rca_due < now

    def fix_broken(self, now: datetime) -> bool:
        fixed = self.e.fixed_at
        return fixed > self.e.fix_due if fixed else self.e.fix_due < now

    def breaches(self, now: datetime) -> list[Breach]:
        e, found = self.e, []
        if self.rca_broken(now):
            found.append(
                Breach(e.id, e.owner.team.handle, e.report.deal.account, "rca", e.rca_due, self.rca_at)
            )
        if self.fix_broken(now):
            found.append(
                Breach(e.id, e.owner.team.handle, e.report.deal.account, "fix", e.fix_due, e.fixed_at)
            )
        return found


def _seconds(end: datetime, start: datetime) -> int:
    return round((end - start).total_seconds())


def _cents(e: Escalation) -> tuple[str, int]:
    columns = insight_columns(e.report.model_dump(mode="json"), {"team": {"handle": ""}})
    return str(columns["currency"]), int(columns["arr_cents"])


def _arr(chosen: Iterable[Escalation]) -> dict[str, int]:
    """ARR at risk per currency over every deal: the escalation's own report and the deals linked to it."""
    total: Counter[str] = Counter()
    for e in chosen:
        currency, cents = _cents(e)
        total[currency] += cents
        for deal in e.linked_deals:
            total[deal.currency] += int((deal.arr * 100).to_integral_value())
    return dict(sorted(total.items()))


def _spreads(moments: list[_Moments], *, by_team: bool) -> list[Spread]:
    taken: dict[tuple[Measure, str], list[int]] = defaultdict(list)
    for m in moments:
        for measure in Measure:
            if (s := m.took(measure)) is not None:
                taken[(measure, m.e.owner.team.handle if by_team else "")].append(s)
    spreads = []
    for (measure, team), values in sorted(taken.items()):
        values.sort()
        p50, p90 = (nearest_rank(values, p) for p in PERCENTILES)
        spreads.append(Spread(measure, team, len(values), p50, p90))
    return spreads


def _weeks(chosen: Iterable[Escalation], q: InsightsQuery) -> list[WeekCount]:
    weeks: dict[int, tuple[int, Counter[str]]] = {}
    for e in chosen:
        n = int((e.created_at - q.since) // WEEK)
        count, arr = weeks.get(n, (0, Counter()))
        currency, cents = _cents(e)
        arr[currency] += cents
        weeks[n] = (count + 1, arr)
    return [WeekCount(n, count, dict(arr)) for n, (count, arr) in sorted(weeks.items())]
