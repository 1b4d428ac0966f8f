"""Counts, Insights and a liveness probe read straight from the tables, behind `records.StatsReader`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, text

from integrator.application.records import StoreCounts
from integrator.domain.escalation import EffectState
from integrator.domain.insights import InsightFacts, InsightsQuery
from integrator.store.errors import translated
from integrator.store.insights import read_insights
from integrator.store.tables import effects, escalations


class SqlStats:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ping(self) -> None:
        with translated(), self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def counts(self, *, now: datetime) -> StoreCounts:
        due_at = func.coalesce(effects.c.next_attempt_at, effects.c.created_at)
        oldest_due = select(func.min(due_at)).where(
            effects.c.state == EffectState.PENDING.value, due_at <= now
        )
        by_state = select(escalations.c.state, func.count()).group_by("state")
        by_effect = select(effects.c.kind, effects.c.state, func.count()).group_by("kind", "state")
        with translated(), self.engine.connect() as conn:
            states = {str(state): int(count) for state, count in conn.execute(by_state)}
            kinds = {(kind, state): count for kind, state, count in conn.execute(by_effect)}
            oldest: datetime | None = conn.execute(oldest_due).scalar()
        return StoreCounts(states, kinds, _aware(oldest) if oldest else None)

    def insights(self, query: InsightsQuery) -> InsightFacts:
        return read_insights(self.engine, query)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
