"""The Jira adapter driving the real `jira` client against the fake Jira (Cloud and Data Center, loopback)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from integrator.adapters.dryrun import DryRunTracker
from integrator.adapters.jira.client import JiraTracker
from integrator.adapters.jira.markup import escape_wiki, jql_string, unescape_wiki
from integrator.application.retrying import RetryPolicy
from integrator.domain.escalation import IssueStatus, Ticket
from integrator.errors import Rejected, Unavailable
from integrator.settings import JiraSettings
from tests.builders import make_escalation, make_owner, make_report, make_team
from tests.fakes import Delay, Drop, FakeJira, Status
from tests.fakes.world import JIRA_API_TOKEN, JIRA_EMAIL, JIRA_PAT, WORKFLOW_WITHOUT_DONE, Transition

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


def test_a_comment_is_escaped_so_that_it_shows_as_written(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    ticket = tracker.file(make_escalation())

    tracker.comment(ticket.key, "Paged *alice* at 15:00 UTC")

    assert [c.body for c in fake_jira.issue(ticket.key).comments] == ["Paged \\*alice\\* at 15:00 UTC"]


def test_the_summary_is_rewritten_and_a_deals_label_added_in_one_edit(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    ticket = tracker.file(make_escalation())
    summary = "[POC] Globex +1 deal ($980k ARR at risk): Batch ingest drops rows"

    tracker.set_summary(ticket.key, summary, label="deal-initech")
    tracker.set_summary(ticket.key, summary)  # an unlink's rewrite: the summary alone

    issue = fake_jira.issue(ticket.key)
    assert issue.summary == summary
    assert issue.labels == ["integrator", "integrator-e5c0ffee1234", "poc-escalation", "deal-initech"]
    edits = [r.json for r in fake_jira.requests_to("PUT", rf"/rest/api/2/issue/{ticket.key}")]
    assert edits == [
        {"fields": {"summary": summary}, "update": {"labels": [{"add": "deal-initech"}]}},
        {"fields": {"summary": summary}},
    ]


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


# -- the status sync: comments, statuses, transitions by category --------------------------------

SEARCH_JQL = r"/rest/api/2/search/jql"
SEARCH = r"/rest/api/2/search"
TRANSITIONS = r"/rest/api/2/issue/[^/]+/transitions"


def file_issues(fake: FakeJira, count: int, project: str = "ING") -> list[str]:
    """`count` issues filed straight into the fake, as people would have; their keys in order."""
    fields = {"project": {"key": project}, "summary": "A P1", "issuetype": {"name": "Bug"}}
    return [fake.create_issue(fields).key for _ in range(count)]


@pytest.fixture(params=["Cloud", "Data Center"])
def jira_of_either_kind(
    request: pytest.FixtureRequest, fake_jira: FakeJira, fake_jira_server: FakeJira
) -> Iterator[tuple[FakeJira, JiraTracker]]:
    """The fake Jira Cloud (API token) and the fake Data Center (PAT), each with its tracker."""
    if request.param == "Cloud":
        fake, settings = fake_jira, cloud_settings(fake_jira.url)
    else:
        fake = fake_jira_server
        settings = JiraSettings(url=fake.url, pat=SecretStr(JIRA_PAT), timeout_seconds=5.0)
    tracker = JiraTracker(settings)
    yield fake, tracker
    tracker.close()


def searches(fake: FakeJira) -> list[Any]:
    return fake.requests_to("GET", SEARCH_JQL if fake.cloud else SEARCH)


def test_statuses_of_250_issues_take_three_searches_of_100_keys(
    jira_of_either_kind: tuple[FakeJira, JiraTracker],
) -> None:
    fake, tracker = jira_of_either_kind
    keys = file_issues(fake, 250)
    fake.set_status("ING-7", "In Progress")
    fake.set_status("ING-201", "Done")

    found = {status.key: status for status in tracker.statuses(keys)}

    assert set(found) == set(keys)
    assert found["ING-1"] == IssueStatus("ING-1", "To Do", "new")
    assert found["ING-7"] == IssueStatus("ING-7", "In Progress", "indeterminate")
    assert found["ING-201"] == IssueStatus("ING-201", "Done", "done", resolution="Done")
    sent = searches(fake)
    assert len(sent) == 3
    assert [s.param("jql").count('"ING-') for s in sent] == [100, 100, 50]
    assert sent[0].param("jql").startswith('key in ("ING-1", "ING-2", ')
    assert all(
        s.params("fields") == ["status", "resolution"] and s.param("maxResults") == "100" for s in sent
    )
    unwanted = SEARCH if fake.cloud else SEARCH_JQL
    assert fake.requests_to("GET", unwanted) == []


def test_a_batch_jira_answers_in_smaller_pages_is_read_to_its_end(
    jira_of_either_kind: tuple[FakeJira, JiraTracker],
) -> None:
    fake, tracker = jira_of_either_kind
    keys = file_issues(fake, 100)
    fake.page_limit = 40  # Jira may give fewer issues than maxResults asks for

    found = tracker.statuses(keys)

    assert [s.key for s in found] == keys
    sent = searches(fake)
    assert len(sent) == 3
    if fake.cloud:
        assert [s.param("nextPageToken") is None for s in sent] == [True, False, False]
    else:
        assert [s.param("startAt") for s in sent] == ["0", "40", "80"]


def test_a_key_jira_does_not_know_leaves_the_rest_of_its_batch_synced(
    jira_of_either_kind: tuple[FakeJira, JiraTracker],
) -> None:
    fake, tracker = jira_of_either_kind
    file_issues(fake, 2)

    found = tracker.statuses(["ING-1", "ING-404", "NOPE-1", "ING-2"])

    assert [s.key for s in found] == ["ING-1", "ING-2"]
    sent = searches(fake)
    if fake.cloud:  # Cloud refuses the query naming them; it is asked again without them
        assert [s.param("jql") for s in sent] == [
            'key in ("ING-1", "ING-404", "NOPE-1", "ING-2")',
            'key in ("ING-1", "ING-2")',
        ]
    else:  # Data Center is asked to warn instead of refusing
        assert len(sent) == 1
        assert sent[0].param("validateQuery") == "False"


def test_a_batch_of_only_unknown_keys_finds_nothing(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    assert tracker.statuses(["ING-404", "ING-405"]) == []
    assert tracker.statuses([]) == []
    assert len(fake_jira.requests_to("GET", SEARCH_JQL)) == 1


def test_a_key_cannot_change_the_status_query(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    file_issues(fake_jira, 2)

    found = tracker.statuses(['ING-1") OR project = ING OR key in ("ING-2', "ING-1"])

    assert [s.key for s in found] == ["ING-1"]
    first = fake_jira.requests_to("GET", SEARCH_JQL)[0].param("jql")
    assert first == 'key in ("ING-1\\") OR project = ING OR key in (\\"ING-2", "ING-1")'


def test_a_search_refused_for_another_reason_is_rejected(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    file_issues(fake_jira, 1)
    refusal = b'{"errorMessages": ["Field \'key\' does not exist or you do not have permission."]}'
    fake_jira.faults.add("GET", SEARCH_JQL, Status(400, {"Content-Type": "application/json"}, refusal))

    with pytest.raises(Rejected, match="does not exist or you do not have permission"):
        tracker.statuses(["ING-1"])


def test_a_rate_limited_status_search_is_unavailable_with_jiras_wait(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    keys = file_issues(fake_jira, 1)
    fake_jira.faults.add("GET", SEARCH_JQL, Status(429, {"Retry-After": "7"}))

    with pytest.raises(Unavailable, match="429") as raised:
        tracker.statuses(keys)

    assert raised.value.retry_after == 7.0
    assert len(fake_jira.requests_to("GET", SEARCH_JQL)) == 1  # the client retried nothing


def test_a_slow_search_times_out_as_unavailable(fake_jira: FakeJira, connect: Connect) -> None:
    keys = file_issues(fake_jira, 1)
    fake_jira.faults.add("GET", SEARCH_JQL, Delay(3))

    with pytest.raises(Unavailable):
        connect(timeout_seconds=0.3).statuses(keys)


def test_one_status_is_one_get_of_status_and_resolution(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    file_issues(fake_jira, 1)
    fake_jira.set_status("ING-1", "Done")

    status = tracker.status("ING-1")

    assert status == IssueStatus("ING-1", "Done", "done", resolution="Done")
    (read,) = fake_jira.requests_to("GET", r"/rest/api/2/issue/ING-1")
    assert read.param("fields") == "status,resolution"


def test_the_status_of_an_issue_jira_does_not_know_is_rejected(tracker: JiraTracker) -> None:
    with pytest.raises(Rejected, match="404"):
        tracker.status("ING-404")


def test_the_status_of_a_jira_answering_503_is_unavailable(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    file_issues(fake_jira, 1)
    fake_jira.faults.add("GET", r"/rest/api/2/issue/ING-1", Status(503))

    with pytest.raises(Unavailable, match="503"):
        tracker.status("ING-1")


def test_moves_an_issue_by_the_transition_into_the_category_sending_its_id_as_a_string(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    file_issues(fake_jira, 1)

    moved = tracker.transition_to("ING-1", "indeterminate")

    assert moved == IssueStatus("ING-1", "In Progress", "indeterminate")
    assert fake_jira.issue("ING-1").status.name == "In Progress"
    (posted,) = fake_jira.requests_to("POST", TRANSITIONS)
    assert posted.json == {"transition": {"id": "21"}}


def test_the_transition_is_chosen_by_its_target_category_never_by_its_name(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    fake_jira.workflows["ING"] = (
        Transition("11", "Reopen", "To Do"),
        Transition("51", "Done", "In Progress"),  # named "Done", but leads to an In Progress status
        Transition("61", "Ship it", "Done"),
    )
    file_issues(fake_jira, 1)

    moved = tracker.transition_to("ING-1", "done")

    assert moved == IssueStatus("ING-1", "Done", "done", resolution="Done")
    assert [r.json for r in fake_jira.requests_to("POST", TRANSITIONS)] == [{"transition": {"id": "61"}}]


def test_an_issue_already_in_the_category_is_not_moved(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    file_issues(fake_jira, 1)
    fake_jira.set_status("ING-1", "Done")

    status = tracker.transition_to("ING-1", "done")

    assert status.category == "done"
    assert fake_jira.requests_to("*", TRANSITIONS) == []


def test_a_workflow_without_a_way_into_the_category_is_rejected_naming_project_issue_and_status(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    fake_jira.workflows["ING"] = WORKFLOW_WITHOUT_DONE
    file_issues(fake_jira, 1)

    with pytest.raises(Rejected) as raised:
        tracker.transition_to("ING-1", "done")

    assert (
        raised.value.message
        == "ING-1: project ING's workflow has no transition from 'To Do' to a Done status"
    )
    assert fake_jira.requests_to("POST", TRANSITIONS) == []
    assert fake_jira.issue("ING-1").status.name == "To Do"


def test_a_transition_refused_with_503_is_unavailable(fake_jira: FakeJira, tracker: JiraTracker) -> None:
    file_issues(fake_jira, 1)
    fake_jira.faults.add("POST", TRANSITIONS, Status(503))

    with pytest.raises(Unavailable, match="503"):
        tracker.transition_to("ING-1", "done")

    assert fake_jira.issue("ING-1").status.name == "To Do"


def test_a_transition_jira_refuses_is_rejected_with_its_reason(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    file_issues(fake_jira, 1)
    refusal = b'{"errorMessages": [], "errors": {"resolution": "Resolution is required."}}'
    fake_jira.faults.add("POST", TRANSITIONS, Status(400, {"Content-Type": "application/json"}, refusal))

    with pytest.raises(Rejected, match="resolution: Resolution is required"):
        tracker.transition_to("ING-1", "done")


def test_data_center_moves_by_category_too(fake_jira_server: FakeJira) -> None:
    file_issues(fake_jira_server, 1)
    tracker = JiraTracker(JiraSettings(url=fake_jira_server.url, pat=SecretStr(JIRA_PAT), timeout_seconds=5))
    try:
        moved = tracker.transition_to("ING-1", "done")
    finally:
        tracker.close()

    assert moved.category == "done"
    assert fake_jira_server.issue("ING-1").status.name == "Done"


def test_a_comment_is_found_again_after_a_lost_reply_as_it_was_posted(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    file_issues(fake_jira, 1)
    text = "Acknowledged in PagerDuty by Alice Moreau at 2026-11-28 15:05 UTC [x|y] *ok*"

    assert not tracker.has_comment("ING-1", text)
    tracker.comment("ING-1", text)

    assert tracker.has_comment("ING-1", text)
    assert not tracker.has_comment("ING-1", "Acknowledged in PagerDuty by Bob Nguyen")


def test_a_comment_jira_shows_back_with_other_escapes_still_counts(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    file_issues(fake_jira, 1)
    # Jira Cloud keeps comments in its own format and renders them back to wiki markup its own way.
    fake_jira.add_comment("ING-1", "Acknowledged by Alice at 2026-11-28 15:05 UTC \\(R&D\\)\r\n")

    assert tracker.has_comment("ING-1", "Acknowledged by Alice at 2026-11-28 15:05 UTC (R&D)")


def test_looking_for_a_comment_reads_every_page_of_comments(
    fake_jira: FakeJira, tracker: JiraTracker
) -> None:
    file_issues(fake_jira, 1)
    for n in range(149):
        fake_jira.add_comment("ING-1", f"comment {n}")
    tracker.comment("ING-1", "the last one")

    assert tracker.has_comment("ING-1", "the last one")
    reads = fake_jira.requests_to("GET", r"/rest/api/2/issue/ING-1/comment")
    assert [r.param("startAt") for r in reads] == ["0", "100"]


def test_unescaping_wiki_markup_gives_back_the_text_escaped() -> None:
    for text in ("C:\\app\\x.py \\\\ R&D (y) :D", "h1. Title\n  bq. quote\n# one", "&#92; &amp; *b* {x}"):
        assert unescape_wiki(escape_wiki(text)) == text


def test_the_dry_run_tracker_reads_nothing_and_moves_nothing() -> None:
    dry = DryRunTracker(JiraSettings())

    assert dry.statuses(["ING-1"]) == []
    assert dry.status("ING-1") == IssueStatus("ING-1", "dry-run", "dry-run")
    assert dry.transition_to("ING-1", "done") == IssueStatus("ING-1", "dry-run", "dry-run")
    assert not dry.has_comment("ING-1", "x")
