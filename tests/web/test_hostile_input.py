"""The review's hostile inputs through the API, the form, the preview and the CLI: refused, never a 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from integrator.cli.app import app as cli
from integrator.domain.report import latest
from tests.support import report_data, write_config
from tests.web.conftest import World
from tests.web.helpers import csrf_token, field_error, field_value, form_fields, hidden

HUNDRED_THOUSAND_DEEP = "[" * 100_000 + "]" * 100_000


def post_report(client: TestClient, bearer: dict[str, str], body: str) -> dict[str, object]:
    answer = client.post(
        "/api/v1/escalations", content=body, headers={**bearer, "Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    fields: dict[str, object] = answer.json()["fields"]
    return fields


def test_a_forty_thousand_dot_reporter_email_is_a_422_naming_the_field(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    report = report_data()
    report["reporter"]["email"] = "a@" + "." * 40000 + "@"

    fields = post_report(client, bearer, json.dumps(report))

    assert fields == {"reporter.email": "is longer than 254 characters, the most an email address can have"}
    assert world.escalation_count() == 0
    assert world.pager.calls == []


def test_two_recipients_in_the_sponsors_email_are_refused(client: TestClient, bearer: dict[str, str]) -> None:
    report = report_data()
    report["deal"]["executive_sponsor"]["email"] = "root,sponsor@acme.example"

    fields = post_report(client, bearer, json.dumps(report))

    assert fields == {"deal.executive_sponsor.email": "must be exactly one email address"}


def test_an_rca_due_at_the_end_of_time_is_a_422_naming_the_window(
    client: TestClient, bearer: dict[str, str]
) -> None:
    fields = post_report(
        client, bearer, json.dumps({**report_data(), "rca_due": "9999-12-31T23:59:00-12:00"})
    )

    assert fields == {"rca_due": f"must be between 2000-01-01 and {latest().isoformat()}"}


def test_a_nul_in_the_title_is_a_422_naming_the_field(client: TestClient, bearer: dict[str, str]) -> None:
    fields = post_report(client, bearer, json.dumps(report_data(title="Batch\x00drops rows")))

    assert fields == {"failure.title": "must be one line without control characters (found U+0000)"}


def test_json_nested_a_hundred_thousand_deep_is_a_422_not_a_500(
    client: TestClient, bearer: dict[str, str]
) -> None:
    assert post_report(client, bearer, HUNDRED_THOUSAND_DEEP) == {"body": "nests deeper than 32 levels"}


def test_the_owner_preview_reads_the_seventy_kilobyte_dotnet_trace_and_answers(
    client: TestClient, bearer: dict[str, str]
) -> None:
    trace = "at a(" + ") in " * 14000 + "x"

    answer = client.post(
        "/api/v1/owners/preview", json={"stack_trace": trace, "locations": []}, headers=bearer
    )

    assert answer.status_code == 200
    assert answer.json()["locations"] == []


def test_an_arr_of_twenty_seven_digits_in_the_form_comes_back_with_the_form_kept(
    browser: TestClient, world: World
) -> None:
    form = browser.get("/").text
    key = hidden(form, "idempotency_key")
    fields = form_fields(**{"deal.arr": "9" * 27})

    answer = browser.post(
        "/escalations", data={**fields, "csrf_token": csrf_token(form), "idempotency_key": key}
    )

    assert answer.status_code == 422
    assert field_error(answer.text, "deal.arr") == f"'{'9' * 27}' is too large for an ARR"
    assert field_value(answer.text, "deal.arr") == "9" * 27
    assert field_value(answer.text, "deal.account") == "Globex"
    assert world.escalation_count() == 0


def test_the_cli_refuses_a_report_file_nested_a_hundred_thousand_deep_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INTEGRATOR_REGISTRY", str(settings.registry))
    monkeypatch.setenv("INTEGRATOR_CATALOG", str(settings.catalog))
    deep = tmp_path / "deep.json"
    deep.write_text(HUNDRED_THOUSAND_DEEP)

    result = CliRunner().invoke(cli, ["escalate", "--file", str(deep)])

    assert result.exit_code == 2, result.output
    assert "--file: nests deeper than 32 levels" in result.output
    assert "Traceback" not in result.output
