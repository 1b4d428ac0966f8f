"""Stop and tell, enforced gently: the missing customer contacts warned of (API, CLI, form) or refused,
and "who knows" in the API, `integrator status` and the pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from integrator.application.updates import CustomerUpdate, send_customer_update
from integrator.cli.app import app as cli
from integrator.settings import ProtocolSettings, Settings
from tests.support import report_data
from tests.web.conftest import World, web_settings
from tests.web.helpers import submit_form

BUYER = "deal.economic_buyer.email"
SPONSOR = "deal.executive_sponsor.email"


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The web settings, with `INTEGRATOR_PROTOCOL__CONTACTS` as the test asks (default: warn)."""
    contacts = getattr(request, "param", "warn")
    return web_settings(tmp_path).model_copy(update={"protocol": ProtocolSettings(contacts=contacts)})


def without_contacts() -> dict[str, Any]:
    data = report_data()
    del data["deal"]["economic_buyer"], data["deal"]["executive_sponsor"]
    return data


def roles(body: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Each role's (state, email), the first row of a role kept."""
    found: dict[str, tuple[str, str | None]] = {}
    for row in body["disclosure"]:
        found.setdefault(row["role"], (row["state"], row["email"]))
    return found


def test_a_report_without_the_customer_contacts_is_accepted_with_a_warning_for_each(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    answer = client.post("/api/v1/escalations", json=without_contacts(), headers=bearer)

    assert answer.status_code == 201
    warnings = answer.json()["warnings"]
    assert [w.split(":")[0] for w in warnings] == [BUYER, SPONSOR]
    assert "no Economic Buyer is named" in warnings[0]
    assert roles(answer.json())["economic_buyer"] == ("not_named", None)
    assert roles(answer.json())["executive_sponsor"] == ("not_named", None)
    assert world.escalation_count() == 1


def test_a_report_naming_them_has_no_warnings_and_says_who_was_told(
    client: TestClient, bearer: dict[str, str]
) -> None:
    answer = client.post("/api/v1/escalations", json=report_data(), headers=bearer)

    body = answer.json()
    assert body["warnings"] == []
    assert [(row["role"], row["deal"]) for row in body["disclosure"]] == [
        ("economic_buyer", 1),  # the deal's own people first
        ("executive_sponsor", 1),
        ("account_executive", 1),
        ("reporter", 1),
        ("executive_escalation", None),  # then those every deal shares
        ("engineer", None),
        ("breach_contact", None),
    ]
    found = roles(body)
    assert found["engineer"] == ("told", "alice@acme.example")
    assert found["economic_buyer"] == ("pending", "hank@globex.example")  # no customer update yet
    assert found["account_executive"] == ("not_named", None)
    assert found["executive_escalation"] == ("not_named", None)  # the test catalog names nobody
    again = client.get(f"/api/v1/escalations/{body['id']}", headers=bearer).json()
    assert roles(again)["executive_sponsor"][1] == "dana@acme.example"
    assert "warnings" not in again


@pytest.mark.parametrize("settings", ["require"], indirect=True)
def test_with_contacts_required_the_report_is_refused_naming_each_field(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    answer = client.post("/api/v1/escalations", json=without_contacts(), headers=bearer)

    assert answer.status_code == 422
    fields = answer.json()["fields"]
    assert set(fields) == {BUYER, SPONSOR}
    assert "is required" in fields[BUYER]
    assert world.escalation_count() == 0
    assert world.pager is not None
    assert world.pager.pages == {}


@pytest.mark.parametrize("settings", ["off"], indirect=True)
def test_with_the_check_off_nothing_is_warned(client: TestClient, bearer: dict[str, str]) -> None:
    answer = client.post("/api/v1/escalations", json=without_contacts(), headers=bearer)

    assert answer.status_code == 201
    assert answer.json()["warnings"] == []


def escalate(world: World, tmp_path: Path, data: dict[str, Any], *extra: str) -> Any:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    return CliRunner().invoke(cli, ["escalate", "--file", str(path), *extra], obj=world.services)


def test_the_cli_warns_on_stderr_one_line_a_contact_and_escalates(world: World, tmp_path: Path) -> None:
    result = escalate(world, tmp_path, without_contacts(), "--json")

    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert [line.split(":")[:2] for line in lines] == [["warning", f" {BUYER}"], ["warning", f" {SPONSOR}"]]
    assert [w.split(":")[0] for w in json.loads(result.stdout)["warnings"]] == [BUYER, SPONSOR]
    assert world.escalation_count() == 1


@pytest.mark.parametrize("settings", ["require"], indirect=True)
def test_the_cli_refuses_with_exit_2_naming_the_field_when_contacts_are_required(
    world: World, tmp_path: Path
) -> None:
    result = escalate(world, tmp_path, without_contacts())

    assert result.exit_code == 2
    assert f"{BUYER}: is required" in result.stderr
    assert f"{SPONSOR}: is required" in result.stderr
    assert world.escalation_count() == 0


def test_status_shows_who_knows_as_a_table(world: World, tmp_path: Path) -> None:
    created = json.loads(escalate(world, tmp_path, report_data(), "--json").stdout)

    shown = CliRunner().invoke(cli, ["status", created["id"]], obj=world.services)
    as_json = CliRunner().invoke(cli, ["status", created["id"], "--json"], obj=world.services)

    assert shown.exit_code == 0
    assert "Who knows:" in shown.stdout
    rows = {line.split()[0]: line for line in shown.stdout.splitlines() if line.strip()}
    assert rows["economic_buyer"].split()[1:4] == ["hank@globex.example", "pending", "customer"]
    assert rows["engineer"].split()[1:5] == ["alice@acme.example", "told", "page", "at"]
    assert rows["account_executive"].split()[1:4] == ["-", "not_named", "email"]
    assert roles(json.loads(as_json.stdout))["reporter"] == ("planned", "priya@acme.example")  # no SMTP


def test_the_form_warns_before_anything_is_sent_then_submits_when_confirmed(
    browser: TestClient, world: World
) -> None:
    gaps = {BUYER: "", SPONSOR: "", "deal.economic_buyer.name": "", "deal.executive_sponsor.name": ""}
    warned = submit_form(browser, **gaps)

    assert warned.status_code == 200
    assert 'id="contact-warnings"' in warned.text
    assert "no Economic Buyer is named" in warned.text
    assert "Submit without telling them" in warned.text
    assert world.escalation_count() == 0

    sent = submit_form(browser, **gaps, contacts_confirmed="yes")

    assert sent.status_code == 303
    page = browser.get(sent.headers["location"]).text
    assert page.index('id="disclosure"') < page.index('id="owner"') < page.index('id="effects"')
    assert 'data-role="economic_buyer" data-state="not_named"' in page
    listing = browser.get("/escalations").text
    assert 'data-customer-told="not_named"' in listing


@pytest.mark.parametrize("settings", ["require"], indirect=True)
def test_the_form_refuses_at_the_field_when_contacts_are_required(browser: TestClient, world: World) -> None:
    answer = submit_form(browser, **{BUYER: "", SPONSOR: ""}, contacts_confirmed="yes")

    assert answer.status_code == 422
    assert f'id="{BUYER}-error"' in answer.text
    assert world.escalation_count() == 0


def test_the_page_shows_the_reminder_once_the_minute_passes_until_the_customer_is_told(
    client: TestClient, bearer: dict[str, str], browser: TestClient, world: World
) -> None:
    created = client.post("/api/v1/escalations", json=report_data(), headers=bearer).json()
    world.clock.advance(minutes=60)
    world.services.syncer.run_pass()

    page = browser.get(f"/escalations/{created['id']}").text

    assert 'id="tell-customer-reminder"' in page
    assert "Reminded priya@acme.example that the customer has not been told" in page
    answer = client.get(f"/api/v1/escalations/{created['id']}", headers=bearer).json()
    assert [e["kind"] for e in answer["timeline"]].count("clock:tell_customer") == 1
    buyer = next(row for row in answer["disclosure"] if row["role"] == "economic_buyer")
    assert "the reporting SE was reminded at 2026-11-28 16:00 UTC" in buyer["detail"]

    escalation = world.services.store.get(created["id"])
    update = CustomerUpdate.checked(to="hank@globex.example", subject="Update", body="We are on it.")
    now = world.clock.now()
    send_customer_update(world.services.store, escalation, update, number=1, by="priya", now=now)
    world.services.dispatcher.drive(created["id"])

    assert 'id="tell-customer-reminder"' not in browser.get(f"/escalations/{created['id']}").text
