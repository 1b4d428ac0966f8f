"""Accounts over the JSON API: what was reported once is offered back, by prefix or by name."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support import report_data


def report(account: str, **deal: Any) -> dict[str, Any]:
    data = report_data()
    data["deal"] = {**data["deal"], "account": account, **deal}
    return data


def test_a_reported_account_is_offered_back_by_prefix_in_any_case_ordered_by_name(
    client: TestClient, bearer: dict[str, str]
) -> None:
    for name in ("Initech", "Globex Japan", "Globex"):
        assert client.post("/api/v1/escalations", json=report(name), headers=bearer).status_code == 201

    found = client.get("/api/v1/accounts", params={"prefix": "glo"}, headers=bearer)

    assert found.status_code == 200
    assert [a["name"] for a in found.json()["accounts"]] == ["Globex", "Globex Japan"]
    assert [a["name"] for a in client.get("/api/v1/accounts", headers=bearer).json()["accounts"]] == [
        "Globex",
        "Globex Japan",
        "Initech",
    ]
    limited = client.get("/api/v1/accounts", params={"prefix": "g", "limit": 1}, headers=bearer)
    assert [a["name"] for a in limited.json()["accounts"]] == ["Globex"]


def test_one_account_reads_back_as_its_latest_report_left_it(
    client: TestClient, bearer: dict[str, str]
) -> None:
    client.post(
        "/api/v1/escalations", json=report("Globex", arr="€1.2M", poc_ends_on="2026-12-18"), headers=bearer
    )
    latest = client.post("/api/v1/escalations", json=report("Globex", arr="EUR 900k"), headers=bearer).json()

    answer = client.get("/api/v1/accounts/globex", headers=bearer)

    assert answer.status_code == 200
    assert answer.json() == {
        "name": "Globex",
        "arr": "900000.00",
        "currency": "EUR",
        "poc_ends_on": "2026-12-18",
        "economic_buyer": {"name": "Hank Scorpio", "email": "hank@globex.example"},
        "executive_sponsor": {"name": "Dana Whitfield", "email": "dana@acme.example"},
        "account_executive": None,
        "escalation_id": latest["id"],
        "updated_at": answer.json()["updated_at"],
    }


def test_an_unknown_account_is_404_naming_it(client: TestClient, bearer: dict[str, str]) -> None:
    answer = client.get("/api/v1/accounts/Umbrella Corp", headers=bearer)

    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"
    assert "'Umbrella Corp'" in answer.json()["message"]


def test_accounts_need_the_same_token_as_the_rest_of_the_api(client: TestClient) -> None:
    assert client.get("/api/v1/accounts").status_code == 401
    assert client.get("/api/v1/accounts/Globex").status_code == 401


def test_a_bad_lookup_is_refused_naming_the_parameter(client: TestClient, bearer: dict[str, str]) -> None:
    assert client.get("/api/v1/accounts", params={"limit": 0}, headers=bearer).status_code == 422
    unknown = client.get("/api/v1/accounts", params={"prefx": "glo"}, headers=bearer)
    assert unknown.status_code == 422
    assert unknown.json()["fields"] == {"prefx": "is not a parameter of this route"}


def test_the_accounts_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert set(paths["/api/v1/accounts"]) == {"get"}
    assert set(paths["/api/v1/accounts/{name}"]) == {"get"}


def test_arr_is_read_the_same_way_as_in_the_form_with_the_same_messages(
    client: TestClient, bearer: dict[str, str]
) -> None:
    for typed, stored in (("480000", "480000.00"), ("480,000", "480000.00"), ("$500k", "500000.00")):
        body = client.post("/api/v1/escalations", json=report("Globex", arr=typed), headers=bearer).json()
        assert body["arr"] == stored
    for typed, currency in (("1.2M", "USD"), ("USD 480000", "USD"), ("480000 EUR", "EUR")):
        body = client.post("/api/v1/escalations", json=report("Globex", arr=typed), headers=bearer).json()
        assert body["currency"] == currency

    lots = client.post("/api/v1/escalations", json=report("Globex", arr="lots"), headers=bearer)
    other = client.post(
        "/api/v1/escalations", json=report("Globex", arr="€5k", currency="USD"), headers=bearer
    )

    assert lots.json()["fields"] == {
        "deal.arr": "'lots' is not an amount; write it like 480000, 480,000, $500k, 1.2M or USD 480000"
    }
    assert other.json()["fields"] == {"deal.arr": "is in EUR but the currency is USD"}


def test_api_messages_are_plain_and_name_the_json_path(client: TestClient, bearer: dict[str, str]) -> None:
    data = report_data()
    data["reporter"]["email"] = 5
    del data["deal"]["account"]

    answer = client.post("/api/v1/escalations", json=data, headers=bearer)

    assert answer.status_code == 422
    assert answer.json()["fields"] == {
        "deal.account": "is required",
        "reporter.email": "must be text",
    }
