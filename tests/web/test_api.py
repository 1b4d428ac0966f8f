"""The JSON API: a report in, the escalation out; repeats, conflicts and bad input answered plainly."""

from __future__ import annotations

from fastapi.testclient import TestClient

from integrator.domain.escalation import Changes, State
from tests.support import report_data
from tests.web.conftest import World
from tests.web.helpers import eventually


def test_a_report_is_stored_paged_at_once_and_answered_201_with_the_escalation(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    answer = client.post("/api/v1/escalations", json=report_data(), headers=bearer)

    assert answer.status_code == 201
    body = answer.json()
    assert answer.headers["location"] == f"/api/v1/escalations/{body['id']}"
    assert body["state"] == "paged"
    assert body["owner"]["team"] == "@acme/ingest"
    assert body["owner"]["engineer"] == "alice@acme.example"
    assert body["owner"]["line"] == 4
    assert body["pagerduty"]["incident_id"] == "P1"
    assert {e["kind"]: e["state"] for e in body["effects"]}["page"] == "done"
    assert list(world.pager.pages) == [body["id"]]


def test_the_ticket_and_the_cross_link_follow_in_the_background(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    escalation_id = client.post("/api/v1/escalations", json=report_data(), headers=bearer).json()["id"]

    def linked() -> bool:
        body = client.get(f"/api/v1/escalations/{escalation_id}", headers=bearer).json()
        return all(e["state"] == "done" for e in body["effects"])

    eventually(linked)
    body = client.get(f"/api/v1/escalations/{escalation_id}", headers=bearer).json()
    assert body["jira"]["key"] == "ING-1"
    sent = [e["kind"] for e in body["timeline"] if e["kind"] != "dry_run"]  # email: no SMTP set
    assert sent == ["reported", "paged", "ticket_filed", "linked"]
    assert list(world.tracker.links) == [("ING-1", "https://pd.example/i")]


def test_the_same_idempotency_key_returns_the_first_escalation_with_200_and_pages_once(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    report = {**report_data(), "idempotency_key": "globex-2026-11-28"}

    first = client.post("/api/v1/escalations", json=report, headers=bearer)
    again = client.post("/api/v1/escalations", json=report, headers=bearer)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert world.escalation_count() == 1
    assert world.pager.calls.count("page") == 1


def test_an_idempotency_key_reused_for_a_different_report_is_a_409_naming_the_first(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    first = client.post(
        "/api/v1/escalations", json={**report_data(), "idempotency_key": "k-1"}, headers=bearer
    ).json()
    other = {**report_data(title="Query planner crashes"), "idempotency_key": "k-1"}

    answer = client.post("/api/v1/escalations", json=other, headers=bearer)

    assert answer.status_code == 409
    assert answer.json()["error"] == "conflict"
    assert answer.json()["existing"] == first["id"]
    assert "already used for a different report" in answer.json()["message"]
    assert world.escalation_count() == 1


def test_bad_input_is_a_422_with_a_message_per_field_and_nothing_is_stored(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    report = report_data(title="", locations=[])
    report["deal"]["arr"] = "lots"
    report["reporter"]["email"] = "priya at acme"

    answer = client.post("/api/v1/escalations", json=report, headers=bearer)

    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid"
    assert set(body["fields"]) == {"deal.arr", "failure.title", "reporter.email"}
    assert body["fields"]["reporter.email"] == "is not an email address"
    assert world.escalation_count() == 0
    assert world.pager.calls == []


def test_a_report_without_location_or_trace_names_the_locations_field(
    client: TestClient, bearer: dict[str, str]
) -> None:
    answer = client.post("/api/v1/escalations", json=report_data(locations=[]), headers=bearer)

    assert answer.status_code == 422
    assert answer.json()["fields"] == {
        "failure.locations": "failure.locations or failure.stack_trace is required"
    }


def test_a_body_that_is_not_json_is_refused_with_the_same_shapes(
    client: TestClient, bearer: dict[str, str]
) -> None:
    broken = client.post(
        "/api/v1/escalations", content=b"{not json", headers={**bearer, "Content-Type": "application/json"}
    )
    as_form = client.post("/api/v1/escalations", data={"deal": "x"}, headers=bearer)

    assert broken.status_code == 422
    assert list(broken.json()["fields"]) == ["body"]
    assert as_form.status_code == 415
    assert as_form.json()["error"] == "unsupported_media_type"


def test_an_unknown_escalation_is_a_404_in_the_error_shape(
    client: TestClient, bearer: dict[str, str]
) -> None:
    answer = client.get("/api/v1/escalations/nope", headers=bearer)

    assert answer.status_code == 404
    assert answer.json() == {"error": "not_found", "message": "no escalation 'nope'", "fields": {}}


def test_open_escalations_are_listed_newest_first_without_the_fixed_ones(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    first = client.post("/api/v1/escalations", json=report_data(title="First"), headers=bearer).json()
    world.clock.advance(minutes=1)
    second = client.post("/api/v1/escalations", json=report_data(title="Second"), headers=bearer).json()
    world.services.store.apply(first["id"], now=world.clock.now(), changes=Changes(state=State.FIXED))

    open_ones = client.get("/api/v1/escalations", params={"state": "open"}, headers=bearer).json()
    fixed = client.get("/api/v1/escalations", params={"state": "fixed"}, headers=bearer).json()
    everything = client.get("/api/v1/escalations", headers=bearer).json()

    assert [e["id"] for e in open_ones["escalations"]] == [second["id"]]
    assert [e["id"] for e in fixed["escalations"]] == [first["id"]]
    assert [e["id"] for e in everything["escalations"]] == [second["id"], first["id"]]


def test_an_unknown_state_filter_is_a_422_naming_the_parameter(
    client: TestClient, bearer: dict[str, str]
) -> None:
    answer = client.get("/api/v1/escalations", params={"state": "sleeping"}, headers=bearer)

    assert answer.status_code == 422
    assert list(answer.json()["fields"]) == ["state.0"]


def test_the_owner_preview_names_the_engineer_and_the_registry_line_that_decided(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    trace = (
        "Traceback (most recent call last):\n"
        '  File "/app/services/ingest/connectors/db/pool.py", line 142, in fetch\n'
        "    conn = self._acquire()\n"
        "TimeoutError: QueuePool limit reached\n"
    )
    answer = client.post(
        "/api/v1/owners/preview", json={"stack_trace": trace, "locations": []}, headers=bearer
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["locations"] == ["services/ingest/connectors/db/pool.py"]
    assert body["owner"]["engineer"] == "bob@acme.example"
    assert body["owner"]["line"] == 6
    assert body["owner"]["rule"] == "/services/ingest/connectors/ @acme/ingest bob@acme.example"
    assert body["message"] == "Would page bob@acme.example (@acme/ingest)"
    assert world.escalation_count() == 0
    assert world.pager.calls == []


def test_the_owner_preview_asks_for_a_location_when_given_none(
    client: TestClient, bearer: dict[str, str]
) -> None:
    answer = client.post("/api/v1/owners/preview", json={}, headers=bearer)

    assert answer.json()["owner"]["team"] == "@acme/platform"  # the catalog's default owner
    assert answer.json()["locations"] == []


def test_a_mistyped_query_parameter_is_a_422_not_a_silently_wider_list(
    client: TestClient, bearer: dict[str, str]
) -> None:
    answer = client.get("/api/v1/escalations", params={"stat": "open"}, headers=bearer)

    assert answer.status_code == 422
    assert answer.json()["fields"] == {"stat": "is not a parameter of this route"}


def test_a_single_valued_query_parameter_given_twice_is_a_422_not_the_last_one_kept(
    client: TestClient, bearer: dict[str, str]
) -> None:
    twice = client.get("/api/v1/insights?team=@acme/ingest&team=@acme/query", headers=bearer)
    states = client.get("/api/v1/escalations?state=open&state=fixed", headers=bearer)

    assert twice.status_code == 422
    assert twice.json()["fields"] == {"team": "is given more than once; give it once"}
    assert states.status_code == 200  # state is documented as repeatable
