"""The PagerDuty adapter driving the real `pagerduty` client against the fake PagerDuty (TLS, loopback)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr

from integrator.adapters.dryrun import DryRunPager
from integrator.adapters.pagerduty.client import PagerDutyPager
from integrator.application.retrying import RetryPolicy
from integrator.domain.escalation import Escalation, IncidentStatus
from integrator.errors import ConfigError, Rejected, Unavailable
from integrator.settings import PagerDutySettings
from tests.builders import make_escalation, make_owner, make_report, make_team
from tests.fakes import Delay, Drop, FakePagerDuty, Status
from tests.fakes.world import ALICE, BOB, PD_API_KEY, PD_FROM
from tests.support import FakeClock

Connect = Callable[..., PagerDutyPager]


def settings_for(fake: FakePagerDuty, **overrides: object) -> PagerDutySettings:
    values: dict[str, object] = {
        "api_key": SecretStr(PD_API_KEY),
        "from_email": PD_FROM,
        "api_url": fake.url,
        "timeout_seconds": 5.0,
    }
    return PagerDutySettings.model_validate({**values, **overrides})


@pytest.fixture
def connect(fake_pagerduty: FakePagerDuty) -> Iterator[Connect]:
    """Build pagers that trust the fake's CA; every one built is closed after the test."""
    built: list[PagerDutyPager] = []

    def build(**overrides: object) -> PagerDutyPager:
        pager = PagerDutyPager(settings_for(fake_pagerduty, **overrides), verify=str(fake_pagerduty.ca_file))
        built.append(pager)
        return pager

    yield build
    for pager in built:
        pager.close()


@pytest.fixture
def pager(connect: Connect) -> PagerDutyPager:
    return connect()


def sent_incident(fake: FakePagerDuty) -> dict[str, Any]:
    """The incident of the first `POST /incidents` the fake saw."""
    body = fake.requests_to("POST", "/incidents")[0].json
    assert isinstance(body, dict)
    incident: dict[str, Any] = body["incident"]
    return incident


def paging(engineer: str) -> Escalation:
    return make_escalation(id=f"for-{engineer}", owner=make_owner(engineer=engineer))


