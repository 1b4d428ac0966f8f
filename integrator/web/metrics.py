"""Prometheus metrics of one app: submissions and time to page as they happen, the store's truth on scrape."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from integrator.application.ports import Clock
from integrator.application.records import StatsReader
from integrator.domain.escalation import EffectKind, EffectState, Escalation

PAGE_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 900)


class StoreCollector(Collector):
    """Escalations by state, effects by kind and state, and the sync lag, read from the store on scrape."""

    def __init__(self, stats: StatsReader, clock: Clock) -> None:
        self.stats = stats
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock.now()
        counts = self.stats.counts(now=now)
        by_state = GaugeMetricFamily("integrator_escalations", "Escalations by state", labels=["state"])
        for state, count in counts.escalations.items():
            by_state.add_metric([state], count)
        by_effect = GaugeMetricFamily(
            "integrator_effects", "Effects owed to the outside, by kind and state", labels=["kind", "state"]
        )
        for (kind, state), count in counts.effects.items():
            by_effect.add_metric([kind, state], count)
        lag = GaugeMetricFamily(
            "integrator_sync_lag_seconds",
            "How long the oldest due effect has waited for a worker (0 when none is waiting)",
        )
        waited = (now - counts.oldest_due).total_seconds() if counts.oldest_due else 0.0
        lag.add_metric([], max(0.0, waited))
        yield from (by_state, by_effect, lag)


class Metrics:
    """The registry `/metrics` serves; one per app, so tests and apps never share counters."""

    def __init__(self, stats: StatsReader, clock: Clock) -> None:
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
        self.registry.register(StoreCollector(stats, clock))

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
