"""The Insights figures counted in SQL (SQLite and PostgreSQL alike), behind `ports.StatsReader.insights`.

Every figure is an aggregate the database computes over the period's escalations, found through
`ix_escalations_created_at` (or `ix_escalations_team_created_at` for one team); effects and events
are reached through their escalation-id indexes. Percentiles are nearest-rank, by window functions
both databases have. Python receives counts, sums and a few breach rows, never whole escalations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Numeric,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement, Subquery

from integrator.domain.escalation import OPEN_STATES, EffectKind, EffectState
from integrator.domain.insights import (
    BREACHES_SHOWN,
    CUSTOMER_UPDATE,
    FIX_BIN,
    FIX_BINS,
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
)
from integrator.store.errors import translated
from integrator.store.tables import UtcDateTime, deals, effects, escalations, events

DONE = EffectState.DONE.value


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
        # The moments of the period's escalations are looked up once, into a temporary table of
        # this connection that every statement reads (a CTE would be computed once per statement).
        MOMENTS.drop(conn, checkfirst=True)
        MOMENTS.create(conn)
        try:
            conn.execute(insert(MOMENTS).from_select([c.name for c in MOMENTS.c], _times(query)))
            return _Reader(conn, query, MOMENTS).facts()
        finally:
            conn.rollback()  # PostgreSQL: the table goes with the transaction; SQLite: its rows do
            MOMENTS.drop(conn, checkfirst=True)
            conn.commit()


def explain(engine: Engine, query: InsightsQuery) -> list[str]:
    """The database's plan for counting the period's escalations (which index finds them), one line a step."""
    with translated(), engine.connect() as conn:
        statement = _Reader(conn, query, MOMENTS)._counts()
        compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        found = conn.exec_driver_sql(prefix + str(compiled)).all()
    return [" ".join(str(v) for v in row) for row in found]


class _Reader:
    def __init__(self, conn: Connection, query: InsightsQuery, moments: Table) -> None:
        self.conn, self.q, self.sql = conn, query, _Sql(conn.dialect.name)
        self.scope = _scope(query)
        self.times = moments

    def facts(self) -> InsightFacts:
        count, still_open = self.conn.execute(self._counts()).one()
        if not count:
            return InsightFacts()
        promises = self.conn.execute(self._promises()).one()
        return InsightFacts(
            escalations=count,
            deals=count + int(self.conn.execute(self._linked()).scalar_one()),
            still_open=int(still_open or 0),
            arr_cents={c: int(a) for c, a in self.conn.execute(self._arr())},
            spreads=self._spreads(),
            weeks=self._weeks(),
            fix_bins={int(b): n for b, n in self.conn.execute(self._fix_bins())},
            rca=Tally(int(promises.rca_kept or 0), int(promises.rca_broken or 0)),
            fix=Tally(int(promises.fix_kept or 0), int(promises.fix_broken or 0)),
            breaches=self._breaches(),
            breach_count=int(promises.breached or 0),
            buyer_told=int(promises.buyer_told or 0),
            sponsor_told=int(promises.sponsor_told or 0),
            halted=int(self.conn.execute(self._halted()).scalar_one()),
        )

    def _counts(self) -> Select[int, Any]:
        is_open = case((self.scope.c.state.in_([s.value for s in OPEN_STATES]), 1))
        return select(func.count(), func.sum(is_open)).select_from(self.scope)

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

    def _weeks(self) -> list[WeekCount]:
        s = self.scope
        since = literal(self.q.since, UtcDateTime)
        week = self.sql.bucket(self.sql.seconds(s.c.created_at, since), WEEK.total_seconds()).label("week")
        found = self.conn.execute(
            select(week, s.c.currency, func.count(), func.sum(s.c.arr_cents)).group_by(week, s.c.currency)
        )
        weeks: dict[int, tuple[int, dict[str, int]]] = {}
        for number, currency, count, cents in found:
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

    def _spreads(self) -> list[Spread]:
        """p50 and p90 of each measure per team and over all teams (""): nearest rank, one statement."""
        t, sec = self.times, self.sql.seconds
        pairs = {
            Measure.PAGE: (t.c.page_at, t.c.created_at),
            Measure.ACK: (t.c.acknowledged_at, t.c.page_at),
            Measure.TOLD: (t.c.told_at, t.c.created_at),
            Measure.RCA: (t.c.rca_at, t.c.created_at),
            Measure.FIX: (t.c.fixed_at, t.c.created_at),
        }
        durations = union_all(
            *(
                select(literal(m.value).label("measure"), team.label("team"), sec(end, start).label("s"))
                .select_from(t)
                .where(end.is_not(None), start.is_not(None))
                for m, (end, start) in pairs.items()
                for team in (t.c.team, literal(""))
            )
        ).subquery("durations")
        d = durations.c
        within = [d.measure, d.team]
        ranked = select(
            d.measure,
            d.team,
            d.s,
            func.row_number().over(partition_by=within, order_by=d.s).label("rank"),
            func.count().over(partition_by=within).label("n"),
        ).subquery("ranked")
        r = ranked.c
        at = [func.min(case((r.rank * 100 >= p * r.n, r.s))) for p in PERCENTILES]
        found = self.conn.execute(select(r.measure, r.team, r.n, *at).group_by(r.measure, r.team, r.n))
        spreads = [Spread(Measure(m), team or "", n, int(p50), int(p90)) for m, team, n, p50, p90 in found]
        # Each team's, then every team's, measures in name order (as the memory store gives them).
        return sorted(spreads, key=lambda s: (s.team == "", s.measure.value, s.team))

    def _promises(self) -> Select[Any]:
        t, now = self.times, literal(self.q.now, UtcDateTime)
        rca_broken = or_(t.c.rca_at > t.c.rca_due, and_(t.c.rca_at.is_(None), t.c.rca_due < now))
        fix_broken = or_(t.c.fixed_at > t.c.fix_due, and_(t.c.fixed_at.is_(None), t.c.fix_due < now))
        within = self.q.tell_within.total_seconds()

        def told(at: Any) -> ColumnElement[Any]:
            return and_(at.is_not(None), self.sql.seconds(at, t.c.created_at) <= within)

        def number(condition: ColumnElement[Any]) -> ColumnElement[Any]:
            return func.sum(case((condition, 1), else_=0))

        return select(
            number(t.c.rca_at <= t.c.rca_due).label("rca_kept"),
            number(rca_broken).label("rca_broken"),
            number(t.c.fixed_at <= t.c.fix_due).label("fix_kept"),
            number(fix_broken).label("fix_broken"),
            number(or_(rca_broken, fix_broken)).label("breached"),
            number(told(t.c.told_at)).label("buyer_told"),
            number(told(t.c.sponsor_at)).label("sponsor_told"),
        )

    def _breaches(self) -> list[Breach]:
        t, now = self.times, literal(self.q.now, UtcDateTime)
        rca_broken = or_(t.c.rca_at > t.c.rca_due, and_(t.c.rca_at.is_(None), t.c.rca_due < now))
        fix_broken = or_(t.c.fixed_at > t.c.fix_due, and_(t.c.fixed_at.is_(None), t.c.fix_due < now))
        found = self.conn.execute(
            select(t, rca_broken.label("rca_broken"), fix_broken.label("fix_broken"))
            .where(or_(rca_broken, fix_broken))
            .order_by(t.c.created_at.desc(), t.c.id)
            .limit(BREACHES_SHOWN)
        )
        breaches: list[Breach] = []
        for r in found:
            if r.rca_broken:
                breaches.append(Breach(r.id, r.team or "", r.account or "", "rca", r.rca_due, r.rca_at))
            if r.fix_broken:
                breaches.append(Breach(r.id, r.team or "", r.account or "", "fix", r.fix_due, r.fixed_at))
        return breaches

    def _halted(self) -> Select[Any]:
        return (
            select(func.count())
            .select_from(effects.join(self.scope, self.scope.c.id == effects.c.escalation_id))
            .where(effects.c.kind == HALT, effects.c.state == DONE)
        )


def _scope(q: InsightsQuery) -> Subquery:
    """The period's escalations (of one team, when asked), the narrow columns Insights reads."""
    e = escalations.c
    where = [e.created_at >= q.since, e.created_at < q.until]
    if q.team:
        where.append(e.team == q.team)
    columns = (e.id, e.state, e.team, e.account, e.arr_cents, e.currency, e.created_at)
    more = (e.fix_due, e.rca_due, e.fixed_at, e.acknowledged_at)
    return select(*columns, *more).where(*where).subquery("scope")


