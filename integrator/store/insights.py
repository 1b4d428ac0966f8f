"""The Insights figures counted in SQL (SQLite and PostgreSQL alike), behind `records.StatsReader.insights`.

Every figure is an aggregate the database computes over the period's escalations, found and read in
`ix_escalations_insights` (or `ix_escalations_team_insights` for one team), which hold every column
counted here: the moments (page sent, buyer and sponsor told, RCA delivered, environment halted)
are kept on each escalation's row as they happen (store/moments.py). Linked
deals are reached through their escalation-id index. Percentiles are nearest-rank. Python receives counts,
sums and a few breach rows, never whole escalations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    Numeric,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement, CompoundSelect, Subquery

from integrator.domain.escalation import OPEN_STATES
from integrator.domain.insights import (
    BREACHES_SHOWN,
    FIX_BIN,
    FIX_BINS,
    PERCENTILES,
    WEEK,
    Breach,
    InsightFacts,
    InsightsQuery,
    Measure,
    Spread,
    Tally,
    WeekCount,
)
from integrator.store.errors import translated
from integrator.store.tables import UtcDateTime, deals, escalations


class _Sql:
    """The few expressions the two databases spell differently."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        """Whole seconds from `earlier` to `later`."""
        if self.dialect == "sqlite":
            return func.round((func.julianday(later) - func.julianday(earlier)) * 86400)
        return func.round(func.extract("epoch", later - earlier))

    def bucket(self, seconds: ColumnElement[Any], width: float) -> ColumnElement[Any]:
        """Which bucket of `width` seconds a non-negative duration falls in."""
        if self.dialect == "sqlite":
            return cast(seconds / width, Integer)  # truncates, as floor does for non-negative values
        return cast(func.floor(seconds / width), Integer)


def read_insights(engine: Engine, query: InsightsQuery) -> InsightFacts:
    with translated(), engine.connect() as conn:
        return _Reader(conn, query).facts()


def explain(engine: Engine, query: InsightsQuery) -> dict[str, list[str]]:
    """The database's plan for each figure's statement (which index finds the period), one line a step."""
    with translated(), engine.connect() as conn:
        prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        plans = {}
        for figure, statement in _Reader(conn, query).statements().items():
            compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
            found = conn.exec_driver_sql(prefix + str(compiled)).all()
            plans[figure] = [" ".join(str(v) for v in row) for row in found]
    return plans


class _Reader:
    def __init__(self, conn: Connection, query: InsightsQuery) -> None:
        self.conn, self.q, self.sql = conn, query, _Sql(conn.dialect.name)
        self.scope = _scope(query)

    def statements(self) -> dict[str, Select[Any] | CompoundSelect[Any]]:
        """Every statement an answer runs, by the figure it counts."""
        return {
            "counts": self._counts(),
            "linked": self._linked(),
            "arr": self._arr(),
            "spreads": self._spreads(),
            "weeks": self._weeks(),
            "fix_bins": self._fix_bins(),
            "breaches": self._breaches(),
        }

    def facts(self) -> InsightFacts:
        counted = self.conn.execute(self._counts()).one()
        if not counted.escalations:
            return InsightFacts()
        return InsightFacts(
            escalations=counted.escalations,
            deals=counted.escalations + int(self.conn.execute(self._linked()).scalar_one()),
            still_open=int(counted.still_open or 0),
            arr_cents={c: int(a) for c, a in self.conn.execute(self._arr())},
            spreads=self._spread_list(),
            weeks=self._week_list(),
            fix_bins={int(b): n for b, n in self.conn.execute(self._fix_bins())},
            rca=Tally(int(counted.rca_kept or 0), int(counted.rca_broken or 0)),
            fix=Tally(int(counted.fix_kept or 0), int(counted.fix_broken or 0)),
            breaches=self._breach_list(),
            breach_count=int(counted.breached or 0),
            buyer_told=int(counted.buyer_told or 0),
            sponsor_told=int(counted.sponsor_told or 0),
            halted=int(counted.halted or 0),
        )

    def _counts(self) -> Select[Any]:
        """How many escalations, how many still open, how the promises and the protocol went: one pass."""
        t, now = self.scope.c, literal(self.q.now, UtcDateTime)
        rca_broken, fix_broken = _broken(t, now)
        within = self.q.tell_within.total_seconds()

        def told(at: Any) -> ColumnElement[Any]:
            return and_(at.is_not(None), self.sql.seconds(at, t.created_at) <= within)

        def number(condition: ColumnElement[Any]) -> ColumnElement[Any]:
            return func.sum(case((condition, 1), else_=0))

        return select(
            func.count().label("escalations"),
            number(t.state.in_([s.value for s in OPEN_STATES])).label("still_open"),
            number(t.rca_delivered_at <= t.rca_due).label("rca_kept"),
            number(rca_broken).label("rca_broken"),
            number(t.fixed_at <= t.fix_due).label("fix_kept"),
            number(fix_broken).label("fix_broken"),
            number(or_(rca_broken, fix_broken)).label("breached"),
            number(told(t.buyer_told_at)).label("buyer_told"),
            number(told(t.sponsor_told_at)).label("sponsor_told"),
            func.count(t.halted_at).label("halted"),
        )

    def _linked(self) -> Select[Any]:
        """The deals linked to the period's escalations (deal 1 of each is the escalation's own report)."""
        linked = deals.join(self.scope, self.scope.c.id == deals.c.escalation_id)
        return select(func.count()).select_from(linked).where(deals.c.number > 1)

    def _arr(self) -> Select[Any]:
        """ARR at risk per currency: every deal of the period's escalations, in whole cents."""
        s = self.scope
        linked_cents = cast(func.round(cast(deals.c.arr, Numeric(15, 2)) * 100), BigInteger)
        every_deal = union_all(
            select(s.c.currency.label("currency"), s.c.arr_cents.label("cents")),
            select(deals.c.currency, linked_cents)
            .select_from(deals.join(s, s.c.id == deals.c.escalation_id))
            .where(deals.c.number > 1),
        ).subquery("every_deal")
        d = every_deal.c
        return select(d.currency, func.sum(d.cents)).group_by(d.currency).order_by(d.currency)

    def _weeks(self) -> Select[Any]:
        s = self.scope
        since = literal(self.q.since, UtcDateTime)
        week = self.sql.bucket(self.sql.seconds(s.c.created_at, since), WEEK.total_seconds()).label("week")
        return select(week, s.c.currency, func.count(), func.sum(s.c.arr_cents)).group_by(week, s.c.currency)

    def _week_list(self) -> list[WeekCount]:
        weeks: dict[int, tuple[int, dict[str, int]]] = {}
        for number, currency, count, cents in self.conn.execute(self._weeks()):
            total, arr = weeks.setdefault(int(number), (0, {}))
            arr[currency] = int(cents)
            weeks[int(number)] = (total + count, arr)
        return [WeekCount(n, total, arr) for n, (total, arr) in sorted(weeks.items())]

    def _fix_bins(self) -> Select[Any]:
        t = self.scope
        taken = self.sql.seconds(t.c.fixed_at, t.c.created_at)
        raw = self.sql.bucket(taken, FIX_BIN.total_seconds())
        fix_bin = case((raw >= FIX_BINS - 1, FIX_BINS - 1), else_=raw).label("bin")
        return select(fix_bin, func.count()).where(t.c.fixed_at.is_not(None)).group_by(fix_bin)

    def _durations(self) -> dict[Measure, ColumnElement[Any]]:
        """Each measure's duration in whole seconds, per escalation of the period (NULL = not yet)."""
        t, sec = self.scope.c, self.sql.seconds
        return {
            Measure.PAGE: sec(t.page_sent_at, t.created_at),
            Measure.ACK: sec(t.acknowledged_at, t.page_sent_at),
            Measure.TOLD: sec(t.buyer_told_at, t.created_at),
            Measure.RCA: sec(t.rca_delivered_at, t.created_at),
            Measure.FIX: sec(t.fixed_at, t.created_at),
        }

    def _spreads(self) -> Select[Any] | CompoundSelect[Any]:
        """Each measure's count and nearest-rank p50/p90 per team, and over every team.

        PostgreSQL: `percentile_disc` (the value at rank ⌈p·n⌉, nulls left out) of every measure,
        per team and over the teams (ROLLUP), in one pass. SQLite has no ordered-set aggregates: per
        measure, each duration's cumulative share (`cume_dist`) within its team and over the teams
        ranks it, and the least duration whose share reaches p is the percentile.
        """
        t = self.scope.c
        durations = self._durations()
        if self.sql.dialect == "postgresql":
            d = select(t.team, *(s.label(m.value) for m, s in durations.items())).subquery("taken").c
            return select(
                func.grouping(d.team).label("every"),
                d.team,
                *(
                    column
                    for m in Measure
                    for column in (
                        func.count(d[m.value]),
                        *(func.percentile_disc(p / 100).within_group(d[m.value]) for p in PERCENTILES),
                    )
                ),
            ).group_by(func.rollup(d.team))
        return union_all(*(self._ranked(m, s) for m, s in durations.items()))

    def _ranked(self, measure: Measure, seconds: ColumnElement[Any]) -> Select[Any]:
        """SQLite: per team, one measure's count and percentiles, and the least duration at or past
        each percentile of every team's (the least of those over the teams is every team's)."""
        taken = select(self.scope.c.team, seconds.label("s")).where(seconds.is_not(None)).subquery("taken")
        d = taken.c
        ranked = select(
            d.team,
            d.s,
            func.cume_dist().over(partition_by=d.team, order_by=d.s).label("share"),
            func.cume_dist().over(order_by=d.s).label("share_all"),
        ).subquery("ranked")
        r = ranked.c

        def at(share: Any, p: int) -> ColumnElement[Any]:
            return func.min(case((share >= p / 100, r.s)))

        return select(
            literal(measure.value).label("measure"),
            r.team,
            func.count(),
            *(at(r.share, p) for p in PERCENTILES),
            *(at(r.share_all, p) for p in PERCENTILES),
        ).group_by(r.team)

    def _spread_list(self) -> list[Spread]:
        found = self.conn.execute(self._spreads()).all()
        spreads: list[Spread] = []
        if self.sql.dialect == "postgresql":
            for over_all, team, *figures in found:
                for i, m in enumerate(Measure):
                    n, p50, p90 = figures[3 * i : 3 * i + 3]
                    if n:
                        spreads.append(Spread(m, "" if over_all else team or "", n, int(p50), int(p90)))
        else:
            every: dict[str, tuple[int, Any, Any]] = {}  # measure -> every team's count, p50, p90
            for m, team, n, p50, p90, all50, all90 in found:
                spreads.append(Spread(Measure(m), team or "", n, int(p50), int(p90)))
                total, low50, low90 = every.get(m, (0, None, None))
                every[m] = (total + n, _least(low50, all50), _least(low90, all90))
            spreads += [Spread(Measure(m), "", n, int(p50), int(p90)) for m, (n, p50, p90) in every.items()]
        # Each team's, then every team's, measures in name order (as the memory store gives them).
        return sorted(spreads, key=lambda s: (s.team == "", s.measure.value, s.team))

    def _breaches(self) -> Select[Any]:
        t, now = self.scope.c, literal(self.q.now, UtcDateTime)
        rca_broken, fix_broken = _broken(t, now)
        return (
            select(
                t.id,
                t.team,
                t.account,
                t.rca_due,
                t.rca_delivered_at,
                t.fix_due,
                t.fixed_at,
                rca_broken.label("rca_broken"),
                fix_broken.label("fix_broken"),
            )
            .where(or_(rca_broken, fix_broken))
            .order_by(t.created_at.desc(), t.id)
            .limit(BREACHES_SHOWN)
        )

    def _breach_list(self) -> list[Breach]:
        breaches: list[Breach] = []
        for r in self.conn.execute(self._breaches()):
            team, account = r.team or "", r.account or ""
            if r.rca_broken:
                breaches.append(Breach(r.id, team, account, "rca", r.rca_due, r.rca_delivered_at))
            if r.fix_broken:
                breaches.append(Breach(r.id, team, account, "fix", r.fix_due, r.fixed_at))
        return breaches


def _least(a: Any, b: Any) -> Any:
    """The lesser of two durations, either of which may be missing (None)."""
    return b if a is None else a if b is None else min(a, b)


def _broken(t: Any, now: Any) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Whether the RCA and the fix promises are broken: kept late, or not kept and past due."""
    rca = or_(t.rca_delivered_at > t.rca_due, and_(t.rca_delivered_at.is_(None), t.rca_due < now))
    fix = or_(t.fixed_at > t.fix_due, and_(t.fixed_at.is_(None), t.fix_due < now))
    return rca, fix


def _scope(q: InsightsQuery) -> Subquery:
    """The period's escalations (of one team, when asked), the narrow columns Insights reads."""
    e = escalations.c
    where = [e.created_at >= q.since, e.created_at < q.until]
    if q.team:
        where.append(e.team == q.team)
    columns = (e.id, e.state, e.team, e.account, e.arr_cents, e.currency, e.created_at)
    promises = (e.fix_due, e.rca_due, e.fixed_at, e.acknowledged_at)
    moments = (e.page_sent_at, e.buyer_told_at, e.sponsor_told_at, e.rca_delivered_at, e.halted_at)
    return select(*columns, *promises, *moments).where(*where).subquery("scope")
