"""Prometheus metrics of one app: submissions and time to page as they happen, the store's truth on scrape."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from integrator.application.ports import Clock
from integrator.domain.escalation import EffectKind, EffectState, Escalation
from integrator.store.tables import effects, escalations

PAGE_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 900)


class StoreCollector(Collector):
    """Escalations by state, effects by kind and state, and the sync lag, read from the database."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock.now()
        by_state = GaugeMetricFamily("integrator_escalations", "Escalations by state", labels=["state"])
        by_effect = GaugeMetricFamily(
            "integrator_effects", "Effects owed to the outside, by kind and state", labels=["kind", "state"]
        )
        due = select(func.min(func.coalesce(effects.c.next_attempt_at, effects.c.created_at))).where(
            effects.c.state == EffectState.PENDING.value,
            func.coalesce(effects.c.next_attempt_at, effects.c.created_at) <= now,
        )
        with self.engine.connect() as conn:
            for state, count in conn.execute(select(escalations.c.state, func.count()).group_by("state")):
                by_state.add_metric([state], count)
            counted = select(effects.c.kind, effects.c.state, func.count()).group_by("kind", "state")
            for kind, state, count in conn.execute(counted):
                by_effect.add_metric([kind, state], count)
            oldest: datetime | None = conn.execute(due).scalar()
        lag = GaugeMetricFamily(
            "integrator_sync_lag_seconds",
            "How long the oldest due effect has waited for a worker (0 when none is waiting)",
        )
        lag.add_metric([], max(0.0, (now - _aware(oldest)).total_seconds()) if oldest else 0.0)
        yield from (by_state, by_effect, lag)


class Metrics:
    """The registry `/metrics` serves; one per app, so tests and apps never share counters."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.clock = clock
        self.submissions = Counter(
            "integrator_submissions",
            "Reports submitted, by channel (api, form) and outcome (created, repeated)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.time_to_page = Histogram(
            "integrator_time_to_page_seconds",
            "From the report being stored to the page being delivered",
            buckets=PAGE_BUCKETS,
            registry=self.registry,
        )
        self.background_errors = Counter(
            "integrator_background_errors",
            "Background effect runs that ended in an unexpected error (sync retries their effects)",
            registry=self.registry,
        )
        self.registry.register(StoreCollector(engine, clock))

    def submitted(self, channel: str, *, created: bool) -> None:
        self.submissions.labels(channel, "created" if created else "repeated").inc()

    def background_failed(self) -> None:
        self.background_errors.inc()

    def paged(self, escalation: Escalation) -> None:
        page = escalation.effect(EffectKind.PAGE)
        if page is not None and page.state == EffectState.DONE:
            self.time_to_page.observe(max(0.0, (self.clock.now() - escalation.created_at).total_seconds()))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
