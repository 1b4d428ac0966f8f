"""The store on real SQLite and PostgreSQL: round trips, leases, idempotency under concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from integrator.application.escalate import parse_report
from integrator.domain.escalation import EffectKind, EffectState, State
from integrator.store.db import connect, migrate
from tests.support import FakeClock, MemoryPager, MemoryTracker, make_services, report_data, write_config


def services_on(database_url: str, tmp_path: Path, clock: FakeClock | None = None):
    settings = write_config(tmp_path, database_url=database_url)
    return make_services(settings, clock=clock, pager=MemoryPager(), tracker=MemoryTracker())


def test_an_escalation_reads_back_as_it_was_stored(database_url: str, tmp_path: Path) -> None:
    services = services_on(database_url, tmp_path)
    data = report_data(stack_trace="boom")
    data["deal"]["arr"] = "480000.50"
    stored, created = services.escalator.submit(parse_report(data))
    again = services.store.get(stored.id)

    assert created
    assert again.report == stored.report
    assert again.owner == stored.owner
    assert again.created_at == stored.created_at
    assert again.created_at.tzinfo is UTC
    assert again.state == State.PENDING
    assert [f.kind for f in again.effects][:3] == [EffectKind.PAGE, EffectKind.TICKET, EffectKind.LINK]
    told = {f.target for f in again.effects[3:] if f.kind == EffectKind.EMAIL}
    assert {"escalated:priya@acme.example", "escalated:alice@acme.example"} <= told
    assert [e.kind for e in again.timeline] == ["reported"]


def test_only_one_of_two_workers_gets_the_lease_on_an_effect(database_url: str, tmp_path: Path) -> None:
    clock = FakeClock()
    services = services_on(database_url, tmp_path, clock)
    escalation, _ = services.escalator.submit(parse_report(report_data()))
    page = escalation.effects[0]
    now = clock.now()

    first = services.store.claim(page.id, now=now, lease_until=now + timedelta(minutes=2))
    second = services.store.claim(page.id, now=now, lease_until=now + timedelta(minutes=2))
    after_lease = services.store.claim(
        page.id, now=now + timedelta(minutes=3), lease_until=now + timedelta(minutes=5)
    )

    assert first is not None
    assert first.attempts == 1
    assert second is None
    assert after_lease is not None
    assert after_lease.attempts == 2


def test_concurrent_submissions_with_one_key_store_one_escalation(database_url: str, tmp_path: Path) -> None:
    services = services_on(database_url, tmp_path)
    data = {**report_data(), "idempotency_key": "same-key"}
    barrier = threading.Barrier(5)
    results: list[tuple[str, bool]] = []

    def submit() -> None:
        barrier.wait()
        escalation, created = services.escalator.submit(parse_report(data))
        results.append((escalation.id, created))

    threads = [threading.Thread(target=submit) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len({escalation_id for escalation_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(services.store.recent()) == 1


def test_a_pending_effect_is_listed_with_its_retry_time(database_url: str, tmp_path: Path) -> None:
    clock = FakeClock()
    services = services_on(database_url, tmp_path, clock)
    escalation, _ = services.escalator.submit(parse_report(report_data()))
    ticket = escalation.effects[1]
    services.store.claim(ticket.id, now=clock.now(), lease_until=clock.now() + timedelta(minutes=2))
    retry_at = clock.now() + timedelta(seconds=30)
    services.store.finish(
        ticket.id,
        now=clock.now(),
        state=EffectState.PENDING,
        error="jira: HTTP 503",
        next_attempt_at=retry_at,
    )

    pending = {f.kind: f for _, f in services.store.pending_effects()}
    assert pending[EffectKind.TICKET].next_attempt_at == retry_at
    assert pending[EffectKind.TICKET].last_error == "jira: HTTP 503"
    assert [i for _, i in services.store.due_effects(now=clock.now())] == [
        f.id for f in escalation.effects if f.kind != EffectKind.TICKET
    ]


def test_migrating_twice_changes_nothing(database_url: str) -> None:
    engine = connect(database_url)
    migrate(engine)
    migrate(engine)
    assert {"escalations", "effects", "events", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize("url", ["postgresql://u@h/db"])
def test_a_plain_postgresql_url_uses_psycopg_3(url: str) -> None:
    assert connect(url).dialect.driver == "psycopg"


def test_a_named_lease_has_one_holder_until_it_runs_out_or_is_released(
    database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    store = services_on(database_url, tmp_path, clock).store
    now = clock.now()
    until = now + timedelta(minutes=5)

    assert store.take_lease("sync-pass", holder="a", now=now, until=until)
    assert not store.take_lease("sync-pass", holder="b", now=now, until=until)
    assert store.take_lease("sync-pass", holder="a", now=now, until=until)  # the holder renews
    assert store.take_lease("sync-pass", holder="b", now=until, until=until + timedelta(minutes=5))
    store.release_lease("sync-pass", holder="b")
    assert store.take_lease("sync-pass", holder="a", now=until, until=until + timedelta(minutes=5))


def test_a_webhook_delivery_is_remembered_once(database_url: str, tmp_path: Path) -> None:
    clock = FakeClock()
    store = services_on(database_url, tmp_path, clock).store

    assert store.first_delivery("pagerduty:01ABC", now=clock.now())
    assert not store.first_delivery("pagerduty:01ABC", now=clock.now())
