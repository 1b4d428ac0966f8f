"""Each deal's own clocks on every store (memory, SQLite, PostgreSQL), on a controllable clock: the
reminder to tell the customer goes to each deal's SE an hour after that deal's report unless that
deal's customer was sent an update, and each deal's people are told at its own promised RCA time."""

from __future__ import annotations

from datetime import datetime, timedelta

from integrator.application.escalate import parse_report
from integrator.application.updates import CustomerUpdate, next_update_number, send_customer_update
from integrator.bootstrap import Services
from integrator.domain.escalation import EffectKind, Escalation
from integrator.domain.status import Watch, WatchedDeal
from tests.contract.test_store_contract import deal_report
from tests.support import FakeClock

DEAL_2_RCA = "2026-11-28T21:00:00Z"  # deal 2's report promises its RCA later than deal 1's default


def two_deals(services: Services, clock: FakeClock) -> Escalation:
    """Initech reported at 15:00 UTC (its RCA by default 4 hours later, 19:00), Globex 30 minutes
    later, promising its RCA at 21:00; both customers' buyers named."""
    first = deal_report("Initech", 500000)
    first["deal"]["economic_buyer"] = {"name": "Ida", "email": "ida@initech.example"}  # type: ignore[index]
    escalation, _ = services.escalator.submit(parse_report(first))
    clock.advance(minutes=30)
    second = deal_report("Globex", 480000, line=93, rca_due=DEAL_2_RCA)
    second["deal"]["economic_buyer"] = {"name": "Hank", "email": "hank@globex.example"}  # type: ignore[index]
    services.escalator.submit(parse_report(second))
    return escalation


def at(services: Services, clock: FakeClock, start: datetime, **delta: float) -> list[str]:
    """Run a sync pass `delta` after `start`; the clock milestones it raised."""
    escalation_id = services.store.recent()[0].id
    known = len(services.store.get(escalation_id).timeline)
    clock.current = start + timedelta(**delta)
    services.syncer.run_pass()
    raised = services.store.get(escalation_id).timeline[known:]
    return [e.kind for e in raised if e.kind.startswith("clock:")]


def emails(services: Services, escalation_id: str, topic: str) -> list[tuple[str, str]]:
    """(target, to) of every email owed of `topic`."""
    found = services.store.get(escalation_id).effects
    return [
        (f.target, str(f.payload["to"]))
        for f in found
        if f.kind == EffectKind.EMAIL and f.target.startswith(f"{topic}:")
    ]


def update(services: Services, clock: FakeClock, escalation_id: str, deal: int, to: str) -> None:
    escalation = services.store.get(escalation_id)
    sent = CustomerUpdate.checked(to=to, subject="Update", body="We are on it.", deal=deal)
    number = next_update_number(escalation)
    send_customer_update(services.store, escalation, sent, number=number, by="se", now=clock.now())


def test_each_deals_se_is_reminded_once_an_hour_after_that_deals_report(
    services: Services, clock: FakeClock
) -> None:
    escalation = two_deals(services, clock)
    start = escalation.created_at

    assert at(services, clock, start, minutes=59) == []
    assert at(services, clock, start, minutes=60) == ["clock:tell_customer"]
    assert at(services, clock, start, minutes=89) == []
    assert at(services, clock, start, minutes=90) == ["clock:tell_customer:deal-2"]
    assert at(services, clock, start, minutes=91) == []
    assert at(services, clock, start, hours=3) == []

    assert emails(services, escalation.id, "tell_customer") == [
        ("tell_customer:se@initech.example", "se@initech.example"),
        ("tell_customer:deal-2:se@globex.example", "se@globex.example"),
    ]
    timeline = services.store.get(escalation.id).timeline
    (second,) = [e for e in timeline if e.kind == "clock:tell_customer:deal-2"]
    assert second.text == (
        "Reminded se@globex.example that deal 2's customer has not been told"
        " (60 minutes after deal 2's report, no customer update sent)"
    )
    assert second.at == start + timedelta(minutes=90)


def test_an_update_to_deal_2_stops_only_deal_2s_reminder(services: Services, clock: FakeClock) -> None:
    escalation = two_deals(services, clock)
    start = escalation.created_at
    clock.current = start + timedelta(minutes=40)
    update(services, clock, escalation.id, 2, "hank@globex.example")

    raised = at(services, clock, start, minutes=60) + at(services, clock, start, minutes=90)
    raised += at(services, clock, start, hours=2)

    assert raised == ["clock:tell_customer"]  # deal 1's customer is still not told
    assert emails(services, escalation.id, "tell_customer") == [
        ("tell_customer:se@initech.example", "se@initech.example")
    ]


def test_an_update_to_deal_1_stops_only_deal_1s_reminder(services: Services, clock: FakeClock) -> None:
    escalation = two_deals(services, clock)
    start = escalation.created_at
    update(services, clock, escalation.id, 1, "ida@initech.example")

    raised = at(services, clock, start, minutes=60) + at(services, clock, start, minutes=90)

    assert raised == ["clock:tell_customer:deal-2"]


def test_each_deals_people_are_told_at_its_own_promised_rca_time(
    services: Services, clock: FakeClock
) -> None:
    escalation = two_deals(services, clock)
    start = escalation.created_at  # 15:00 UTC: deal 1's RCA at 19:00, deal 2's at 21:00
    at(services, clock, start, minutes=90)  # both reminders out of the way

    assert at(services, clock, start, hours=4, minutes=-1) == []
    assert at(services, clock, start, hours=4) == ["clock:rca"]
    assert at(services, clock, start, hours=6, minutes=-1) == []
    assert at(services, clock, start, hours=6) == ["clock:rca:deal-2"]
    assert at(services, clock, start, hours=7) == []

    told = emails(services, escalation.id, "rca")
    assert sorted(to for target, to in told if ":deal-2:" not in target) == [
        escalation.owner.engineer,
        "se@initech.example",
    ]
    assert sorted(to for target, to in told if ":deal-2:" in target) == [
        escalation.owner.engineer,
        "se@globex.example",
    ]
    (second,) = [e for e in services.store.get(escalation.id).timeline if e.kind == "clock:rca:deal-2"]
    assert (
        second.text
        == "The root-cause analysis promised to deal 2's customer is due now (2026-11-28 21:00 UTC)"
    )


def test_the_sync_watches_each_linked_deals_clocks_and_who_was_told(
    services: Services, clock: FakeClock
) -> None:
    escalation = two_deals(services, clock)
    update(services, clock, escalation.id, 2, "hank@globex.example")

    (watch,) = services.store.watching()

    assert watch == Watch.of(services.store.get(escalation.id))
    assert watch.linked == (
        WatchedDeal(
            2,
            escalation.created_at + timedelta(minutes=30),
            "se@globex.example",
            datetime.fromisoformat(DEAL_2_RCA),
        ),
    )
    assert watch.told == frozenset({2})
