"""The store contract: what every store behind `EscalationStore` promises (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta

import pytest

from integrator.application.escalate import parse_report
from integrator.application.ports import PRUNE_BATCH, REPLAY_WINDOW, Attempt, Hold
from integrator.bootstrap import Services
from integrator.domain.escalation import Changes, EffectKind, EffectState, Event, Owed, Page, State, Ticket
from integrator.domain.status import Watch
from integrator.errors import NotFound
from tests.support import FakeClock, report_data


def submit(services: Services, *, link: bool = True, **failure: object) -> str:
    escalation, _ = services.escalator.submit(parse_report({**report_data(**failure), "link": link}))
    return escalation.id


def test_an_escalation_reads_back_as_it_was_stored(services: Services) -> None:
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
    assert again.url == f"https://integrator.acme.example/escalations/{stored.id}"
    assert [f.kind for f in again.effects][:3] == [EffectKind.PAGE, EffectKind.TICKET, EffectKind.LINK]
    told = {f.target for f in again.effects[3:] if f.kind == EffectKind.EMAIL}
    assert {"escalated:priya@acme.example", "escalated:alice@acme.example"} <= told
    assert [e.kind for e in again.timeline] == ["reported"]


def test_an_unknown_escalation_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound):
        services.store.get("nope")


def test_only_one_of_two_workers_gets_the_lease_on_an_effect(services: Services, clock: FakeClock) -> None:
    page = services.store.get(submit(services)).effects[0]
    now = clock.now()

    (first,) = services.store.claim([page.id], now=now, lease_until=now + timedelta(minutes=2))
    second = services.store.claim([page.id], now=now, lease_until=now + timedelta(minutes=2))
    (after_lease,) = services.store.claim(
        [page.id], now=now + timedelta(minutes=3), lease_until=now + timedelta(minutes=5)
    )

    assert first.attempts == 1
    assert second == []
    assert after_lease.attempts == 2


def test_a_page_held_as_it_is_stored_is_nobody_elses_until_the_hold_lapses(
    services: Services, clock: FakeClock
) -> None:
    hold = Hold(frozenset({EffectKind.PAGE}), clock.now() + timedelta(minutes=2))
    escalation, created, held = services.escalator.accept(parse_report(report_data()), hold=hold)
    page = escalation.effect(EffectKind.PAGE)
    assert created
    assert page is not None
    others = [e.id for e in escalation.effects if e.kind != EffectKind.PAGE]
    now = clock.now()

    elsewhere = services.store.claim([e.id for e in escalation.effects], now=now, lease_until=hold.until)
    (lapsed,) = services.store.claim(
        [page.id], now=hold.until + timedelta(seconds=1), lease_until=hold.until + timedelta(minutes=2)
    )

    assert [e.id for e in held] == [page.id]
    assert held[0].attempts == 1
    assert sorted(e.id for e in elsewhere) == sorted(others)  # all but the held page
    assert lapsed.attempts == 2  # once the hold lapses, the page is anybody's (sync's) again


def test_a_repeat_or_a_linked_report_holds_nothing(services: Services, clock: FakeClock) -> None:
    hold = Hold(frozenset({EffectKind.PAGE}), clock.now() + timedelta(minutes=2))
    first, _, _ = services.escalator.accept(
        parse_report({**report_data(), "idempotency_key": "k"}), hold=hold
    )
    again, created, held_again = services.escalator.accept(
        parse_report({**report_data(), "idempotency_key": "k"}), hold=hold
    )
    one, _, held_one = services.escalator.accept(parse_report(deal_report("Initech", 500000)), hold=hold)
    deal, linked, held_deal = services.escalator.accept(parse_report(deal_report("Globex", 1)), hold=hold)

    assert (again.id, created, held_again) == (first.id, False, ())
    assert len(held_one) == 1
    assert (deal.id, linked, held_deal) == (one.id, True, ())


def test_effects_are_claimed_together_and_only_the_free_ones(services: Services, clock: FakeClock) -> None:
    effects = services.store.get(submit(services)).effects
    now, until = clock.now(), clock.now() + timedelta(minutes=2)
    services.store.claim([effects[1].id], now=now, lease_until=until)

    claimed = services.store.claim([e.id for e in effects], now=now, lease_until=until)

    assert [e.id for e in claimed] == [e.id for e in effects if e.id != effects[1].id]
    assert all(e.attempts == 1 for e in claimed)


def test_concurrent_submissions_with_one_key_store_one_escalation(services: Services) -> None:
    data = {**report_data(), "idempotency_key": "same-key"}
    barrier = threading.Barrier(5)
    results: list[tuple[str, bool]] = []

    def one() -> None:
        barrier.wait()
        escalation, created = services.escalator.submit(parse_report(data))
        results.append((escalation.id, created))

    threads = [threading.Thread(target=one) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len({escalation_id for escalation_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(services.store.recent()) == 1


def test_a_pending_effect_waits_for_its_retry_time(services: Services, clock: FakeClock) -> None:
    escalation = services.store.get(submit(services))
    ticket = escalation.effects[1]
    services.store.claim([ticket.id], now=clock.now(), lease_until=clock.now() + timedelta(minutes=2))
    retry_at = clock.now() + timedelta(seconds=30)
    retry = Attempt(
        escalation.id, ticket.id, EffectState.PENDING, error="jira: HTTP 503", next_attempt_at=retry_at
    )
    services.store.record([retry], now=clock.now())

    pending = {f.kind: f for _, f in services.store.pending_effects()}
    assert pending[EffectKind.TICKET].next_attempt_at == retry_at
    assert pending[EffectKind.TICKET].last_error == "jira: HTTP 503"
    assert pending[EffectKind.TICKET].attempts == 1
    assert services.store.claim([ticket.id], now=clock.now(), lease_until=retry_at) == []
    assert services.store.claim([ticket.id], now=retry_at, lease_until=retry_at + timedelta(minutes=2))


def test_due_escalations_are_those_with_a_free_pending_effect_oldest_first(
    services: Services, clock: FakeClock
) -> None:
    first = submit(services)
    clock.advance(minutes=1)
    second = submit(services, title="Another failure")
    assert services.store.due_escalations(now=clock.now()) == [first, second]

    for effect in services.store.get(first).effects:
        services.store.claim([effect.id], now=clock.now(), lease_until=clock.now() + timedelta(minutes=2))
    assert services.store.due_escalations(now=clock.now()) == [second]
    assert services.store.due_escalations(now=clock.now() + timedelta(minutes=3)) == [first, second]


def test_a_finished_effect_records_its_result_changes_and_timeline(
    services: Services, clock: FakeClock
) -> None:
    escalation = services.store.get(submit(services))
    page = escalation.effects[0]
    services.store.claim([page.id], now=clock.now(), lease_until=clock.now() + timedelta(minutes=2))
    paged = Page(incident_id="Q1", url="https://pd.example/incidents/Q1", assignee="U1")
    event = Event(at=clock.now(), kind="paged", text="Paged", data={"incident_id": "Q1"})

    done = Attempt(
        escalation.id,
        page.id,
        EffectState.DONE,
        result={"incident_id": "Q1"},
        changes=Changes(page=paged, pagerduty_state="triggered", state=State.PAGED),
        timeline=(event,),
    )
    services.store.record([done], now=clock.now())

    again = services.store.get(escalation.id)
    assert again.page == paged
    assert again.pagerduty_state == "triggered"
    assert again.state == State.PAGED
    assert again.effects[0].state == EffectState.DONE
    assert again.effects[0].result == {"incident_id": "Q1"}
    assert again.timeline[-1] == event
    assert services.store.by_incident("Q1") == again
    assert services.store.due_escalations(now=clock.now()) == [escalation.id]  # the rest is still owed


def test_an_effect_is_owed_once_ever_by_kind_and_target(services: Services, clock: FakeClock) -> None:
    escalation_id = submit(services)
    owed = [Owed(EffectKind.COMMENT, "acknowledged", {"text": "On it"})]

    first = services.store.apply(escalation_id, now=clock.now(), owed=owed)
    again = services.store.apply(escalation_id, now=clock.now(), owed=owed * 2)

    assert first == owed
    assert again == []
    comments = [f for f in services.store.get(escalation_id).effects if f.kind == EffectKind.COMMENT]
    assert [(f.target, f.payload) for f in comments] == [("acknowledged", {"text": "On it"})]


def test_changes_find_the_ticket_and_narrow_what_the_sync_watches(
    services: Services, clock: FakeClock
) -> None:
    first, second = submit(services), submit(services, title="Second")
    ticket = Ticket(key="ING-7", url="https://jira.example/browse/ING-7")

    services.store.apply(first, now=clock.now(), changes=Changes(ticket=ticket, jira_state="new"))
    services.store.apply(second, now=clock.now(), changes=Changes(state=State.FIXED, fixed_at=clock.now()))

    found = services.store.by_issue("ING-7")
    assert found is not None
    assert found.ticket == ticket
    assert [w.id for w in services.store.watching()] == [first]
    assert [e.id for e in services.store.recent(states=[State.FIXED])] == [second]
    assert {e.id for e in services.store.load([first, second, "missing"])} == {first, second}


def test_recent_lists_newest_first(services: Services, clock: FakeClock) -> None:
    older = submit(services)
    clock.advance(minutes=5)
    newer = submit(services, title="Newer")
    assert [e.id for e in services.store.recent()] == [newer, older]
    assert [e.id for e in services.store.recent(limit=1)] == [newer]


def test_a_shared_status_page_is_found_by_its_token_until_revoked(
    services: Services, clock: FakeClock
) -> None:
    escalation_id = submit(services)
    shared = Event(at=clock.now(), kind="status_shared", text="Shared", data={})

    services.store.share_status(escalation_id, "tok-1", now=clock.now(), event=shared)
    found = services.store.by_status_token("tok-1")
    services.store.share_status(escalation_id, None, now=clock.now(), event=shared)

    assert found is not None
    assert found.status_url == "https://integrator.acme.example/status/tok-1"
    assert services.store.by_status_token("tok-1") is None
    assert services.store.get(escalation_id).status_url is None


def test_a_named_lease_has_one_holder_until_it_runs_out_or_is_released(
    services: Services, clock: FakeClock
) -> None:
    store, now = services.store, clock.now()
    until = now + timedelta(minutes=5)

    assert store.take_lease("sync-pass", holder="a", now=now, until=until)
    assert not store.take_lease("sync-pass", holder="b", now=now, until=until)
    assert store.take_lease("sync-pass", holder="a", now=now, until=until)  # the holder renews
    assert store.take_lease("sync-pass", holder="b", now=until, until=until + timedelta(minutes=5))
    store.release_lease("sync-pass", holder="b")
    assert store.take_lease("sync-pass", holder="a", now=until, until=until + timedelta(minutes=5))


def test_a_webhook_delivery_is_remembered_once(services: Services, clock: FakeClock) -> None:
    assert services.store.first_delivery("pagerduty:01ABC", now=clock.now())
    assert not services.store.first_delivery("pagerduty:01ABC", now=clock.now())
    assert services.store.first_delivery("pagerduty:01ABD", now=clock.now())


def test_webhook_deliveries_are_forgotten_after_the_replay_window(
    services: Services, clock: FakeClock
) -> None:
    start = clock.now()
    store = services.store
    assert store.first_delivery("pagerduty:old", now=start)
    assert store.first_delivery("pagerduty:recent", now=start + timedelta(days=6))

    assert not store.first_delivery("pagerduty:old", now=start + timedelta(days=6, hours=23))  # within 7 days
    assert store.first_delivery("pagerduty:new", now=start + timedelta(days=8))  # prunes the expired

    assert store.first_delivery("pagerduty:old", now=start + timedelta(days=8))  # forgotten
    assert not store.first_delivery("pagerduty:recent", now=start + timedelta(days=8))  # kept


def test_pruning_forgets_a_bounded_batch_per_new_delivery(services: Services, clock: FakeClock) -> None:
    start = clock.now()
    store = services.store
    for n in range(PRUNE_BATCH + 1):
        store.first_delivery(f"jira:{n}", now=start)
    later = start + REPLAY_WINDOW + timedelta(hours=1)

    store.first_delivery("jira:new", now=later)  # forgets PRUNE_BATCH of them, not all

    remembered = [n for n in range(PRUNE_BATCH + 1) if not store.first_delivery(f"jira:{n}", now=start)]
    assert len(remembered) == 1


def test_a_repeated_request_changes_nothing_when_asked_only_if_new(
    services: Services, clock: FakeClock
) -> None:
    escalation_id = submit(services)
    owed = [Owed(EffectKind.EMAIL, "customer-update:1", {"to": "hank@globex.example"})]
    sent = Event(at=clock.now(), kind="customer_update_sent", text="Sent", data={})

    first = services.store.apply(escalation_id, now=clock.now(), owed=owed, timeline=[sent], only_if_new=True)
    again = services.store.apply(escalation_id, now=clock.now(), owed=owed, timeline=[sent], only_if_new=True)

    assert (first, again) == (owed, [])
    assert [e.kind for e in services.store.get(escalation_id).timeline].count("customer_update_sent") == 1


def test_the_sync_watches_what_it_needs_of_each_open_escalation(services: Services, clock: FakeClock) -> None:
    escalation_id = submit(services)
    page = Page(incident_id="Q1", url="https://pd.example/incidents/Q1", assignee="U1")
    half = Event(at=clock.now(), kind="clock:fix-50", text="Half the window", data={})
    services.store.apply(
        escalation_id,
        now=clock.now(),
        changes=Changes(page=page, pagerduty_state="triggered"),
        timeline=[half],
    )

    (watch,) = services.store.watching()

    assert watch == Watch.of(services.store.get(escalation_id))
    assert watch.page == page
    assert watch.pagerduty_service == "PING001"
    assert watch.raised == frozenset({"clock:fix-50"})
    assert watch.reporter == "priya@acme.example"  # who is reminded to tell the customer


def test_the_sync_sees_when_the_customer_was_told(services: Services, clock: FakeClock) -> None:
    escalation_id = submit(services)
    told = Event(at=clock.now(), kind="customer_update_sent", text="Customer update sent", data={})
    other = Event(at=clock.now(), kind="status_page_shared", text="Shared", data={})
    services.store.apply(escalation_id, now=clock.now(), timeline=[told, other])

    (watch,) = services.store.watching()

    assert watch == Watch.of(services.store.get(escalation_id))
    assert watch.raised == frozenset({"customer_update_sent"})


def test_a_held_lease_is_renewed_and_a_lease_taken_since_by_another_is_not(
    services: Services, clock: FakeClock
) -> None:
    page, ticket = services.store.get(submit(services)).effects[:2]
    now = clock.now()
    (mine,) = services.store.claim([page.id], now=now, lease_until=now + timedelta(seconds=20))
    services.store.claim([ticket.id], now=now, lease_until=now + timedelta(seconds=20))
    (theirs,) = services.store.claim(
        [ticket.id], now=now + timedelta(seconds=30), lease_until=now + timedelta(seconds=50)
    )

    services.store.extend(
        {page.id: mine.attempts, ticket.id: theirs.attempts - 1}, until=now + timedelta(seconds=90)
    )

    later = now + timedelta(seconds=60)
    assert services.store.claim([page.id], now=later, lease_until=later) == []  # renewed: still held
    assert [e.id for e in services.store.claim([ticket.id], now=later, lease_until=later)] == [ticket.id]


POOL_TRACE = """\
Traceback (most recent call last):
  File "/app/services/ingest/pipeline/buffer.py", line {line}, in flush
    await self.pool.acquire()
  File "/app/services/ingest/connectors/db/pool.py", line {line}, in acquire
    raise PoolExhausted(batch_id)
