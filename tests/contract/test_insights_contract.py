"""Insights over a seeded history: every store (memory, SQLite, PostgreSQL) counts the same known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from integrator.application.escalate import parse_report
from integrator.application.ports import Attempt
from integrator.bootstrap import Services
from integrator.domain.escalation import EffectKind, EffectState, Owed
from integrator.domain.insights import Breach, InsightFacts, InsightsQuery, Measure, Spread, Tally, WeekCount
from tests.contract.test_store_contract import deal_report
from tests.insights_history import INGEST, NOW, PLATFORM, SINCE, UNTIL, seed_history
from tests.support import FakeClock


def test_every_figure_of_a_seeded_history_has_its_known_answer(services: Services, clock: FakeClock) -> None:
    ids = seed_history(services, clock).ids

    facts = services.stats.insights(InsightsQuery(since=SINCE, until=UNTIL, now=NOW))

    assert (facts.escalations, facts.deals, facts.still_open) == (4, 4, 2)
    assert facts.arr_cents == {"EUR": 25_000_050, "USD": 60_000_000}
    assert facts.weeks == [
        WeekCount(0, 1, {"USD": 48_000_000}),
        WeekCount(1, 2, {"USD": 12_000_000, "EUR": 20_000_000}),
        WeekCount(3, 1, {"EUR": 5_000_050}),
    ]
    assert list(facts.spreads) == [
        Spread(Measure.ACK, INGEST, 2, 480, 1800),
        Spread(Measure.FIX, INGEST, 2, 72_000, 216_000),
        Spread(Measure.PAGE, INGEST, 2, 120, 240),
        Spread(Measure.PAGE, PLATFORM, 2, 60, 360),
        Spread(Measure.RCA, INGEST, 2, 18_000, 36_000),
        Spread(Measure.RCA, PLATFORM, 1, 7200, 7200),
        Spread(Measure.TOLD, INGEST, 2, 1800, 5400),
        Spread(Measure.ACK, "", 2, 480, 1800),
        Spread(Measure.FIX, "", 2, 72_000, 216_000),
        Spread(Measure.PAGE, "", 4, 120, 360),
        Spread(Measure.RCA, "", 3, 18_000, 36_000),
        Spread(Measure.TOLD, "", 2, 1800, 5400),
    ]
    assert facts.fix_bins == {1: 1, 5: 1}  # 20 h in 12–24 h, 60 h in 60–72 h
    assert (facts.rca, facts.fix) == (Tally(kept=2, broken=2), Tally(kept=1, broken=2))
    c_due = datetime(2026, 11, 10, 12, tzinfo=UTC)
    b_due = datetime(2026, 11, 9, 10, tzinfo=UTC)
    assert facts.breach_count == 2
    assert list(facts.breaches) == [
        Breach(ids["C"], PLATFORM, "Umbrella", "rca", c_due + timedelta(hours=8), None),
        Breach(ids["C"], PLATFORM, "Umbrella", "fix", c_due + timedelta(hours=48), None),
        Breach(ids["B"], INGEST, "Initech", "rca", b_due + timedelta(hours=8), b_due + timedelta(hours=10)),
        Breach(ids["B"], INGEST, "Initech", "fix", b_due + timedelta(hours=48), b_due + timedelta(hours=60)),
    ]
    assert (facts.buyer_told, facts.sponsor_told, facts.halted) == (1, 2, 0)


def test_one_team_counts_only_its_own_escalations(services: Services, clock: FakeClock) -> None:
    seed_history(services, clock)

    facts = services.stats.insights(InsightsQuery(since=SINCE, until=UNTIL, now=NOW, team=INGEST))

    assert (facts.escalations, facts.still_open, facts.arr_cents) == (2, 0, {"USD": 60_000_000})
    assert {s.team for s in facts.spreads} == {INGEST, ""}
    assert (facts.rca, facts.fix, facts.buyer_told, facts.sponsor_told) == (Tally(1, 1), Tally(1, 1), 1, 1)


def test_a_wider_tell_window_counts_the_late_buyer_update(services: Services, clock: FakeClock) -> None:
    seed_history(services, clock)
    query = InsightsQuery(since=SINCE, until=UNTIL, now=NOW, tell_within=timedelta(minutes=90))

    assert services.stats.insights(query).buyer_told == 2


def test_a_period_without_escalations_counts_nothing(services: Services, clock: FakeClock) -> None:
    seed_history(services, clock)
    empty = InsightsQuery(
        since=datetime(2025, 1, 1, tzinfo=UTC), until=datetime(2025, 4, 1, tzinfo=UTC), now=NOW
    )

    assert services.stats.insights(empty) == InsightFacts()
    assert (
        services.stats.insights(InsightsQuery(since=SINCE, until=UNTIL, now=NOW, team="@acme/nobody"))
        == InsightFacts()
    )


def test_deals_linked_to_an_escalation_count_as_deals_and_their_arr_is_at_risk(
    services: Services, clock: FakeClock
) -> None:
    first, _ = services.escalator.submit(parse_report(deal_report("Initech", 500000)))
    clock.advance(minutes=30)
    services.escalator.submit(parse_report(deal_report("Globex", "480,000.50", line=93)))
    services.escalator.submit(parse_report(deal_report("Hooli", "€200k", line=97)))

    facts = services.stats.insights(InsightsQuery(since=SINCE, until=UNTIL, now=NOW))

    assert [len(services.store.get(first.id).deals)] == [3]
    assert (facts.escalations, facts.deals) == (1, 3)
    assert facts.arr_cents == {"EUR": 20_000_000, "USD": 98_000_050}


def test_halt_effects_done_count_as_environments_halted(services: Services, clock: FakeClock) -> None:
    ids = seed_history(services, clock).ids
    store = services.store
    for name, state in (
        ("A", EffectState.DONE),
        ("C", EffectState.DONE),
        ("B", EffectState.FAILED),
        ("old", EffectState.DONE),
    ):
        store.apply(ids[name], now=NOW, owed=[Owed(EffectKind.HALT)])
        halt = store.get(ids[name]).effect(EffectKind.HALT)
        assert halt is not None
        (claimed,) = store.claim([halt.id], now=NOW, lease_until=NOW + timedelta(minutes=1))
        store.record([Attempt(ids[name], claimed.id, state, result={})], now=NOW)

    facts = services.stats.insights(InsightsQuery(since=SINCE, until=UNTIL, now=NOW))

    assert facts.halted == 2