MOMENTS = Table(
    "insight_moments",
    MetaData(),
    Column("id", String(32)),
    Column("team", String(200)),
    Column("account", String(200)),
    Column("state", String(20)),
    *(
        Column(name, UtcDateTime)
        for name in ("created_at", "fix_due", "rca_due", "fixed_at", "acknowledged_at")
    ),
    *(Column(name, UtcDateTime) for name in ("page_at", "told_at", "sponsor_at", "rca_at")),
    prefixes=["TEMPORARY"],
)


def _times(q: InsightsQuery) -> Select[Any]:
    """Per escalation of the period, when each moment happened (NULL = not yet), as `MOMENTS` holds them.

    Each moment is a lookup by escalation id in `uq_effects_escalation_kind_target` or
    `ix_events_escalation`.
    """
    e = escalations.c
    where = [e.created_at >= q.since, e.created_at < q.until]
    if q.team:
        where.append(e.team == q.team)
    own = (effects.c.escalation_id == e.id, effects.c.state == DONE)
    email = (*own, effects.c.kind == EffectKind.EMAIL.value)
    buyer = func.lower(e.report[("deal", "economic_buyer", "email")].as_string())
    page_at = select(func.min(effects.c.updated_at)).where(
        *own, effects.c.kind == EffectKind.PAGE.value, effects.c.target == ""
    )
    told_at = select(func.min(effects.c.updated_at)).where(
        *email,
        effects.c.target.like(f"{CUSTOMER_UPDATE}%"),
        func.lower(effects.c.payload["to"].as_string()) == buyer,
    )
    sponsor_at = select(func.min(effects.c.updated_at)).where(
        *email, effects.c.payload["role"].as_string() == "executive_sponsor"
    )
    rca_at = select(func.min(events.c.at)).where(
        events.c.escalation_id == e.id,
        events.c.kind == "customer_update_sent",
        events.c.data["rca"].as_boolean(),
    )
    return select(
        e.id,
        e.team,
        e.account,
        e.state,
        e.created_at,
        e.fix_due,
        e.rca_due,
        e.fixed_at,
        e.acknowledged_at,
        page_at.scalar_subquery().label("page_at"),
        told_at.scalar_subquery().label("told_at"),
        sponsor_at.scalar_subquery().label("sponsor_at"),
        rca_at.scalar_subquery().label("rca_at"),
    ).where(*where)