services.ingest.pool.PoolExhausted: batch {line} waited 30.0s
"""


def test_an_escalations_fingerprint_reads_back_as_it_was_stored(services: Services) -> None:
    stored = services.store.get(submit(services, stack_trace=POOL_TRACE.format(line=88)))
    without = services.store.get(submit(services, stack_trace=""))

    assert stored.fingerprint is not None
    assert stored.fingerprint.exception == "services.ingest.pool.PoolExhausted"
    assert stored.fingerprint.frames == (
        "services/ingest/connectors/db/pool.py:acquire",
        "services/ingest/pipeline/buffer.py:flush",
    )
    assert stored.fingerprint.team == "@acme/ingest"
    assert services.store.load([stored.id])[0].fingerprint == stored.fingerprint
    assert without.fingerprint is None


def test_open_escalations_are_found_by_their_fingerprint_newest_first(
    services: Services, clock: FakeClock
) -> None:
    first = services.store.get(submit(services, stack_trace=POOL_TRACE.format(line=88)))
    clock.advance(minutes=5)
    again = submit(services, stack_trace=POOL_TRACE.format(line=93), title="Same failure, apart", link=False)
    clock.advance(minutes=5)
    fixed = submit(services, stack_trace=POOL_TRACE.format(line=97), title="Same failure, fixed", link=False)
    services.store.apply(fixed, now=clock.now(), changes=Changes(state=State.FIXED))
    other = submit(services, stack_trace=POOL_TRACE.format(line=88).replace("PoolExhausted", "PoolClosed"))
    submit(services, stack_trace="")
    assert first.fingerprint is not None

    found = services.store.open_with_fingerprint(first.fingerprint.id)

    assert [e.id for e in found] == [again, first.id]
    assert services.store.get(other).fingerprint != first.fingerprint
    assert services.store.open_with_fingerprint("0000000000000000") == []


# -- the same failure from several deals -----------------------------------------------------------


def deal_report(account: str, arr: object, *, line: int = 88, **extra: object) -> dict[str, object]:
    data = report_data(stack_trace=POOL_TRACE.format(line=line))
    data["deal"] = {"account": account, "arr": arr}
    data["reporter"] = {"name": f"SE of {account}", "email": f"se@{account.lower()}.example"}
    return {**data, **extra}


def test_a_report_of_an_open_failure_becomes_its_next_deal_owing_a_note_and_a_comment(
    services: Services, clock: FakeClock
) -> None:
    first, _ = services.escalator.submit(parse_report(deal_report("Initech", 500000)))
    clock.advance(minutes=30)
    again, created = services.escalator.submit(parse_report(deal_report("Globex", "480,000", line=93)))

    stored = services.store.get(first.id)
    assert created
    assert again.id == first.id == stored.id
    assert [(d.number, d.account, d.arr, d.reporter) for d in stored.deals] == [
        (1, "Initech", 500000, "se@initech.example"),
        (2, "Globex", 480000, "se@globex.example"),
    ]
    assert [e.id for e in services.store.recent()] == [first.id]
    owed = {(f.kind, f.target) for f in stored.effects}
    assert {(EffectKind.NOTE, "deal-2"), (EffectKind.COMMENT, "deal-2")} <= owed
    assert (EffectKind.EMAIL, "escalated:se@globex.example") in owed  # the new deal's SE is told
    assert [p for k, p in ((f.kind, f.payload) for f in stored.effects) if k == EffectKind.PAGE] == [{}]
    assert "Globex" in stored.effect(EffectKind.NOTE, "deal-2").payload["text"]  # type: ignore[union-attr]
    assert stored.timeline[-1].kind == "deal_linked"
    assert "ARR at risk: 980,000 USD" in stored.timeline[-1].text


def test_a_report_that_says_link_false_or_whose_failure_is_fixed_is_an_escalation_of_its_own(
    services: Services, clock: FakeClock
) -> None:
    first, _ = services.escalator.submit(parse_report(deal_report("Initech", 500000)))
    apart, _ = services.escalator.submit(parse_report(deal_report("Globex", 1, link=False)))
    services.store.apply(first.id, now=clock.now(), changes=Changes(state=State.FIXED))
    services.store.apply(apart.id, now=clock.now(), changes=Changes(state=State.CLOSED))
    after_fix, _ = services.escalator.submit(parse_report(deal_report("Hooli", 2)))

    assert len({first.id, apart.id, after_fix.id}) == 3
    assert [len(services.store.get(i).deals) for i in (first.id, apart.id, after_fix.id)] == [1, 1, 1]


def test_a_linked_deal_sent_again_with_its_key_gives_the_escalation_and_adds_nothing(
    services: Services,
) -> None:
    first, _ = services.escalator.submit(parse_report(deal_report("Initech", 500000)))
    second = parse_report(deal_report("Globex", 480000, idempotency_key="globex-1"))
    services.escalator.submit(second)

    again, created = services.escalator.submit(second)

    assert not created
    assert again.id == first.id
    assert len(services.store.get(first.id).deals) == 2


def test_five_reports_of_one_failure_at_once_make_one_escalation_and_four_linked_deals(
    services: Services,
) -> None:
    reports = [parse_report(deal_report(f"Account{n}", 100000, line=80 + n)) for n in range(5)]
    gate = threading.Barrier(5)
    ids: list[str] = []

    def send(n: int) -> None:
        gate.wait()
        ids.append(services.escalator.submit(reports[n])[0].id)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    (only,) = services.store.recent()
    assert set(ids) == {only.id}
    assert sorted(d.number for d in only.deals) == [1, 2, 3, 4, 5]
    assert len([f for f in only.effects if f.kind == EffectKind.PAGE]) == 1
    assert len([f for f in only.effects if f.kind == EffectKind.NOTE]) == 4


def test_an_unlinked_deal_is_an_escalation_of_its_own_and_its_number_is_not_given_again(
    services: Services, clock: FakeClock
) -> None:
    first, _ = services.escalator.submit(parse_report(deal_report("Initech", 500000)))
    services.escalator.submit(parse_report(deal_report("Globex", 480000)))
    services.escalator.submit(parse_report(deal_report("Hooli", 250000)))
    clock.advance(minutes=5)

    apart = services.escalator.unlink(first.id, 2, by="pat")
    later, _ = services.escalator.submit(parse_report(deal_report("Umbrella", 1)))  # joins the oldest

    kept = services.store.get(first.id)
    assert [(d.number, d.account) for d in kept.deals] == [(1, "Initech"), (3, "Hooli"), (4, "Umbrella")]
    assert later.id == first.id
    assert [(d.number, d.account) for d in services.store.get(apart.id).deals] == [(1, "Globex")]
    assert {f.kind for f in services.store.get(apart.id).effects} >= {EffectKind.PAGE, EffectKind.TICKET}
    assert [e.kind for e in kept.timeline].count("deal_unlinked") == 1
    with pytest.raises(NotFound):
        services.escalator.unlink(first.id, 2, by="pat")
    with pytest.raises(NotFound):
        services.escalator.unlink(first.id, 1, by="pat")


def test_a_linked_deals_status_page_is_found_as_that_deal_until_revoked(
    services: Services, clock: FakeClock
) -> None:
    first, _ = services.escalator.submit(parse_report(deal_report("Initech", 500000)))
    services.escalator.submit(parse_report(deal_report("Globex", 480000, line=93)))
    shared = Event(at=clock.now(), kind="status_shared", text="Shared", data={})

    services.store.share_status(first.id, "tok-2", now=clock.now(), event=shared, deal=2)
    found = services.store.by_status_token("tok-2")
    stored = services.store.get(first.id)
    services.store.share_status(first.id, None, now=clock.now(), event=shared, deal=2)

    assert found is not None
    assert (found.id, found.seen_as, found.report.deal.account) == (first.id, 2, "Globex")
    assert found.status_url == "https://integrator.acme.example/status/tok-2"
    assert stored.status_token is None  # deal 1's page is not shared by sharing deal 2's
    assert [d.status_url for d in stored.deals] == [None, "https://integrator.acme.example/status/tok-2"]
    assert services.store.by_status_token("tok-2") is None
    assert services.store.get(first.id).deal(2).status_token is None  # type: ignore[union-attr]