def test_pages_the_owning_engineer_directly_at_high_urgency_with_p1(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    escalation = make_escalation()

    page = pager.page(escalation)

    incident = fake_pagerduty.incident(page.incident_id)
    assert incident.assignee_ids == [ALICE.id]
    assert incident.assigned_via == "direct_assignment"
    assert incident.urgency == "high"
    assert incident.priority is not None
    assert incident.priority.name == "P1"
    assert incident.incident_key == escalation.id
    assert incident.service.id == "PING001"
    assert incident.title == "[POC] Globex ($480k ARR): Batch ingest drops rows"
    assert page.assignee == ALICE.id
    assert page.url == f"https://acme-data.pagerduty.com/incidents/{page.incident_id}"
    assert page.note == ""


def test_the_page_tells_the_deal_the_failure_why_this_owner_and_where_to_read_more(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    escalation = make_escalation()

    page = pager.page(escalation)

    details = fake_pagerduty.incident(page.incident_id).details
    assert isinstance(details, str)
    for expected in (
        "Account: Globex",
        "ARR at stake: 480,000 USD",
        "POC ends: 2026-12-05",
        "Success criterion violated: MSP-3: zero data loss",
        "Observed: 1.2% of rows missing after the 02:00 batch",
        "Locations: services/ingest/api/batch.py",
        "Environment: customer VPC, eu-west-1",
        "Test halted: yes",
        "Why this owner: 'services/ingest/api/batch.py' matches line 3 (/services/ingest/)",
        "Reported by: Priya Natarajan <priya@acme.example>",
        f"Escalation: {escalation.url}",
    ):
        assert expected in details


def test_a_page_costs_three_requests_and_later_pages_reuse_the_lookups(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    pager.page(make_escalation(id="e1"))
    pager.page(make_escalation(id="e2"))

    assert [(r.method, r.path) for r in fake_pagerduty.requests] == [
        ("GET", "/users"),
        ("GET", "/priorities"),
        ("POST", "/incidents"),
        ("POST", "/incidents"),
    ]
    created = fake_pagerduty.requests_to("POST", "/incidents")[0]
    assert created.headers["from"] == PD_FROM
    assert fake_pagerduty.requests[0].param("query") == "alice@acme.example"


def test_the_engineer_is_found_by_exact_email_in_any_case(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    assert pager.page(paging("Alice@ACME.example")).assignee == ALICE.id
    # "lice@acme.example" is found by PagerDuty's substring query, but it is not Alice's address.
    near_miss = pager.page(paging("lice@acme.example"))
    assert near_miss.assignee is None


def test_an_engineer_without_a_pagerduty_user_pages_the_services_escalation_policy(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    page = pager.page(paging("nobody@acme.example"))

    incident = fake_pagerduty.incident(page.incident_id)
    assert incident.assigned_via == "escalation_policy"
    assert "assignments" not in sent_incident(fake_pagerduty)
    assert page.assignee is None
    assert (
        page.note == "no PagerDuty user with email nobody@acme.example; paged the service's escalation policy"
    )


def test_a_priority_pagerduty_does_not_have_pages_without_one_and_says_so(
    fake_pagerduty: FakePagerDuty, connect: Connect
) -> None:
    page = connect(priority="SEV-1").page(make_escalation())

    assert fake_pagerduty.incident(page.incident_id).priority is None
    assert page.assignee == ALICE.id
    assert "no priority named 'SEV-1'" in page.note


def test_a_rate_limit_is_waited_out_as_pagerduty_says_and_opens_one_incident(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    fake_pagerduty.rate_limit(1, reset_seconds=2)
    sleeps: list[float] = []

    page = RetryPolicy(sleep=sleeps.append).call(lambda attempt: pager.page(make_escalation()))

    assert sleeps == [2.0]
    assert [i.id for i in fake_pagerduty.incidents] == [page.incident_id]
    assert len(fake_pagerduty.requests) == 4  # the refused lookup once, then users, priorities, incident


def test_the_client_does_not_retry_a_rate_limit_on_its_own(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    fake_pagerduty.rate_limit(None, reset_seconds=0, bare=True)

    with pytest.raises(Unavailable) as raised:
        pager.page(make_escalation())

    assert raised.value.retry_after is None
    assert len(fake_pagerduty.requests) == 1


def test_a_repeated_page_returns_the_incident_the_earlier_attempt_opened(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    escalation = make_escalation()
    first = pager.page(escalation)

    again = pager.page(escalation)

    assert again.incident_id == first.incident_id
    assert again.assignee == ALICE.id
    assert len(fake_pagerduty.incidents) == 1


def test_server_errors_beyond_the_retry_budget_raise_unavailable(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    sleeps: list[float] = []
    with fake_pagerduty.faults.always("*", ".*", Status(500)), pytest.raises(Unavailable, match="500"):
        RetryPolicy(attempts=3, sleep=sleeps.append).call(lambda attempt: pager.page(make_escalation()))

    assert len(fake_pagerduty.requests) == 3  # one per attempt: the client itself retried nothing
    assert len(sleeps) == 2
    assert fake_pagerduty.incidents == []


def test_a_lost_answer_is_uncertain_and_find_returns_the_incident_it_opened(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    escalation = make_escalation()
    fake_pagerduty.faults.add("POST", "/incidents", Drop(after_apply=True))

    with pytest.raises(Unavailable) as raised:
        pager.page(escalation)

    assert raised.value.uncertain
    found = pager.find(escalation)
    assert found is not None
    assert [i.id for i in fake_pagerduty.incidents] == [found.incident_id]
    assert found.assignee == ALICE.id
    assert fake_pagerduty.requests_to("GET", "/incidents")[0].param("date_range") == "all"


def test_a_slow_pagerduty_times_out_as_uncertain(fake_pagerduty: FakePagerDuty, connect: Connect) -> None:
    fake_pagerduty.faults.add("POST", "/incidents", Delay(3))

    with pytest.raises(Unavailable) as raised:
        connect(timeout_seconds=0.3).page(make_escalation())

    assert raised.value.uncertain


def test_find_returns_nothing_for_an_escalation_never_paged(pager: PagerDutyPager) -> None:
    assert pager.find(make_escalation(id="neverpaged")) is None


def test_a_note_is_added_to_the_incident_as_the_integrator_user(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    page = pager.page(make_escalation())

    pager.add_note(page.incident_id, "Jira P1: ING-1 https://jira.acme.example/browse/ING-1")

    notes = fake_pagerduty.incident(page.incident_id).notes
    assert [n.content for n in notes] == ["Jira P1: ING-1 https://jira.acme.example/browse/ING-1"]


def test_a_wrong_api_key_is_rejected(fake_pagerduty: FakePagerDuty, connect: Connect) -> None:
    with pytest.raises(Rejected, match="401"):
        connect(api_key=SecretStr("wrong")).page(make_escalation())
    assert fake_pagerduty.incidents == []


def test_an_unknown_service_is_rejected_with_pagerdutys_reason(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    escalation = make_escalation(owner=make_owner(team=make_team(pagerduty_service="PNOPE01")))

    with pytest.raises(Rejected, match="Service not found"):
        pager.page(escalation)


def test_the_dry_run_plan_is_what_the_pager_sends_with_lookups_left_as_placeholders(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    escalation = make_escalation(report=make_report(failure={"title": "Planner OOM"}))
    plan = DryRunPager(settings_for(fake_pagerduty)).plan(escalation)

    pager.page(escalation)

    sent = sent_incident(fake_pagerduty)
    planned = plan["incident"]
    assert planned["assignments"][0]["assignee"]["id"] == "<looked up: alice@acme.example>"
    assert planned["priority"]["id"] == "<looked up: P1>"
    assert {k: v for k, v in planned.items() if k not in ("assignments", "priority")} == {
        k: v for k, v in sent.items() if k not in ("assignments", "priority")
    }
    assert pager.plan(escalation) == plan


def test_a_plain_http_api_url_is_refused_at_start_up() -> None:
    settings = PagerDutySettings(
        api_key=SecretStr(PD_API_KEY), from_email=PD_FROM, api_url="http://127.0.0.1:9"
    )

    with pytest.raises(ConfigError, match="INTEGRATOR_PAGERDUTY__API_URL"):
        PagerDutyPager(settings)


def test_a_dry_run_page_sends_nothing_and_says_who_would_have_been_paged() -> None:
    page = DryRunPager(PagerDutySettings()).page(make_escalation())

    assert page.incident_id == "dry-run"
    assert page.assignee is None
    assert page.note == (
        "dry-run: nothing was sent to PagerDuty;"
        " would page alice@acme.example on service PING001 with priority P1"
    )


# -- the status sync: notes, incidents, resolving, urgency -----------------------------------------

LIST = "/incidents"
ONE = r"/incidents/[^/]+"


def trigger_many(fake: FakePagerDuty, count: int, service_id: str = "PING001") -> list[str]:
    """`count` incidents opened on the service by its monitoring, keyed esc-0000, esc-0001, ..."""
    return [fake.trigger(service_id, f"esc-{n:04d}") for n in range(count)]


def test_a_note_is_found_again_after_a_lost_reply(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    incident = pager.page(make_escalation()).incident_id
    note = "Jira P1: ING-1 https://jira.acme.example/browse/ING-1"

    assert not pager.has_note(incident, note)
    pager.add_note(incident, note)

    assert pager.has_note(incident, note)
    assert not pager.has_note(incident, "Jira P1: ING-2")
    assert len(fake_pagerduty.requests_to("GET", rf"/incidents/{incident}/notes")) == 3


def test_incidents_of_250_pages_take_three_list_requests_of_100(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    ids = trigger_many(fake_pagerduty, 200) + trigger_many(fake_pagerduty, 50, "PQRY001")
    trigger_many(fake_pagerduty, 5, "PAUTH01")  # another team's: not asked for
    before = len(fake_pagerduty.requests)

    found = pager.incidents(["PING001", "PQRY001"], since=datetime.now(UTC) - timedelta(hours=1))

    assert sorted(i.incident_id for i in found) == sorted(ids)
    listed = fake_pagerduty.requests[before:]
    assert [(r.method, r.path, r.param("offset")) for r in listed] == [
        ("GET", LIST, "0"),
        ("GET", LIST, "100"),
        ("GET", LIST, "200"),
    ]
    first = listed[0]
    assert first.params("service_ids[]") == ["PING001", "PQRY001"]
    assert first.params("statuses[]") == ["triggered", "acknowledged", "resolved"]
    assert first.param("limit") == "100"
    assert first.param("since") is not None
    assert first.param("until") is not None


def test_incidents_tell_who_acknowledged_when_and_who_resolved(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    acknowledged, resolved, by_service, untouched = trigger_many(fake_pagerduty, 4)
    fake_pagerduty.acknowledge(acknowledged, ALICE.id)
    fake_pagerduty.acknowledge(resolved, ALICE.id)
    fake_pagerduty.resolve(resolved, BOB.id)
    fake_pagerduty.resolve(by_service)

    found = {
        i.incident_id: i for i in pager.incidents(["PING001"], since=datetime.now(UTC) - timedelta(hours=1))
    }

    seen = found[acknowledged]
    assert (seen.status, seen.acknowledged_by, seen.resolved_by) == ("acknowledged", ALICE.name, None)
    assert seen.acknowledged_at is not None
    assert abs(seen.acknowledged_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert (seen.incident_key, seen.urgency) == ("esc-0000", "high")
    assert (found[resolved].status, found[resolved].resolved_by) == ("resolved", BOB.name)
    assert found[by_service].resolved_by == "ingest-api"  # resolved by the service itself
    assert found[untouched] == IncidentStatus(
        untouched, "esc-0003", "triggered", "high", updated_at=found[untouched].updated_at
    )
    assert pager.incident(acknowledged) == seen


@contextmanager
def pagerduty_at(clock: FakeClock) -> Iterator[tuple[FakePagerDuty, PagerDutyPager]]:
    """A fake PagerDuty and a pager that both tell time by `clock`; the contract is checked at the end."""
    with FakePagerDuty(clock=clock.now) as fake:
        pager = PagerDutyPager(settings_for(fake), verify=str(fake.ca_file), clock=clock)
        try:
            yield fake, pager
        finally:
            pager.close()
        assert not fake.violation_report(), fake.violation_report()


def moment(value: str | None) -> datetime:
    return datetime.fromisoformat(value or "")


def test_incidents_older_than_pagerdutys_longest_range_are_read_window_by_window() -> None:
    clock = FakeClock(datetime.now(UTC) - timedelta(days=200))
    with pagerduty_at(clock) as (fake, pager):
        old = fake.trigger("PING001", "old")
        clock.advance(days=120)
        newer = fake.trigger("PING001", "newer")
        clock.advance(days=80)
        since = clock.now() - timedelta(days=201)

        found = pager.incidents(["PING001"], since=since)

        listed = fake.requests_to("GET", LIST)

    assert sorted(i.incident_id for i in found) == sorted([old, newer])
    assert len(listed) == 3  # 201 days: 90 + 90 + 21, each within the 6 months PagerDuty allows
    spans = [(moment(r.param("since")), moment(r.param("until"))) for r in listed]
    assert all(until - since <= timedelta(days=90) for since, until in spans)
    assert spans[0][0] == since.replace(microsecond=0)
    assert [a[1] for a in spans[:-1]] == [b[0] for b in spans[1:]]  # no gap between windows


def test_a_window_deeper_than_pagerduty_pages_is_halved_and_read_again() -> None:
    clock = FakeClock(datetime.now(UTC) - timedelta(days=1))
    since = clock.now()
    with pagerduty_at(clock) as (fake, pager):
        ids = []
        for n in range(150):
            clock.advance(minutes=1)
            ids.append(fake.trigger("PING001", f"esc-{n}"))
        pager.offset_limit = 100  # PagerDuty's is 10,000; 150 incidents stand in for 10,050

        found = pager.incidents(["PING001"], since=since)

        listed = fake.requests_to("GET", LIST)

    assert sorted(i.incident_id for i in found) == sorted(ids)
    assert [r.param("offset") for r in listed] == ["0", "0", "0"]  # never past the limit
    assert len({(r.param("since"), r.param("until")) for r in listed}) == 3  # the window, then its halves


def test_incidents_of_no_services_cost_no_request(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    assert pager.incidents([], since=datetime.now(UTC) - timedelta(days=1)) == []
    assert fake_pagerduty.requests == []


def test_a_rate_limited_incident_list_is_unavailable_with_pagerdutys_reset(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    fake_pagerduty.rate_limit(1, reset_seconds=4)

    with pytest.raises(Unavailable, match="429") as raised:
        pager.incidents(["PING001"], since=datetime.now(UTC) - timedelta(days=1))

    assert raised.value.retry_after == 4.0
    assert len(fake_pagerduty.requests) == 1


def test_one_incident_is_one_get(fake_pagerduty: FakePagerDuty, pager: PagerDutyPager) -> None:
    incident = pager.page(make_escalation()).incident_id
    before = len(fake_pagerduty.requests)

    status = pager.incident(incident)

    assert (status.incident_id, status.status, status.incident_key) == (incident, "triggered", "e5c0ffee1234")
    assert [(r.method, r.path) for r in fake_pagerduty.requests[before:]] == [
        ("GET", f"/incidents/{incident}")
    ]


def test_an_unknown_incident_is_rejected(pager: PagerDutyPager) -> None:
    with pytest.raises(Rejected, match="404"):
        pager.incident("QNOSUCH")


def test_resolving_puts_the_status_as_the_integrator_user_and_again_is_fine(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    incident = pager.page(make_escalation()).incident_id

    pager.resolve(incident)
    pager.resolve(incident)

    assert fake_pagerduty.incident(incident).status == "resolved"
    first = fake_pagerduty.requests_to("PUT", ONE)[0]
    assert first.json == {"incident": {"type": "incident_reference", "status": "resolved"}}
    assert first.headers["from"] == PD_FROM


def test_resolving_an_incident_pagerduty_refuses_for_another_reason_is_rejected(
    fake_pagerduty: FakePagerDuty, connect: Connect
) -> None:
    incident = connect().page(make_escalation()).incident_id

    with pytest.raises(Rejected, match="was not found in this account"):
        connect(from_email="mallory@evil.example").resolve(incident)

    assert fake_pagerduty.incident(incident).status == "triggered"


def test_resolving_while_pagerduty_answers_503_is_unavailable(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    incident = pager.page(make_escalation()).incident_id
    fake_pagerduty.faults.add("PUT", ONE, Status(503))

    with pytest.raises(Unavailable, match="503"):
        pager.resolve(incident)

    assert fake_pagerduty.incident(incident).status == "triggered"


def lower_by_hand(fake: FakePagerDuty, incident: str) -> None:
    """Someone in PagerDuty lowers the incident: urgency low, priority P3."""
    lower = {
        "incident": {
            "type": "incident_reference",
            "urgency": "low",
            "priority": {"id": "PRI3", "type": "priority_reference"},
        }
    }
    with httpx2.Client(verify=fake.client_ssl_context()) as client:
        client.put(
            f"{fake.url}/incidents/{incident}",
            json=lower,
            headers={"Authorization": f"Token token={PD_API_KEY}", "From": BOB.email},
        ).raise_for_status()


def test_urgency_and_the_configured_priority_are_raised_back(
    fake_pagerduty: FakePagerDuty, pager: PagerDutyPager
) -> None:
    incident = pager.page(make_escalation()).incident_id
    lower_by_hand(fake_pagerduty, incident)
    assert fake_pagerduty.incident(incident).urgency == "low"

    pager.raise_urgency(incident)

    raised = fake_pagerduty.incident(incident)
    assert (raised.urgency, raised.priority and raised.priority.name) == ("high", "P1")
    assert fake_pagerduty.requests_to("PUT", ONE)[-1].json == {
        "incident": {
            "type": "incident_reference",
            "urgency": "high",
            "priority": {"id": "PRI1", "type": "priority_reference"},
        }
    }


def test_without_the_configured_priority_in_pagerduty_only_the_urgency_is_raised(
    fake_pagerduty: FakePagerDuty, connect: Connect
) -> None:
    pager = connect(priority="SEV-1")
    incident = pager.page(make_escalation()).incident_id
    lower_by_hand(fake_pagerduty, incident)

    pager.raise_urgency(incident)

    assert fake_pagerduty.incident(incident).urgency == "high"
    assert fake_pagerduty.requests_to("PUT", ONE)[-1].json == {
        "incident": {"type": "incident_reference", "urgency": "high"}
    }


def test_the_incident_is_retitled(fake_pagerduty: FakePagerDuty, pager: PagerDutyPager) -> None:
    incident = pager.page(make_escalation()).incident_id
    title = "[POC] Globex +1 deal ($980k ARR at risk): Batch ingest drops rows"

    pager.set_title(incident, title)
    pager.set_title(incident, title)  # a retry after a lost answer: the same title again

    assert fake_pagerduty.incident(incident).title == title
    assert fake_pagerduty.requests_to("PUT", ONE)[-1].json == {
        "incident": {"type": "incident_reference", "title": title}
    }


def test_the_dry_run_pager_reads_nothing_and_changes_nothing() -> None:
    dry = DryRunPager(PagerDutySettings())

    assert dry.incidents(["PING001"], since=datetime.now(UTC)) == []
    assert dry.incident("Q1") == IncidentStatus("Q1", None, "dry-run", "dry-run")
    assert not dry.has_note("Q1", "x")
    dry.resolve("Q1")
    dry.raise_urgency("Q1")
