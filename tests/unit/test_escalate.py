"""The escalation use case on the in-memory store and fakes: page first, one ticket, idempotent."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from integrator.application.escalate import parse_report
from integrator.domain.escalation import EffectKind, EffectState, State
from integrator.domain.rca import default_rca_due
from integrator.errors import InvalidInput, Rejected, Unavailable
from tests.support import FakeClock, MemoryPager, MemoryTracker, memory_services, report_data


@pytest.fixture
def world(tmp_path: Path) -> tuple[FakeClock, MemoryPager, MemoryTracker, object]:
    clock, pager, tracker = FakeClock(), MemoryPager(), MemoryTracker()
    services = memory_services(tmp_path, clock=clock, pager=pager, tracker=tracker)
    return clock, pager, tracker, services


def test_pages_the_owner_first_then_files_and_links_one_p1(world) -> None:
    _, pager, tracker, services = world
    escalation, created = services.escalator.escalate(parse_report(report_data()))

    assert created
    assert pager.calls[0] == "page"
    assert escalation.state == State.PAGED
    assert escalation.owner.team.handle == "@acme/ingest"
    assert escalation.owner.engineer == "alice@acme.example"
    assert escalation.owner.line == 4
    assert escalation.ticket is not None
    assert escalation.ticket.key == "ING-1"
    assert list(tracker.links) == [("ING-1", "https://pd.example/i")]
    assert pager.notes == [("P1", "Jira P1: ING-1 https://jira.example/browse/ING-1")]
    assert {f.kind: f.state for f in escalation.effects} == {
        EffectKind.PAGE: EffectState.DONE,
        EffectKind.TICKET: EffectState.DONE,
        EffectKind.LINK: EffectState.DONE,
        EffectKind.EMAIL: EffectState.DONE,  # in dry-run: no SMTP server is set
    }
    sent = [e.kind for e in escalation.timeline if e.kind != "dry_run"]
    assert sent == ["reported", "paged", "ticket_filed", "linked"]


def test_fix_clock_is_48_hours_from_the_report(world) -> None:
    clock, _, _, services = world
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    assert (escalation.fix_due - clock.now()).total_seconds() == 48 * 3600


def test_an_email_owner_on_the_deciding_line_is_paged_instead_of_the_senior_engineer(world) -> None:
    _, _, _, services = world
    data = report_data(locations=["services/ingest/connectors/oracle.py"])
    escalation, _ = services.escalator.escalate(parse_report(data))
    assert escalation.owner.engineer == "bob@acme.example"


def test_pages_even_when_jira_is_down_and_files_one_ticket_when_it_returns(world) -> None:
    clock, pager, tracker, services = world
    tracker.failures = [Unavailable("jira", "HTTP 503")]
    escalation, _ = services.escalator.escalate(parse_report(report_data()))

    assert escalation.page is not None
    ticket = escalation.effect(EffectKind.TICKET)
    assert ticket is not None
    assert ticket.state == EffectState.PENDING
    assert ticket.last_error == "jira: HTTP 503"
    assert ticket.next_attempt_at is not None
    assert ticket.next_attempt_at > clock.now()

    assert services.dispatcher.drive_due() == 0  # the backoff is honoured
    clock.current = ticket.next_attempt_at
    services.dispatcher.drive_due()

    after = services.store.get(escalation.id)
    assert after.ticket is not None
    assert len(tracker.tickets) == 1
    assert pager.calls.count("page") == 1
    assert all(f.state == EffectState.DONE for f in after.effects)


def test_a_create_whose_answer_was_lost_is_found_not_filed_again(world) -> None:
    clock, _, tracker, services = world
    tracker.failures = [Unavailable("jira", "connection dropped", uncertain=True)]
    tracker.apply_before_failing = True
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    clock.advance(hours=1)
    services.dispatcher.drive_due()

    assert len(tracker.tickets) == 1
    assert tracker.calls == ["file", "find", "link"]
    assert services.store.get(escalation.id).ticket is not None


def test_a_permanent_refusal_is_failed_and_visible(world) -> None:
    _, _, tracker, services = world
    tracker.failures = [Rejected("jira", "project: project 'ING' does not exist")]
    escalation, _ = services.escalator.escalate(parse_report(report_data()))

    ticket = escalation.effect(EffectKind.TICKET)
    assert ticket is not None
    assert ticket.state == EffectState.FAILED
    assert "does not exist" in (ticket.last_error or "")
    assert any(e.kind == "ticket_failed" for e in escalation.timeline)


def test_a_process_that_died_after_the_page_is_finished_by_the_next_pass(tmp_path: Path) -> None:
    clock, pager, tracker = FakeClock(), MemoryPager(), MemoryTracker()
    first = memory_services(tmp_path, clock=clock, pager=pager, tracker=tracker)
    escalation, _ = first.escalator.submit(parse_report(report_data()))
    first.dispatcher.drive(escalation.id, kinds={EffectKind.PAGE})  # ...and then the process dies

    store = first.store  # what the next process finds, as a database would keep it
    second = memory_services(tmp_path, clock=clock, pager=pager, tracker=tracker, store=store)
    second.dispatcher.drive_due()

    assert pager.calls.count("page") == 1
    assert len(tracker.tickets) == 1
    assert all(f.state == EffectState.DONE for f in second.store.get(escalation.id).effects)


def test_the_same_idempotency_key_returns_the_first_escalation(world) -> None:
    _, pager, tracker, services = world
    data = {**report_data(), "idempotency_key": "globex-1"}
    first, created_first = services.escalator.escalate(parse_report(data))
    again, created_again = services.escalator.escalate(parse_report(data))

    assert (created_first, created_again) == (True, False)
    assert again.id == first.id
    assert pager.calls.count("page") == 1
    assert len(tracker.tickets) == 1


def test_five_simultaneous_submissions_make_one_page_and_one_ticket(world) -> None:
    _, pager, tracker, services = world
    data = {**report_data(), "idempotency_key": "globex-burst"}
    ids: list[str] = []
    barrier = threading.Barrier(5)

    def submit() -> None:
        barrier.wait()
        escalation, _ = services.escalator.escalate(parse_report(data))
        ids.append(escalation.id)

    threads = [threading.Thread(target=submit) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(set(ids)) == 1
    assert len(ids) == 5
    assert pager.calls.count("page") == 1
    assert len(tracker.tickets) == 1
    assert len(services.store.recent()) == 1


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["deal"].pop("account"), "deal.account"),
        (lambda d: d["deal"].pop("arr"), "deal.arr"),
        (lambda d: d["deal"].update(arr=-5), "deal.arr"),
        (lambda d: d["failure"].pop("title"), "failure.title"),
        (lambda d: d["reporter"].pop("email"), "reporter.email"),
        (lambda d: d["reporter"].update(email="not-an-email"), "reporter.email"),
        (lambda d: d["reporter"].update(time_zone="Mars/Olympus"), "reporter.time_zone"),
        (lambda d: d["failure"].pop("locations"), "failure.locations"),
        (lambda d: d["deal"].update(arr_typo=1), "deal.arr_typo"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(world, mutate, field) -> None:
    _, pager, tracker, services = world
    data = report_data()
    mutate(data)
    with pytest.raises(InvalidInput) as caught:
        services.escalator.escalate(parse_report(data))
    assert field in caught.value.fields
    assert services.store.recent() == []
    assert pager.calls == []
    assert tracker.calls == []


def test_malformed_json_is_bad_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_report('{"deal": ')
    assert "body" in caught.value.fields


def test_locations_nobody_owns_are_bad_input_when_there_is_no_default(tmp_path: Path) -> None:
    catalog = '[owners."@acme/ingest"]\nservice="ingest-api"\njira_project="ING"\n'
    catalog += 'pagerduty_service="PING001"\nsenior_engineer="alice@acme.example"\n'
    services = memory_services(
        tmp_path,
        registry="/services/ingest/ @acme/ingest\n",
        catalog=catalog,
        pager=MemoryPager(),
        tracker=MemoryTracker(),
    )
    with pytest.raises(InvalidInput) as caught:
        services.escalator.escalate(parse_report(report_data(locations=["services/billing/x.py"])))
    assert "services/billing/x.py" in caught.value.fields["failure.locations"]
    assert services.store.recent() == []


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 28, 14, 0, tzinfo=UTC), datetime(2026, 11, 28, 22, 0, tzinfo=UTC)),  # 09:00 NY
        (datetime(2026, 11, 28, 20, 0, tzinfo=UTC), datetime(2026, 11, 29, 0, 0, tzinfo=UTC)),  # 15:00 NY
    ],
)
def test_the_rca_promise_defaults_to_five_pm_or_four_hours_ahead(now, expected) -> None:
    assert default_rca_due(now, "America/New_York") == expected
