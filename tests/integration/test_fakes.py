"""The fakes of Jira and PagerDuty, driven by real `jira` and `pagerduty` clients, act like the vendors."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pagerduty
import pytest
import requests
from jira import JIRA, JIRAError

from tests.fakes import Delay, Drop, FakeJira, FakePagerDuty, Status
from tests.fakes.world import (
    ALICE,
    JIRA_API_TOKEN,
    JIRA_EMAIL,
    JIRA_PAT,
    PD_API_KEY,
    PD_FROM,
    PING001,
    WORKFLOW_WITHOUT_DONE,
)


def connect(fake: FakeJira, **auth: Any) -> JIRA:
    """jira-python as integrator configures it: no retries of its own, a timeout, `serverInfo` first."""
    options: dict[str, Any] = {"verify": str(fake.ca_file)} if fake.ca_file else {}
    auth = auth or {"basic_auth": (JIRA_EMAIL, JIRA_API_TOKEN)}
    return JIRA(server=fake.url, options=options, max_retries=0, timeout=5, get_server_info=True, **auth)


@pytest.fixture
def jira(fake_jira: FakeJira) -> Iterator[JIRA]:
    with closing(connect(fake_jira)) as client:
        yield client


@pytest.fixture
def pd(fake_pagerduty: FakePagerDuty) -> Iterator[pagerduty.RestApiV2Client]:
    client = pagerduty.RestApiV2Client(
        PD_API_KEY,
        default_from=PD_FROM,
        base_url=fake_pagerduty.url,
        verify=fake_pagerduty.client_ssl_context(),
    )
    client.sleep_timer = 0.001  # the client's own back-off starts at 3 s; the tests need not wait for it
    yield client
    client.close()


def p1_fields(label: str, project: str = "ING") -> dict[str, Any]:
    return {
        "project": {"key": project},
        "summary": "Globex POC: ingest stalls on batch upload",
        "issuetype": {"name": "Bug"},
        "priority": {"name": "Highest"},
        "labels": ["integrator", label, "poc-escalation"],
        "components": [{"name": "ingest-api"}] if project == "ING" else [],
        "duedate": "2026-11-30",
        "description": "h3. Customer proof-of-concept broken: Globex ($1.2M ARR)",
    }


def incident(key: str, service: str = PING001.id, assignee: str | None = ALICE.id) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "incident",
        "title": "Globex POC broken: ingest stalls ($1.2M ARR)",
        "service": {"id": service, "type": "service_reference"},
        "urgency": "high",
        "incident_key": key,
        "body": {"type": "incident_body", "details": "Account: Globex\nARR: $1.2M"},
        "priority": {"id": "PRI1", "type": "priority_reference"},
    }
    if assignee:
        body["assignments"] = [{"assignee": {"id": assignee, "type": "user_reference"}}]
    return {"incident": body}


# -- the contract ----------------------------------------------------------------------------------


def test_the_vendored_specs_are_loaded_so_every_request_is_validated(
    fake_jira: FakeJira, fake_pagerduty: FakePagerDuty
) -> None:
    assert fake_jira.validated
    assert fake_pagerduty.validated


def test_a_bad_request_is_caught_by_validation_and_fails_the_fixture_check() -> None:
    with FakeJira() as fake, FakePagerDuty() as pd_fake:
        with requests.Session() as session:
            session.auth = (JIRA_EMAIL, JIRA_API_TOKEN)
            issue = fake.create_issue(p1_fields("integrator-esc-raw"))
            session.post(
                f"{fake.url}/rest/api/2/issue/{issue.key}/transitions", json={"transition": {"id": 31}}
            )
            headers = {"Authorization": f"Token token={PD_API_KEY}", "From": PD_FROM}
            bad = incident("esc-raw")
            bad["incident"]["urgency"] = "critical"
            session.post(f"{pd_fake.url}/incidents", json=bad, headers=headers, verify=str(pd_fake.ca_file))
        with pytest.raises(AssertionError, match=r"31 is not of type 'string'"):
            fake.assert_no_violations()
        report = pd_fake.violation_report()
        assert "incident/urgency: 'critical' is not one of ['high', 'low']" in report
        pd_fake.take_violations()
        fake.take_violations()


# -- Jira ------------------------------------------------------------------------------------------


def test_real_jira_client_files_finds_comments_links_and_transitions(fake_jira: FakeJira, jira: JIRA) -> None:
    assert jira.deploymentType == "Cloud"

    filed = jira.create_issue(fields=p1_fields("integrator-esc-1"), prefetch=False)
    found = jira.enhanced_search_issues(
        'labels = "integrator-esc-1" ORDER BY created DESC', maxResults=1, fields=["labels"], json_result=True
    )
    jira.add_comment(filed.key, "Acknowledged by Alice in PagerDuty.")
    # jira-python first lists application links, which a non-admin may not: it warns, then links anyway.
    with pytest.warns(Warning, match="Unable to gather applicationlinks"):
        jira.add_remote_link(filed.key, {"url": "https://pd.example/i/1", "title": "Page"}, globalId="pd:1")
    jira._applicationlinks = []  # what integrator's adapter does, so no warning and no admin-only request
    jira.add_remote_link(
        filed.key, {"url": "https://pd.example/i/1", "title": "Page (acked)"}, globalId="pd:1"
    )
    offered = {t["name"]: t["id"] for t in jira.transitions(filed.key, expand="transitions.fields")}
    jira._session.post(  # as a string, as the contract says; see the next test for transition_issue
        jira._get_url(f"issue/{filed.key}/transitions"),
        data=json.dumps({"transition": {"id": offered["Done"]}}),
    )

    assert filed.key == "ING-1"
    assert [issue["key"] for issue in found["issues"]] == ["ING-1"]
    issue = fake_jira.issue("ING-1")
    assert (issue.summary, issue.priority and issue.priority.name, issue.components) == (
        "Globex POC: ingest stalls on batch upload",
        "Highest",
        ["ingest-api"],
    )
    assert [c.body for c in issue.comments] == ["Acknowledged by Alice in PagerDuty."]
    assert [(link.global_id, link.object["title"]) for link in issue.links] == [("pd:1", "Page (acked)")]
    assert offered == {"In Progress": "21", "Done": "31"}
    assert (issue.status.name, issue.resolution) == ("Done", "Done")
    assert jira.issue("ING-1").fields.status.name == "Done"
    assert [c.body for c in jira.comments("ING-1")] == ["Acknowledged by Alice in PagerDuty."]
    assert [link.globalId for link in jira.remote_links("ING-1")] == ["pd:1"]


def test_jira_python_transition_issue_sends_a_numeric_id_which_the_contract_forbids(
    fake_jira: FakeJira, jira: JIRA
) -> None:
    filed = jira.create_issue(fields=p1_fields("integrator-esc-2"), prefetch=False)

    jira.transition_issue(filed.key, "31")  # jira-python turns any numeric string into an int

    assert fake_jira.issue(filed.key).status.name == "Done"  # Jira itself takes it
    sent = fake_jira.requests_to("POST", r"/rest/api/2/issue/ING-1/transitions")[0]
    assert sent.json == {"transition": {"id": 31}, "fields": {}}
    if fake_jira.validated:
        assert ["31 is not of type 'string'" in v.message for v in fake_jira.take_violations()] == [True]


def test_jira_refuses_unknown_project_priority_and_component_in_its_error_shape(jira: JIRA) -> None:
    fields = p1_fields("integrator-esc-3") | {
        "priority": {"name": "Blocker"},
        "components": [{"name": "nope"}],
    }
    with pytest.raises(JIRAError) as refused:
        jira.create_issue(fields=fields, prefetch=False)
    with pytest.raises(JIRAError) as unknown_project:
        jira.create_issue(fields=p1_fields("integrator-esc-3", project="NOPE"), prefetch=False)

    assert refused.value.status_code == 400
    assert refused.value.response is not None
    assert unknown_project.value.response is not None
    assert refused.value.response.json() == {
        "errorMessages": [],
        "errors": {
            "priority": "Priority name 'Blocker' is not valid",
            "components": "Component name 'nope' is not valid",
        },
    }
    assert unknown_project.value.response.json()["errors"] == {"project": "valid project is required"}


def test_cloud_search_pages_with_a_next_page_token_and_the_old_search_is_gone(
    fake_jira: FakeJira, jira: JIRA
) -> None:
    for n in range(3):
        fake_jira.create_issue(p1_fields(f"integrator-esc-{n}"))

    first = jira.enhanced_search_issues("project = ING", maxResults=2, fields=["summary"], json_result=True)
    rest = jira.enhanced_search_issues(
        "project = ING",
        nextPageToken=first["nextPageToken"],
        maxResults=2,
        fields=["summary"],
        json_result=True,
    )
    ids_only = jira.enhanced_search_issues("key in (ING-1, ING-3)", fields=[], json_result=True)
    gone = requests.get(f"{fake_jira.url}/rest/api/2/search", auth=(JIRA_EMAIL, JIRA_API_TOKEN), timeout=5)

    assert [i["key"] for i in first["issues"] + rest["issues"]] == ["ING-1", "ING-2", "ING-3"]
    assert (first["isLast"], rest["isLast"], "nextPageToken" in rest) == (False, True, False)
    assert ids_only["issues"] == [{"id": "10000"}, {"id": "10002"}]  # Cloud's default fields: id only
    assert gone.status_code == 410


def test_data_center_search_pages_with_start_at_and_total(fake_jira_server: FakeJira) -> None:
    for n in range(3):
        fake_jira_server.create_issue(p1_fields(f"integrator-esc-{n}"))
    with closing(connect(fake_jira_server, token_auth=JIRA_PAT)) as client:
        page = client.search_issues(
            "project = ING AND labels = integrator", startAt=1, maxResults=2, fields="labels"
        )
        with pytest.raises(JIRAError) as outside_the_fakes_jql:
            client.search_issues("project = ING OR labels = integrator")

    assert (client.deploymentType, page.startAt, page.total) == ("Server", 1, 3)
    assert [issue.key for issue in page] == ["ING-2", "ING-3"]
    assert outside_the_fakes_jql.value.status_code == 400


def test_search_lag_hides_a_new_issue_until_reconciled_or_reindexed(fake_jira: FakeJira, jira: JIRA) -> None:
    fake_jira.search_lag = True
    filed = jira.create_issue(fields=p1_fields("integrator-esc-9"), prefetch=False)
    jql = 'labels = "integrator-esc-9"'

    hidden = jira.enhanced_search_issues(jql, fields=["labels"], json_result=True)
    reconciled = jira.enhanced_search_issues(
        jql, fields=["labels"], reconcileIssues=[int(filed.id)], json_result=True
    )
    fake_jira.reindex()
    indexed = jira.enhanced_search_issues(jql, fields=["labels"], json_result=True)

    assert [len(r["issues"]) for r in (hidden, reconciled, indexed)] == [0, 1, 1]


def test_a_human_moves_the_ticket_and_a_workflow_may_lack_a_done_transition() -> None:
    with FakeJira(workflows={"CON": WORKFLOW_WITHOUT_DONE}) as fake, closing(connect(fake)) as client:
        ticket = fake.create_issue(p1_fields("integrator-esc-4", project="CON"))
        offered = [t["name"] for t in client.transitions(ticket.key)]
        fake.set_status(ticket.key, "Done")
        done = client.enhanced_search_issues(
            "statusCategory = Done", fields=["status", "resolution"], json_result=True
        )
        fake.assert_no_violations()

    assert offered == ["In Progress"]
    assert [(i["key"], i["fields"]["resolution"]["name"]) for i in done["issues"]] == [("CON-1", "Done")]


def test_a_drop_after_apply_files_the_issue_but_the_client_sees_a_connection_error(
    fake_jira: FakeJira, jira: JIRA
) -> None:
    fake_jira.faults.add("POST", r"/rest/api/2/issue", Drop(after_apply=True))

    with pytest.raises(requests.ConnectionError):
        jira.create_issue(fields=p1_fields("integrator-esc-5"), prefetch=False)
    found = jira.enhanced_search_issues('labels = "integrator-esc-5"', fields=["labels"], json_result=True)

    assert [i.key for i in fake_jira.issues] == ["ING-1"]
    assert [i["key"] for i in found["issues"]] == ["ING-1"]


def test_wrong_credentials_get_a_401_and_jira_speaks_https_too() -> None:
    with FakeJira(tls=True) as fake:
        with (
            closing(connect(fake, basic_auth=(JIRA_EMAIL, "wrong"))) as stranger,
            pytest.raises(JIRAError) as refused,
        ):
            stranger.myself()
        with closing(connect(fake, token_auth=JIRA_PAT)) as client:
            me = client.myself()
        fake.assert_no_violations()

    assert refused.value.status_code == 401
    assert me["emailAddress"] == JIRA_EMAIL


# -- PagerDuty -------------------------------------------------------------------------------------


def test_real_pagerduty_client_finds_the_engineer_pages_adds_a_note_and_lists_by_incident_key(
    fake_pagerduty: FakePagerDuty, pd: pagerduty.RestApiV2Client
) -> None:
    alice = pd.find("users", "alice@acme.example", attribute="email")
    priorities = {p["name"]: p["id"] for p in pd.rget("/priorities")}
    page = pd.rpost("/incidents", json=incident("esc-1", assignee=alice["id"] if alice else None))
    pd.rpost(f"/incidents/{page['id']}/notes", json={"note": {"content": "Jira: ING-1"}})
    listed = pd.list_all("/incidents", params={"incident_key": "esc-1", "date_range": "all"})
    fake_pagerduty.acknowledge(page["id"], ALICE.id)
    acknowledged = pd.rget(f"/incidents/{page['id']}")

    assert alice is not None
    assert alice["id"] == ALICE.id
    assert priorities == {"P1": "PRI1", "P2": "PRI2", "P3": "PRI3", "P4": "PRI4", "P5": "PRI5"}
    assert [i["id"] for i in listed] == [page["id"]]
    assert [a["assignee"]["id"] for a in page["assignments"]] == [ALICE.id]
    assert [n.content for n in fake_pagerduty.incident(page["id"]).notes] == ["Jira: ING-1"]
    assert acknowledged["status"] == "acknowledged"
    sent = fake_pagerduty.requests_to("POST", "/incidents")[0]
    assert (sent.headers["from"], sent.headers["accept"]) == (
        PD_FROM,
        "application/vnd.pagerduty+json;version=2",
    )


def test_pagerduty_incidents_are_acknowledged_and_resolved_one_by_one_or_in_bulk(
    fake_pagerduty: FakePagerDuty, pd: pagerduty.RestApiV2Client
) -> None:
    one, two = (pd.rpost("/incidents", json=incident(key))["id"] for key in ("esc-7", "esc-8"))
    resolve = {"incident": {"type": "incident_reference", "status": "resolved"}}
    acknowledge = {"id": two, "type": "incident_reference", "status": "acknowledged"}
    resolved = pd.rput(f"/incidents/{one}", json=resolve)
    bulk = pd.put("/incidents", json={"incidents": [acknowledge]})
    again = pd.put(f"/incidents/{one}", json={"incident": acknowledge | {"id": one}})
    still_open = pd.list_all("/incidents", params={"statuses[]": ["triggered", "acknowledged"]})

    assert isinstance(resolved, dict)
    assert (resolved["status"], bulk.json()["incidents"][0]["status"]) == ("resolved", "acknowledged")
    assert again.json()["error"]["errors"] == ["Incident is already resolved"]
    assert fake_pagerduty.incident(two).details == "Account: Globex\nARR: $1.2M"
    assert [i["id"] for i in still_open] == [two]
    assert [user for user, _ in fake_pagerduty.incident(two).acknowledgements] == ["PINTEG1"]


def test_pagerduty_refuses_a_second_open_incident_with_the_same_key_and_an_unknown_from(
    fake_pagerduty: FakePagerDuty, pd: pagerduty.RestApiV2Client
) -> None:
    first = pd.post("/incidents", json=incident("esc-2"))
    second = pd.post("/incidents", json=incident("esc-2"))
    stranger = pd.post("/incidents", json=incident("esc-3"), headers={"From": "mallory@evil.example"})
    two_assignees = incident("esc-4")
    two_assignees["incident"]["assignments"] *= 2
    crowded = pd.post("/incidents", json=two_assignees)
    fake_pagerduty.resolve(first.json()["incident"]["id"])
    after_resolution = pd.post("/incidents", json=incident("esc-2"))

    assert [r.status_code for r in (first, second, stranger, crowded, after_resolution)] == [
        201,
        400,
        400,
        400,
        201,
    ]
    assert second.json()["error"]["errors"] == [
        "Open incident with matching dedup key already exists on this service"
    ]


def test_pagerduty_429_has_ratelimit_headers_and_no_retry_after_and_the_client_retries_it_forever(
    fake_pagerduty: FakePagerDuty, pd: pagerduty.RestApiV2Client
) -> None:
    fake_pagerduty.rate_limit(times=5, reset_seconds=7)
    patient = pd.get("/priorities")  # the client's default: retry a 429 without limit
    pd.retry = {429: 1}  # retry once, then hand the 429 back
    fake_pagerduty.rate_limit(times=2, reset_seconds=7)
    limited = pd.get("/priorities")

    assert patient.status_code == 200
    assert len(fake_pagerduty.requests_to("GET", "/priorities")) == (5 + 1) + 2
    assert limited.status_code == 429
    assert (limited.headers["ratelimit-reset"], "retry-after" in limited.headers) == ("7", False)


def test_the_pagerduty_client_posts_again_after_a_dropped_connection(
    fake_pagerduty: FakePagerDuty, pd: pagerduty.RestApiV2Client
) -> None:
    fake_pagerduty.faults.add("POST", "/incidents", Drop(after_apply=True))
    reposted = pd.post("/incidents", json=incident("esc-5"))  # its network retry re-sends the POST
    pd.max_network_attempts = 0
    fake_pagerduty.faults.add("POST", "/incidents", Drop(after_apply=False))
    with pytest.raises(pagerduty.Error):
        pd.post("/incidents", json=incident("esc-6"))

    assert reposted.status_code == 400  # the incident_key is what stops a second page
    assert [i.incident_key for i in fake_pagerduty.incidents] == ["esc-5"]


def test_a_status_fault_lasts_while_its_block_runs(
    fake_pagerduty: FakePagerDuty, pd: pagerduty.RestApiV2Client
) -> None:
    with fake_pagerduty.faults.always("*", ".*", Status(503, body=b"upstream down")):
        during = [pd.get("/priorities").status_code for _ in range(3)]
    after = pd.get("/priorities").status_code

    assert (during, after) == ([503, 503, 503], 200)


def test_a_delay_is_cut_short_when_the_server_stops() -> None:
    outcome: list[BaseException | int] = []
    fake = FakeJira().start()
    fake.faults.add("GET", r"/rest/api/2/serverInfo", Delay(60))

    def ask() -> None:
        try:
            outcome.append(requests.get(f"{fake.url}/rest/api/2/serverInfo", timeout=30).status_code)
        except requests.RequestException as error:
            outcome.append(error)

    asking = threading.Thread(target=ask)
    asking.start()
    deadline = time.monotonic() + 5
    while not fake.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    fake.stop()
    asking.join(timeout=10)

    assert time.monotonic() - started < 5
    assert len(outcome) == 1
    assert isinstance(outcome[0], requests.ConnectionError)
