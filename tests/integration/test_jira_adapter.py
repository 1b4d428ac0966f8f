"""The Jira adapter driving the real `jira` client against the fake Jira (Cloud and Data Center, loopback)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from integrator.adapters.dryrun import DryRunTracker
from integrator.adapters.jira import JiraTracker, escape_wiki, jql_string
from integrator.errors import Rejected, Unavailable
from integrator.model import Ticket
from integrator.retrying import RetryPolicy
from integrator.settings import JiraSettings
from tests.builders import make_escalation, make_owner, make_report, make_team
from tests.fakes import Delay, Drop, FakeJira, Status
from tests.fakes.world import JIRA_API_TOKEN, JIRA_EMAIL, JIRA_PAT

Connect = Callable[..., JiraTracker]
CREATE = r"/rest/api/2/issue"


def cloud_settings(url: str, **overrides: object) -> JiraSettings:
    values: dict[str, object] = {
        "url": url,
        "email": JIRA_EMAIL,
        "api_token": SecretStr(JIRA_API_TOKEN),
        "timeout_seconds": 5.0,
    }
    return JiraSettings.model_validate({**values, **overrides})


@pytest.fixture
def connect(fake_jira: FakeJira) -> Iterator[Connect]:
    """Build trackers for the fake Jira Cloud; every one built is closed after the test."""
    built: list[JiraTracker] = []

    def build(**overrides: object) -> JiraTracker:
        tracker = JiraTracker(cloud_settings(fake_jira.url, **overrides))
        built.append(tracker)
        return tracker

    yield build
    for tracker in built:
        tracker.close()


@pytest.fixture
def tracker(connect: Connect) -> JiraTracker:
    return connect()


def created_fields(fake: FakeJira) -> dict[str, Any]:
    """The fields of the first `POST /rest/api/2/issue` the fake saw."""
    body = fake.requests_to("POST", CREATE)[0].json
    assert isinstance(body, dict)
    fields: dict[str, Any] = body["fields"]
    return fields


def test_files_one_p1_with_the_teams_project_component_priority_labels_and_fix_date(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    escalation = make_escalation()

    ticket = tracker.file(escalation)

    assert ticket == Ticket(key="ING-1", url=f"{fake_jira.url}/browse/ING-1")
    issue = fake_jira.issue("ING-1")
    assert issue.summary == "[POC] Globex ($480k ARR): Batch ingest drops rows"
    assert issue.issue_type.name == "Bug"
    assert issue.priority is not None
    assert issue.priority.name == "Highest"
    assert issue.components == ["ingest-api"]
    assert issue.duedate == "2026-11-30"  # 48 hours after 2026-11-28 15:00 UTC
    assert issue.labels == ["integrator", "integrator-e5c0ffee1234", "poc-escalation"]
    assert len(fake_jira.issues) == 1


def test_filing_is_one_request_after_the_client_learns_the_deployment(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    tracker.file(make_escalation(id="e1"))
    tracker.file(make_escalation(id="e2"))

    assert [(r.method, r.path) for r in fake_jira.requests] == [
        ("GET", "/rest/api/2/serverInfo"),
        ("POST", CREATE),
        ("POST", CREATE),
    ]


def test_the_description_carries_the_deal_the_failure_the_owner_and_the_clocks(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    escalation = make_escalation()

    tracker.file(escalation)

    description = fake_jira.issue("ING-1").description or ""
    for expected in (
        "*Account:* Globex",
        "*ARR at stake:* 480,000 USD",
        "*POC ends:* 2026\\-12\\-05",
        "*Economic buyer:* Hank Scorpio <hank@globex.example>",
        "*Executive sponsor:* Dana Whitfield <dana@acme.example>",
        "*Account executive:* Sam Carter <sam@acme.example>",
        "*Success criterion violated:* MSP\\-3: zero data loss",
        "*Observed:* 1.2% of rows missing after the 02:00 batch",
        "*Locations:* services/ingest/api/batch.py",
        "*Why this owner:* 'services/ingest/api/batch.py' matches line 3",
        "*Reported by:* Priya Natarajan <priya@acme.example>",
        "*RCA promised by:* 2026\\-11\\-28 17:00 UTC",
        "*Fix due:* 2026\\-11\\-30 15:00 UTC",
        f"*Escalation:* [{escalation.url}]",
    ):
        assert expected in description


def test_text_a_person_typed_shows_literally_and_the_trace_cannot_leave_its_noformat_block(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    trace = 'Traceback (most recent call last):\n  File "/app/x.py", line 1\n{noformat}\nh1. *pwned* [x|http://evil]\n'
    report = make_report(failure={"title": "x {code} [link|http://evil] *bold*", "stack_trace": trace})

    tracker.file(make_escalation(report=report))

    description = fake_jira.issue("ING-1").description or ""
    assert "*Failure:* x \\{code\\} \\[link\\|http://evil\\] \\*bold\\*" in description
    assert description.count("{noformat}") == 2
    block = description.split("{noformat}")[1]
    assert "h1. *pwned* [x|http://evil]" in block  # verbatim inside the block, where nothing renders
    assert "{\u200bnoformat}" in block


def test_a_stack_trace_too_long_for_jira_is_cut_in_the_middle(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    trace = "Traceback (most recent call last):\n" + "  frame\n" * 20_000 + "ValueError: the real cause\n"

    tracker.file(make_escalation(report=make_report(failure={"stack_trace": trace})))

    description = fake_jira.issue("ING-1").description or ""
    assert len(description) <= 32_000
    assert "Traceback (most recent call last):" in description
    assert "ValueError: the real cause" in description
    assert "characters left out" in description


def test_escape_wiki_neutralises_every_kind_of_markup() -> None:
    assert escape_wiki("*b* _i_ -s- +u+ ^sup^ ~sub~ ??cite??") == (
        "\\*b\\* \\_i\\_ \\-s\\- \\+u\\+ \\^sup\\^ \\~sub\\~ \\?\\?cite\\?\\?"
    )
    assert escape_wiki("{{mono}} {color:red}x{color} [~alice] !img.png! |a|b|") == (
        "\\{\\{mono\\}\\} \\{color:red\\}x\\{color\\} \\[\\~alice\\] \\!img.png\\! \\|a\\|b\\|"
    )
    assert escape_wiki("h1. Title\n  bq. quote\n# one\n* two\n----") == (
        "&#104;1. Title\n  &#98;q. quote\n\\# one\n\\* two\n\\-\\-\\-\\-"
    )
    assert (
        escape_wiki("C:\\app\\x.py \\\\ R&D (y) :D")
        == "C:&#92;app&#92;x.py &#92;&#92; R&amp;D \\(y\\) &#58;D"
    )


def test_jql_strings_are_quoted_with_quotes_and_backslashes_escaped() -> None:
    assert jql_string('integrator-a"b\\c') == '"integrator-a\\"b\\\\c"'


def test_an_unavailable_jira_is_reported_as_unavailable_and_not_retried_by_the_client(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    fake_jira.faults.add("POST", CREATE, Status(503))

    with pytest.raises(Unavailable, match="503") as raised:
        tracker.file(make_escalation())

    assert not raised.value.uncertain
    assert len(fake_jira.requests_to("POST", CREATE)) == 1
    assert fake_jira.issues == []


def test_a_lost_answer_to_a_create_is_uncertain_and_find_then_returns_the_ticket(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    escalation = make_escalation()
    fake_jira.faults.add("POST", CREATE, Drop(after_apply=True))

    with pytest.raises(Unavailable) as raised:
        tracker.file(escalation)

    assert raised.value.uncertain
    assert tracker.find(escalation) == Ticket(key="ING-1", url=f"{fake_jira.url}/browse/ING-1")


def test_retrying_after_a_lost_answer_files_no_second_ticket(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    escalation = make_escalation()
    fake_jira.faults.add("POST", CREATE, Drop(after_apply=True))

    def file_once(attempt: int) -> Ticket:  # as the dispatcher does: look before re-creating
        return (tracker.find(escalation) if attempt > 1 else None) or tracker.file(escalation)

    ticket = RetryPolicy(sleep=lambda seconds: None).call(file_once)

    assert ticket.key == "ING-1"
    assert [i.key for i in fake_jira.issues] == ["ING-1"]


def test_a_slow_jira_times_out_as_uncertain(fake_jira: FakeJira, connect: Connect) -> None:
    fake_jira.faults.add("POST", CREATE, Delay(3))

    with pytest.raises(Unavailable) as raised:
        connect(timeout_seconds=0.3).file(make_escalation())

    assert raised.value.uncertain


def test_an_unreachable_jira_is_unavailable_and_certainly_not_filed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tracker = JiraTracker(cloud_settings(f"http://127.0.0.1:{port}"))

    with pytest.raises(Unavailable, match="serverInfo") as raised:
        tracker.file(make_escalation())

    assert not raised.value.uncertain


def test_a_rate_limit_is_waited_out_as_jira_says(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    fake_jira.faults.add("POST", CREATE, Status(429, {"Retry-After": "3"}))
    sleeps: list[float] = []

    ticket = RetryPolicy(sleep=sleeps.append).call(lambda attempt: tracker.file(make_escalation()))

    assert sleeps == [3.0]
    assert ticket.key == "ING-1"
    assert len(fake_jira.requests_to("POST", CREATE)) == 2
    assert len(fake_jira.issues) == 1


def test_an_unknown_project_is_rejected_naming_the_field(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    escalation = make_escalation(owner=make_owner(team=make_team(jira_project="NOPE", jira_component=None)))

    with pytest.raises(Rejected, match="project: valid project is required"):
        tracker.file(escalation)


def test_a_priority_jira_does_not_have_is_rejected_naming_it(fake_jira: FakeJira, connect: Connect) -> None:
    with pytest.raises(Rejected, match="priority: Priority name 'P0' is not valid"):
        connect(priority="P0").file(make_escalation())


def test_wrong_credentials_are_rejected(fake_jira: FakeJira, connect: Connect) -> None:
    with pytest.raises(Rejected, match="401"):
        connect(api_token=SecretStr("wrong")).file(make_escalation())


def test_repeating_a_remote_link_keeps_one_link(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    ticket = tracker.file(make_escalation())
    incident = "https://acme-data.pagerduty.com/incidents/Q0001ACMEINC"

    tracker.link(ticket.key, url=incident, title="PagerDuty incident Q0001ACMEINC")
    tracker.link(ticket.key, url=incident, title="PagerDuty incident Q0001ACMEINC")

    links = fake_jira.issue(ticket.key).links
    assert [link.object for link in links] == [{"url": incident, "title": "PagerDuty incident Q0001ACMEINC"}]
    assert fake_jira.requests_to("GET", "/rest/applinks/.*") == []


def test_a_comment_is_added_as_written(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    ticket = tracker.file(make_escalation())

    tracker.comment(ticket.key, "Paged *alice* at 15:00 UTC")

    assert [c.body for c in fake_jira.issue(ticket.key).comments] == ["Paged *alice* at 15:00 UTC"]


def test_cloud_finds_the_ticket_by_label_with_search_jql(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    escalation = make_escalation()
    tracker.file(escalation)

    assert tracker.find(escalation) == Ticket(key="ING-1", url=f"{fake_jira.url}/browse/ING-1")
    assert tracker.find(make_escalation(id="another")) is None

    searches = fake_jira.requests_to("GET", "/rest/api/2/search/jql")
    assert [s.param("jql") for s in searches] == [
        'labels = "integrator-e5c0ffee1234"',
        'labels = "integrator-another"',
    ]
    assert fake_jira.requests_to("GET", "/rest/api/2/search") == []


def test_data_center_files_with_a_pat_and_finds_with_search(fake_jira_server: FakeJira) -> None:
    settings = JiraSettings(url=fake_jira_server.url, pat=SecretStr(JIRA_PAT), timeout_seconds=5.0)
    tracker = JiraTracker(settings)
    escalation = make_escalation()
    try:
        ticket = tracker.file(escalation)
        found = tracker.find(escalation)
    finally:
        tracker.close()

    assert found == ticket
    assert fake_jira_server.requests_to("POST", CREATE)[0].headers["authorization"] == f"Bearer {JIRA_PAT}"
    assert len(fake_jira_server.requests_to("GET", "/rest/api/2/search")) == 1
    assert fake_jira_server.requests_to("GET", "/rest/api/2/search/jql") == []


def test_the_dry_run_plan_is_exactly_the_fields_filed(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    escalation = make_escalation()
    plan = DryRunTracker(JiraSettings()).plan(escalation)

    tracker.file(escalation)

    assert created_fields(fake_jira) == plan
    assert tracker.plan(escalation) == plan
    assert DryRunTracker(JiraSettings()).file(escalation) == Ticket(key="DRY-RUN", url="")
