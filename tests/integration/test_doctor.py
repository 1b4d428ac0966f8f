"""The doctor against the fakes: a healthy setup passes; each misconfiguration is named, with its fix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from integrator.__main__ import wiring
from integrator.cli.app import app
from integrator.settings import JiraSettings, PagerDutySettings
from integrator.web.app import create_app
from tests.fakes import FakeJira, FakePagerDuty
from tests.fakes.jira_admin import JiraSetup
from tests.fakes.server import FakeServer
from tests.fakes.world import (
    JIRA_API_TOKEN,
    JIRA_EMAIL,
    JIRA_PAT,
    PD_API_KEY,
    PD_ESCALATION_POLICIES,
    PD_FROM,
    WORKFLOW_WITHOUT_DONE,
    Named,
)
from tests.support import CATALOG, REGISTRY, MemoryPager, MemoryTracker, make_services, write_config

OK, PROBLEMS = 0, 1
INGEST = "@acme/ingest"
SETUP = "(setup)"


@dataclass
class Doctor:
    """`integrator doctor --json` run against two fakes, with the environment a test seeds."""

    folder: Path
    jira: FakeJira
    pagerduty: FakePagerDuty

    def run(
        self, *args: str, catalog: str = CATALOG, registry: str = REGISTRY, **env: str
    ) -> tuple[int, Any]:
        (self.folder / "CODEOWNERS").write_text(registry)
        (self.folder / "services.toml").write_text(catalog)
        environment = {
            "INTEGRATOR_REGISTRY": str(self.folder / "CODEOWNERS"),
            "INTEGRATOR_CATALOG": str(self.folder / "services.toml"),
            "INTEGRATOR_JIRA__URL": self.jira.url,
            "INTEGRATOR_JIRA__EMAIL": JIRA_EMAIL,
            "INTEGRATOR_JIRA__API_TOKEN": JIRA_API_TOKEN,
            "INTEGRATOR_PAGERDUTY__API_KEY": PD_API_KEY,
            "INTEGRATOR_PAGERDUTY__FROM_EMAIL": PD_FROM,
            "INTEGRATOR_PAGERDUTY__API_URL": self.pagerduty.url,
            "REQUESTS_CA_BUNDLE": str(self.pagerduty.ca_file),
            **{f"INTEGRATOR_{name.upper()}": value for name, value in env.items()},
        }
        result = CliRunner().invoke(app, ["doctor", *args], env=environment, obj=wiring())
        output = json.loads(result.stdout) if "--json" in args else result.stdout
        return result.exit_code, output


def finding(shown: dict[str, Any], subject: str, check: str) -> dict[str, Any]:
    (found,) = [f for f in shown["findings"] if (f["subject"], f["check"]) == (subject, check)]
    return found


def problems(shown: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["subject"], f["check"]) for f in shown["findings"] if f["outcome"] == "problem"]


@contextmanager
def serving(fake: FakeServer) -> Iterator[None]:
    with fake:
        yield
    fake.assert_no_violations()


@contextmanager
def doctor_of(
    tmp_path: Path, jira: FakeJira | None = None, pagerduty: FakePagerDuty | None = None
) -> Iterator[Doctor]:
    jira, pagerduty = jira or FakeJira(), pagerduty or FakePagerDuty()
    with serving(jira), serving(pagerduty):
        yield Doctor(tmp_path, jira, pagerduty)
    assert not [r for r in jira.requests if r.method != "GET"], "the doctor only reads Jira"
    assert not [r for r in pagerduty.requests if r.method != "GET"], "the doctor only reads PagerDuty"


@pytest.fixture
def doctor(tmp_path: Path) -> Iterator[Doctor]:
    with doctor_of(tmp_path) as ready:
        yield ready


# -- healthy ---------------------------------------------------------------------------------------


def test_a_healthy_setup_passes_every_check_and_exits_0(doctor: Doctor) -> None:
    code, shown = doctor.run("--json")

    assert code == OK, shown
    assert shown["healthy"] is True
    assert problems(shown) == []
    assert finding(shown, SETUP, "jira.access")["detail"].startswith("Jira Cloud at")
    assert finding(shown, INGEST, "jira.workflow")["outcome"] == "ok"
    assert (
        finding(shown, INGEST, "pagerduty.service")["detail"] == "ingest-api, escalating by 'Ingest on-call'"
    )
    assert finding(shown, INGEST, "pagerduty.engineer")["outcome"] == "ok"
    assert finding(shown, SETUP, "smtp.access")["outcome"] == "not checked"


def test_the_table_names_owner_check_result_and_detail(doctor: Doctor) -> None:
    code, shown = doctor.run()

    assert code == OK
    assert shown.splitlines()[0].split() == ["OWNER", "CHECK", "RESULT", "DETAIL", "/", "FIX"]
    assert any(line.split()[:3] == [INGEST, "jira.project", "ok"] for line in shown.splitlines())
    assert "every check passes" in shown


# -- Jira ------------------------------------------------------------------------------------------


def test_a_project_that_does_not_exist_is_a_problem(doctor: Doctor) -> None:
    code, shown = doctor.run(
        "--json", catalog=CATALOG.replace('jira_project = "ING"', 'jira_project = "NOPE"')
    )

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "jira.project")]
    assert "create project NOPE or fix jira_project" in finding(shown, INGEST, "jira.project")["detail"]


def test_an_issue_type_the_project_cannot_create_is_a_problem(doctor: Doctor) -> None:
    code, shown = doctor.run("--json", jira__issue_type="Incident")

    assert code == PROBLEMS
    assert set(problems(shown)) == {("@acme/platform", "jira.issue_type"), (INGEST, "jira.issue_type")}
    assert (
        "(it can: Bug, Task): set INTEGRATOR_JIRA__ISSUE_TYPE"
        in finding(shown, INGEST, "jira.issue_type")["detail"]
    )


def test_a_priority_missing_from_the_scheme_is_a_problem(doctor: Doctor) -> None:
    code, shown = doctor.run("--json", jira__priority="Blocker")

    assert code == PROBLEMS
    assert (INGEST, "jira.priority") in problems(shown)
    assert "no priority 'Blocker'" in finding(shown, INGEST, "jira.priority")["detail"]


def test_a_component_missing_from_the_project_is_a_problem(doctor: Doctor) -> None:
    catalog = CATALOG.replace('jira_component = "ingest-api"', 'jira_component = "ingest"')
    code, shown = doctor.run("--json", catalog=catalog)

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "jira.component")]
    assert "add component 'ingest' to ING" in finding(shown, INGEST, "jira.component")["detail"]


def test_a_required_field_integrator_does_not_fill_is_a_problem(tmp_path: Path) -> None:
    setup = JiraSetup(required={"ING": (Named("customfield_10050", "Customer impact"),)})
    with doctor_of(tmp_path, jira=FakeJira(setup=setup)) as doctor:
        code, shown = doctor.run("--json")

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "jira.required_fields")]
    assert "Customer impact (customfield_10050)" in finding(shown, INGEST, "jira.required_fields")["detail"]


def test_labels_missing_from_the_create_screen_are_a_problem(tmp_path: Path) -> None:
    setup = JiraSetup(hidden={"ING": frozenset({"labels"})})
    with doctor_of(tmp_path, jira=FakeJira(setup=setup)) as doctor:
        code, shown = doctor.run("--json")

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "jira.create_screen")]
    assert finding(shown, INGEST, "jira.create_screen")["detail"].startswith(
        "add labels to ING's create screen"
    )


def test_a_workflow_with_no_path_to_done_is_a_problem(tmp_path: Path) -> None:
    with doctor_of(tmp_path, jira=FakeJira(workflows={"ING": WORKFLOW_WITHOUT_DONE})) as doctor:
        code, shown = doctor.run("--json")

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "jira.workflow")]
    assert "no path from 'To Do' to a Done status" in finding(shown, INGEST, "jira.workflow")["detail"]


def test_workflows_a_user_may_not_read_are_not_checked_and_do_not_fail(tmp_path: Path) -> None:
    with doctor_of(tmp_path, jira=FakeJira(setup=JiraSetup(admin=False))) as doctor:
        code, shown = doctor.run("--json")

    assert code == OK
    workflow = finding(shown, INGEST, "jira.workflow")
    assert workflow["outcome"] == "not checked"
    assert "may not read" in workflow["detail"]


def test_on_data_center_the_workflow_is_not_checked_and_the_rest_is(tmp_path: Path) -> None:
    with doctor_of(tmp_path, jira=FakeJira(deployment="Server")) as doctor:
        code, shown = doctor.run("--json", jira__email="", jira__api_token="", jira__pat=JIRA_PAT)

    assert code == OK, problems(shown)
    assert finding(shown, SETUP, "jira.access")["detail"].startswith("Jira Server at")
    assert finding(shown, INGEST, "jira.required_fields")["outcome"] == "ok"
    workflow = finding(shown, INGEST, "jira.workflow")
    assert workflow["outcome"] == "not checked"
    assert "does not offer the workflow search" in workflow["detail"]


def test_jira_credentials_that_are_refused_are_a_problem(doctor: Doctor) -> None:
    code, shown = doctor.run("--json", jira__api_token="wrong-token")

    assert code == PROBLEMS
    assert "check INTEGRATOR_JIRA__URL" in finding(shown, SETUP, "jira.access")["detail"]
    assert "wrong-token" not in json.dumps(shown)


# -- PagerDuty -------------------------------------------------------------------------------------


def test_a_service_that_does_not_exist_is_a_problem(doctor: Doctor) -> None:
    code, shown = doctor.run("--json", catalog=CATALOG.replace('"PING001"', '"PNOPE01"'))

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "pagerduty.service")]
    assert "no PagerDuty service PNOPE01" in finding(shown, INGEST, "pagerduty.service")["detail"]


def test_a_service_whose_escalation_policy_is_gone_is_a_problem(tmp_path: Path) -> None:
    policies = [p for p in PD_ESCALATION_POLICIES if p.id != "PEPING1"]
    with doctor_of(tmp_path, pagerduty=FakePagerDuty(escalation_policies=policies)) as doctor:
        code, shown = doctor.run("--json")

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "pagerduty.service")]
    assert "escalation policy PEPING1 does not exist" in finding(shown, INGEST, "pagerduty.service")["detail"]


def test_a_senior_engineer_without_a_pagerduty_user_is_a_problem(doctor: Doctor) -> None:
    code, shown = doctor.run("--json", catalog=CATALOG.replace("alice@acme.example", "ghost@acme.example"))

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "pagerduty.engineer")]
    assert (
        "no PagerDuty user has the email ghost@acme.example"
        in finding(shown, INGEST, "pagerduty.engineer")["detail"]
    )


def test_priorities_that_are_not_enabled_are_a_problem(tmp_path: Path) -> None:
    with doctor_of(tmp_path, pagerduty=FakePagerDuty(priorities=())) as doctor:
        code, shown = doctor.run("--json")

    assert code == PROBLEMS
    assert problems(shown) == [(SETUP, "pagerduty.priority")]
    assert "are priorities enabled?" in finding(shown, SETUP, "pagerduty.priority")["detail"]


def test_a_from_email_that_is_no_pagerduty_user_is_a_problem(doctor: Doctor) -> None:
    code, shown = doctor.run("--json", pagerduty__from_email="nobody@acme.example")

    assert code == PROBLEMS
    assert problems(shown) == [(SETUP, "pagerduty.from_user")]


def test_a_pagerduty_key_that_is_refused_is_a_problem(doctor: Doctor) -> None:
    code, shown = doctor.run("--json", pagerduty__api_key="wrong-key")

    assert code == PROBLEMS
    assert "check INTEGRATOR_PAGERDUTY__API_KEY" in finding(shown, SETUP, "pagerduty.access")["detail"]
    assert "wrong-key" not in json.dumps(shown)


# -- registry, catalog and hooks -------------------------------------------------------------------


def test_a_registry_line_naming_an_owner_missing_from_the_catalog_is_a_problem(doctor: Doctor) -> None:
    code, shown = doctor.run("--json", registry=REGISTRY + "/services/billing/  @acme/billing\n")

    assert code == PROBLEMS
    assert problems(shown) == [(SETUP, "registry")]
    assert "Unknown owner" in finding(shown, SETUP, "registry")["detail"]


def test_a_catalog_owner_no_registry_line_names_is_a_problem(doctor: Doctor) -> None:
    registry = "\n".join(line for line in REGISTRY.splitlines() if "@acme/ingest" not in line)
    code, shown = doctor.run("--json", registry=registry)

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "registry.used")]
    assert 'remove [owners."@acme/ingest"]' in finding(shown, INGEST, "registry.used")["detail"]


def test_a_chat_webhook_that_is_not_https_is_a_problem(doctor: Doctor) -> None:
    catalog = CATALOG + 'chat_webhook = "http://chat.acme.example/hooks/ingest"\n'
    code, shown = doctor.run("--json", catalog=catalog)

    assert code == PROBLEMS
    assert problems(shown) == [(INGEST, "chat.webhook")]


def test_without_credentials_nothing_is_checked_and_nothing_fails(doctor: Doctor, tmp_path: Path) -> None:
    (tmp_path / "CODEOWNERS").write_text(REGISTRY)
    (tmp_path / "services.toml").write_text(CATALOG)
    environment = {
        "INTEGRATOR_REGISTRY": str(tmp_path / "CODEOWNERS"),
        "INTEGRATOR_CATALOG": str(tmp_path / "services.toml"),
    }
    result = CliRunner().invoke(app, ["doctor", "--json"], env=environment, obj=wiring())

    assert result.exit_code == OK
    shown = json.loads(result.stdout)
    assert [f["outcome"] for f in shown["findings"] if f["check"].endswith(".access")] == ["not checked"] * 3
    assert doctor.jira.requests == []


# -- the same checks behind /readyz?deep=1 ---------------------------------------------------------


def deep_readiness(doctor: Doctor, tmp_path: Path) -> tuple[int, Any]:
    """`GET /readyz?deep=1` of an app wired to the fakes."""
    settings = write_config(tmp_path).model_copy(
        update={
            "secret_key": SecretStr("a-secret-key-for-the-readiness-test"),
            "jira": JiraSettings(url=doctor.jira.url, email=JIRA_EMAIL, api_token=SecretStr(JIRA_API_TOKEN)),
            "pagerduty": PagerDutySettings(
                api_key=SecretStr(PD_API_KEY), from_email=PD_FROM, api_url=doctor.pagerduty.url
            ),
        }
    )
    services = make_services(settings, pager=MemoryPager(), tracker=MemoryTracker())
    with TestClient(create_app(services), base_url="https://integrator.acme.example") as client:
        answer = client.get("/readyz", params={"deep": "1"})
    return answer.status_code, answer.json()


def test_deep_readiness_runs_the_doctor_and_is_ready_when_it_passes(
    doctor: Doctor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(doctor.pagerduty.ca_file))
    status, body = deep_readiness(doctor, tmp_path)

    assert status == 200, body
    assert body["status"] == "ready"
    assert finding(body["doctor"], INGEST, "jira.workflow")["outcome"] == "ok"


def test_deep_readiness_is_503_when_the_doctor_finds_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with doctor_of(tmp_path, pagerduty=FakePagerDuty(priorities=())) as doctor:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(doctor.pagerduty.ca_file))
        status, body = deep_readiness(doctor, tmp_path)

    assert status == 503
    assert body["checks"] == {"database": "ok", "registry": "ok", "catalog": "ok"}
    assert problems(body["doctor"]) == [(SETUP, "pagerduty.priority")]
