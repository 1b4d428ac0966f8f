"""Escalations end to end: the `integrator` command, the real Jira and PagerDuty clients, the loopback fakes.

The fakes check every request against the official specs and fail the test at teardown when one
broke them (tests/conftest.py). In-process runs hand the command ready services (`obj=`) on a
clock the test moves; where a real process is the point (a SIGKILL, five at once, a refusal),
`python -m integrator` runs with INTEGRATOR_* settings, as an operator would run it. What the
tests read back is what a user sees: exit codes, output, `status --json`, and the fakes' state.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from pydantic import SecretStr
from typer.testing import CliRunner

from integrator import bootstrap
from integrator.application.retrying import RetryPolicy
from integrator.cli.app import app
from integrator.settings import JiraSettings, PagerDutySettings, Settings
from tests.fakes import Delay, Drop, FakeJira, FakePagerDuty, Status, spec
from tests.fakes.faults import Armed
from tests.fakes.world import ALICE, JIRA_API_TOKEN, JIRA_EMAIL, PD_API_KEY, PD_FROM
from tests.support import CATALOG, REGISTRY, FakeClock, report_data, write_config

REPOSITORY = Path(__file__).resolve().parents[2]
CREATE = r"/rest/api/2/issue"
INCIDENTS = r"/incidents"
OK, BAD_INPUT, PENDING = 0, 2, 3
KEY = "globex-ingest-2026-11-28"


@dataclass
class Deployment:
    """One installation: config and SQLite in a folder, pointed at the fake Jira and PagerDuty."""

    folder: Path
    settings: Settings
    jira: FakeJira
    pagerduty: FakePagerDuty
    built: list[bootstrap.Services] = field(default_factory=list)
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def report(self, data: dict[str, Any] | None = None) -> Path:
        path = self.folder / "report.json"
        path.write_text(json.dumps(report_data() if data is None else data))
        return path

    def services(
        self, *, clock: FakeClock | None = None, retry: RetryPolicy | None = None
    ) -> bootstrap.Services:
        """What the command would build for itself, on the clock and retry policy the test chooses."""
        services = bootstrap.build(
            self.settings, clock=clock or FakeClock(datetime.now(UTC)), retry=retry or RetryPolicy.none()
        )
        self.built.append(services)
        return services

    def cli(self, *args: str, services: bootstrap.Services | None = None) -> Result:
        """`integrator ARGS` in this process; an exception the command did not handle fails the test."""
        obj = services or self.services()
        return CliRunner().invoke(app, list(args), obj=obj, catch_exceptions=False)

    def status(self, services: bootstrap.Services | None = None) -> list[dict[str, Any]]:
        """`integrator status --json`: every stored escalation, as an operator reads it."""
        result = self.cli("status", "--json", services=services)
        assert result.exit_code == OK, result.output
        shown: list[dict[str, Any]] = json.loads(result.stdout)
        return shown

    def escalation(self, services: bootstrap.Services | None = None) -> dict[str, Any]:
        (shown,) = self.status(services)
        return shown

    def env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATOR_")}
        return {
            **inherited,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
            "INTEGRATOR_DATABASE_URL": self.settings.database_url,
            "INTEGRATOR_REGISTRY": str(self.settings.registry),
            "INTEGRATOR_CATALOG": str(self.settings.catalog),
            "INTEGRATOR_PUBLIC_URL": self.settings.public_url,
            "INTEGRATOR_JIRA__URL": self.jira.url,
            "INTEGRATOR_JIRA__EMAIL": JIRA_EMAIL,
            "INTEGRATOR_JIRA__API_TOKEN": JIRA_API_TOKEN,
            "INTEGRATOR_JIRA__TIMEOUT_SECONDS": "20",
            "INTEGRATOR_PAGERDUTY__API_KEY": PD_API_KEY,
            "INTEGRATOR_PAGERDUTY__FROM_EMAIL": PD_FROM,
            "INTEGRATOR_PAGERDUTY__API_URL": self.pagerduty.url,
            "INTEGRATOR_PAGERDUTY__TIMEOUT_SECONDS": "20",
            "REQUESTS_CA_BUNDLE": str(self.pagerduty.ca_file),
        }

    def start(self, *args: str) -> subprocess.Popen[str]:
        """`python -m integrator ARGS` as a process of its own, in the folder (so no stray .env)."""
        process = subprocess.Popen(
            [sys.executable, "-m", "integrator", *args],
            cwd=self.folder,
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        return process

    def sent(self) -> int:
        """Requests either fake has received so far."""
        return len(self.jira.requests) + len(self.pagerduty.requests)

    def close(self) -> None:
        for process in self.processes:  # one that a failing test left running
            if process.returncode is None:
                process.kill()
                process.communicate(timeout=30)
        for services in self.built:
            services.close()  # the engine and the Jira and PagerDuty clients bootstrap built


def deploy(
    folder: Path,
    jira: FakeJira,
    pagerduty: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
    *,
    registry: str = REGISTRY,
    catalog: str = CATALOG,
) -> Iterator[Deployment]:
    settings = write_config(folder, registry=registry, catalog=catalog)
    integrations = {
        "jira": JiraSettings(
            url=jira.url, email=JIRA_EMAIL, api_token=SecretStr(JIRA_API_TOKEN), timeout_seconds=20
        ),
        "pagerduty": PagerDutySettings(
            api_key=SecretStr(PD_API_KEY), from_email=PD_FROM, api_url=pagerduty.url, timeout_seconds=20
        ),
    }
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pagerduty.ca_file))  # how an operator trusts a CA
    deployment = Deployment(folder, settings.model_copy(update=integrations), jira, pagerduty)
    try:
        yield deployment
    finally:
        deployment.close()


@pytest.fixture
def acme(
    tmp_path: Path, fake_jira: FakeJira, fake_pagerduty: FakePagerDuty, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    yield from deploy(tmp_path, fake_jira, fake_pagerduty, monkeypatch)


def effect_states(shown: dict[str, Any]) -> dict[str, str]:
    """The state of the page, the ticket and their cross-link (the stakeholder emails left out)."""
    return {f["kind"]: f["state"] for f in shown["effects"] if f["kind"] in ("page", "ticket", "link")}


def effect(shown: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [f for f in shown["effects"] if f["kind"] == kind]
    return found


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.02)


def assert_linked_once(acme: Deployment, shown: dict[str, Any]) -> None:
    """The P1 carries one remote link to the page, and the page one note naming the P1."""
    page, ticket = shown["pagerduty"], shown["jira"]
    issue = acme.jira.issue(ticket["key"])
    assert [link.object["url"] for link in issue.links] == [page["url"]]
    notes = [n.content for n in acme.pagerduty.incident(page["incident_id"]).notes]
    assert [n for n in notes if n.startswith("Jira P1:")] == [f"Jira P1: {ticket['key']} {ticket['url']}"]


# -- 1. the page and the P1 carry the deal --------------------------------------------------------


def test_a_report_pages_the_catalogs_engineer_and_files_one_p1_carrying_the_deal(acme: Deployment) -> None:
    result = acme.cli("escalate", "--file", str(acme.report()), "--json")

    assert result.exit_code == OK, result.output
    shown = json.loads(result.stdout)
    assert shown["owner"]["team"] == "@acme/ingest"
    assert shown["owner"]["engineer"] == ALICE.email  # the catalog's senior engineer for @acme/ingest
    assert (shown["owner"]["line"], shown["owner"]["pattern"]) == (4, "/services/ingest/")

    (posted,) = acme.pagerduty.requests_to("POST", INCIDENTS)
    incident = posted.json["incident"]
    assert incident["assignments"] == [{"assignee": {"id": ALICE.id, "type": "user_reference"}}]
    assert incident["service"]["id"] == "PING001"
    assert incident["urgency"] == "high"
    assert incident["incident_key"] == shown["id"]
    assert incident["title"] == "[POC] Globex ($480k ARR): Batch ingest drops rows"
    details = incident["body"]["details"]
    assert "Account: Globex" in details
    assert "ARR at stake: 480,000 USD" in details
    assert "Success criterion violated: MSP-3: zero data loss" in details
    (paged,) = acme.pagerduty.incidents
    assert paged.assignee_ids == [ALICE.id]
    assert paged.priority is not None
    assert paged.priority.name == "P1"

    (filed,) = acme.jira.requests_to("POST", CREATE)
    fields = filed.json["fields"]
    assert fields["project"] == {"key": "ING"}
    assert fields["priority"] == {"name": "Highest"}
    assert fields["summary"] == "[POC] Globex ($480k ARR): Batch ingest drops rows"
    assert f"integrator-{shown['id']}" in fields["labels"]
    assert "*Account:* Globex" in fields["description"]
    assert "*ARR at stake:* 480,000 USD" in fields["description"]
    assert "*Success criterion violated:* MSP\\-3: zero data loss" in fields["description"]  # wiki-escaped
    (issue,) = acme.jira.issues

    stored = acme.escalation()
    assert stored["pagerduty"]["incident_id"] == paged.id
    assert stored["jira"]["key"] == issue.key == "ING-1"
    assert effect_states(stored) == {"page": "done", "ticket": "done", "link": "done"}
    assert_linked_once(acme, stored)
    assert acme.jira.violations == []
    assert acme.pagerduty.violations == []


def test_the_requests_an_escalation_sends_are_checked_against_the_official_specs(acme: Deployment) -> None:
    assert acme.jira.validated
    assert acme.pagerduty.validated
    assert acme.cli("escalate", "--file", str(acme.report())).exit_code == OK
    assert acme.jira.violations == []
    assert acme.pagerduty.violations == []

    # The check has teeth: the very page sent, with an urgency PagerDuty does not have, is refused.
    (posted,) = acme.pagerduty.requests_to("POST", INCIDENTS)
    body = json.loads(posted.body)
    body["incident"]["urgency"] = "critical"
    broken = dataclasses.replace(posted, body=json.dumps(body).encode(), json=body)
    contract = spec.contract(FakePagerDuty.spec_name)
    assert any("'critical' is not one of" in problem for problem in contract.check_request(broken))


# -- 2. Jira down for minutes ---------------------------------------------------------------------


def jira_down(jira: FakeJira) -> AbstractContextManager[Armed]:
    """Every Jira call answers 503, asking to come back in two minutes."""
    body = json.dumps({"errorMessages": ["Service Unavailable"], "errors": {}}).encode()
    headers = {"Retry-After": "120", "Content-Type": "application/json"}
    return jira.faults.always("*", r"/rest/.*", Status(503, headers, body))


def test_with_jira_answering_503_the_page_goes_out_at_once_and_escalate_exits_3(acme: Deployment) -> None:
    clock = FakeClock(datetime.now(UTC))
    slept: list[float] = []
    services = acme.services(clock=clock, retry=RetryPolicy(sleep=slept.append))

    with jira_down(acme.jira):
        result = acme.cli("escalate", "--file", str(acme.report()), services=services)

    assert result.exit_code == PENDING, result.output
    assert "pending effects will be retried by `integrator sync`" in result.stdout
    (incident,) = acme.pagerduty.incidents
    assert incident.assignee_ids == [ALICE.id]
    assert acme.jira.requests  # Jira was asked, and answered 503
    assert acme.jira.issues == []
    assert slept == []  # nothing waited on Jira's two minutes
    stored = acme.escalation()
    assert effect_states(stored) == {"page": "done", "ticket": "pending", "link": "pending"}
    ticket = effect(stored, "ticket")
    assert "503" in ticket["last_error"]
    retry_at = datetime.fromisoformat(ticket["next_attempt_at"])
    assert retry_at >= clock.now() + timedelta(seconds=120)  # Jira's Retry-After is honoured


def test_after_jira_returns_sync_once_files_exactly_one_ticket_and_the_cross_link(acme: Deployment) -> None:
    clock = FakeClock(datetime.now(UTC))
    services = acme.services(clock=clock)
    with jira_down(acme.jira):
        assert acme.cli("escalate", "--file", str(acme.report()), services=services).exit_code == PENDING
        asked = len(acme.jira.requests)
        retry_at = datetime.fromisoformat(effect(acme.escalation(), "ticket")["next_attempt_at"])

        early = acme.cli("sync", "--once", services=services)

        assert early.exit_code == PENDING, early.output
        assert f"{retry_at:%H:%M:%S}" in early.stdout  # the retry time is shown
        assert len(acme.jira.requests) == asked  # the backoff is honoured: Jira is left alone

    clock.current = retry_at + timedelta(seconds=1)
    later = acme.cli("sync", "--once", services=services)

    assert later.exit_code == OK, later.output
    (issue,) = acme.jira.issues
    assert len(acme.jira.requests_to("POST", CREATE)) == 1
    assert len(acme.pagerduty.incidents) == 1
    assert len(acme.pagerduty.requests_to("POST", INCIDENTS)) == 1  # the page was not sent again
    stored = acme.escalation()
    assert stored["jira"]["key"] == issue.key
    assert effect_states(stored) == {"page": "done", "ticket": "done", "link": "done"}
    assert_linked_once(acme, stored)


# -- 3. PagerDuty rate-limits the page ------------------------------------------------------------


def test_a_page_answered_429_is_sent_again_after_ratelimit_reset_and_delivered_once(acme: Deployment) -> None:
    armed = acme.pagerduty.rate_limit(times=1, reset_seconds=2)  # PagerDuty's 429: no Retry-After
    acme.pagerduty.faults.remove(armed)
    acme.pagerduty.faults.add("POST", INCIDENTS, armed.fault)  # ...answering the page itself
    slept: list[float] = []
    services = acme.services(retry=RetryPolicy(sleep=slept.append))

    result = acme.cli("escalate", "--file", str(acme.report()), services=services)

    assert result.exit_code == OK, result.output
    assert slept == [2.0]  # waited what ratelimit-reset said, once
    assert len(acme.pagerduty.requests_to("POST", INCIDENTS)) == 2  # the one refused, then the page
    (incident,) = acme.pagerduty.incidents
    assert incident.assignee_ids == [ALICE.id]
    page = effect(acme.escalation(), "page")
    assert (page["state"], page["attempts"]) == ("done", 1)


def test_a_page_whose_answer_was_lost_is_found_by_its_key_not_sent_twice(acme: Deployment) -> None:
    acme.pagerduty.faults.add("POST", INCIDENTS, Drop(after_apply=True))  # opened; the answer is lost
    services = acme.services(retry=RetryPolicy(sleep=lambda _: None))

    result = acme.cli("escalate", "--file", str(acme.report()), services=services)

    assert result.exit_code == OK, result.output
    (incident,) = acme.pagerduty.incidents
    assert len(acme.pagerduty.requests_to("POST", INCIDENTS)) == 1
    assert acme.escalation()["pagerduty"]["incident_id"] == incident.id


# -- 4. Jira files the P1, then the connection drops ----------------------------------------------


def test_a_p1_committed_before_the_connection_dropped_is_found_not_filed_again(acme: Deployment) -> None:
    acme.jira.faults.add("POST", CREATE, Drop(after_apply=True))
    services = acme.services(retry=RetryPolicy(sleep=lambda _: None))

    result = acme.cli("escalate", "--file", str(acme.report()), services=services)

    assert result.exit_code == OK, result.output
    (issue,) = acme.jira.issues
    assert len(acme.jira.requests_to("POST", CREATE)) == 1  # the retry searched for the label instead
    stored = acme.escalation()
    assert stored["jira"]["key"] == issue.key
    assert f"integrator-{stored['id']}" in issue.labels
    assert effect_states(stored) == {"page": "done", "ticket": "done", "link": "done"}
    assert_linked_once(acme, stored)


# -- 5. the process dies between the page and the ticket ------------------------------------------


def test_a_process_killed_after_the_page_is_finished_by_sync_without_a_second_page_or_ticket(
    acme: Deployment,
) -> None:
    acme.jira.faults.add("POST", CREATE, Delay(2.0))  # Jira is slow to file it; the process dies meanwhile
    process = acme.start("escalate", "--file", str(acme.report()))
    wait_for(lambda: bool(acme.jira.requests_to("POST", CREATE)), seconds=20, what="the P1 request")
    assert len(acme.pagerduty.incidents) == 1  # the page went first
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL
    wait_for(lambda: len(acme.jira.issues) == 1, seconds=10, what="Jira to file the P1 nobody heard of")
    assert effect_states(acme.escalation()) == {"page": "done", "ticket": "pending", "link": "pending"}

    # While the dead process's lease on the ticket holds, sync leaves the ticket alone...
    early = acme.cli("sync", "--once", services=acme.services(clock=FakeClock(datetime.now(UTC))))
    assert early.exit_code == PENDING, early.output
    assert len(acme.jira.requests_to("POST", CREATE)) == 1

    # ...and once the lease has run out, sync finishes the work.
    later = FakeClock(datetime.now(UTC) + timedelta(minutes=3))
    result = acme.cli("sync", "--once", services=acme.services(clock=later))

    assert result.exit_code == OK, result.output
    (issue,) = acme.jira.issues
    assert len(acme.jira.requests_to("POST", CREATE)) == 1  # found by its label, not filed again
    assert len(acme.pagerduty.incidents) == 1
    assert len(acme.pagerduty.requests_to("POST", INCIDENTS)) == 1
    stored = acme.escalation()
    assert stored["jira"]["key"] == issue.key
    assert effect_states(stored) == {"page": "done", "ticket": "done", "link": "done"}
    assert_linked_once(acme, stored)


# -- 6. the same report again, and five times at once ---------------------------------------------


def test_the_same_report_submitted_twice_pages_once_and_files_once(acme: Deployment) -> None:
    report = acme.report({**report_data(), "idempotency_key": KEY})
    first = acme.cli("escalate", "--file", str(report), "--json")
    sent = acme.sent()

    again = acme.cli("escalate", "--file", str(report))

    assert (first.exit_code, again.exit_code) == (OK, OK), again.output
    assert f"Already escalated (idempotency key {KEY!r}); showing the first." in again.stdout
    assert json.loads(first.stdout)["id"] in again.stdout
    assert acme.sent() == sent  # the repeat sent nothing at all
    assert len(acme.pagerduty.incidents) == 1
    assert len(acme.jira.issues) == 1
    assert len(acme.status()) == 1


def test_five_processes_submitting_the_same_report_at_once_page_once_and_file_once(acme: Deployment) -> None:
    report = json.dumps({**report_data(), "idempotency_key": KEY})
    # Each reads the report from stdin: all five are running before any of them is given it.
    processes = [acme.start("escalate", "--file", "-", "--json") for _ in range(5)]
    with ThreadPoolExecutor(len(processes)) as pool:
        outputs = list(pool.map(lambda p: p.communicate(report, timeout=60), processes))

    # 3 (stored, something pending) is the truth for a process that ends while another holds an effect.
    assert {p.returncode for p in processes} <= {OK, PENDING}, outputs
    assert len({json.loads(out)["id"] for out, _ in outputs}) == 1  # all five show the one escalation
    assert len(acme.pagerduty.incidents) == 1
    assert len(acme.pagerduty.requests_to("POST", INCIDENTS)) == 1
    assert len(acme.jira.issues) == 1
    assert len(acme.jira.requests_to("POST", CREATE)) == 1
    stored = acme.escalation()
    assert effect_states(stored) == {"page": "done", "ticket": "done", "link": "done"}
    assert_linked_once(acme, stored)


# -- 7. bad input ---------------------------------------------------------------------------------


def without(path: str) -> dict[str, Any]:
    data = report_data()
    section, name = path.split(".")
    del data[section][name]
    return data


BAD_REPORTS = {
    "no deal.account": (without("deal.account"), "deal.account: is required"),
    "no deal.arr": (without("deal.arr"), "deal.arr: is required"),
    "no failure.title": (without("failure.title"), "failure.title: is required"),
    "no reporter.email": (without("reporter.email"), "reporter.email: is required"),
    "no location": (
        without("failure.locations"),
        "failure.locations: failure.locations or failure.stack_trace",
    ),
    "negative ARR": ({**report_data(), "deal": {"account": "Globex", "arr": -480000}}, "deal.arr: "),
}


@pytest.mark.parametrize(("data", "message"), BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_a_bad_report_exits_2_naming_the_field_and_stores_and_sends_nothing(
    acme: Deployment, data: dict[str, Any], message: str
) -> None:
    result = acme.cli("escalate", "--file", str(acme.report(data)))

    assert result.exit_code == BAD_INPUT, result.output
    assert "invalid report, nothing was stored or sent" in result.stderr
    assert message in result.stderr
    assert acme.status() == []
    assert acme.sent() == 0


def test_malformed_json_exits_2_and_stores_and_sends_nothing(acme: Deployment) -> None:
    broken = acme.folder / "broken.json"
    broken.write_text('{"deal": {"account": "Globex", "arr": 480000},')

    result = acme.cli("escalate", "--file", str(broken))

    assert result.exit_code == BAD_INPUT, result.output
    assert "--file: is not valid JSON" in result.stderr
    assert acme.status() == []
    assert acme.sent() == 0


@pytest.fixture
def no_default_owner(
    tmp_path: Path, fake_jira: FakeJira, fake_pagerduty: FakePagerDuty, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    """Only /services/ingest/ is owned, and the catalog names no default owner."""
    catalog = CATALOG.replace('[defaults]\nowner = "@acme/platform"\n', "")
    assert "[defaults]" not in catalog
    registry = "/services/ingest/   @acme/ingest\n"
    yield from deploy(tmp_path, fake_jira, fake_pagerduty, monkeypatch, registry=registry, catalog=catalog)


def test_a_location_nobody_owns_exits_2_and_stores_and_sends_nothing(no_default_owner: Deployment) -> None:
    acme = no_default_owner
    report = acme.report(report_data(locations=["services/billing/invoice.py"]))

    process = acme.start("escalate", "--file", str(report))
    out, err = process.communicate(timeout=30)

    assert process.returncode == BAD_INPUT, out + err
    assert "invalid report, nothing was stored or sent" in err
    assert "failure.locations: no registry line and no default owner covers" in err
    assert "services/billing/invoice.py" in err
    assert acme.status() == []
    assert acme.sent() == 0


def test_registry_check_reports_a_handle_missing_from_the_catalog_as_unknown_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = write_config(tmp_path, registry=REGISTRY + "/services/billing/   @acme/billing\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INTEGRATOR_REGISTRY", str(settings.registry))
    monkeypatch.setenv("INTEGRATOR_CATALOG", str(settings.catalog))

    result = CliRunner().invoke(app, ["registry", "check"], catch_exceptions=False)

    assert result.exit_code == 1, result.output  # DESIGN.md: `registry check` exits 1 on errors
    billing_line = len(REGISTRY.splitlines()) + 1
    assert f"{settings.registry}:{billing_line}:" in result.stdout
    assert "Unknown owner" in result.stdout
    assert "@acme/billing" in result.stdout


def test_a_worker_killed_during_the_jira_create_is_taken_over_within_30_s_and_files_once(
    tmp_path: Path,
    fake_jira: FakeJira,
    fake_pagerduty: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    deployment = deploy(tmp_path, fake_jira, fake_pagerduty, monkeypatch)
    acme = next(deployment)
    acme.settings = acme.settings.model_copy(update={"database_url": database_url})
    try:
        acme.jira.faults.add("POST", CREATE, Delay(120.0))  # this create never answers in time
        process = acme.start("escalate", "--file", str(acme.report()))
        wait_for(lambda: bool(acme.jira.requests_to("POST", CREATE)), seconds=20, what="the P1 request")
        process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        process.communicate(timeout=10)
        worker = acme.start("sync", "--every", "1")  # another worker, as a second replica runs it
        reader = acme.services()

        def states() -> dict[str, str]:
            time.sleep(0.2)
            return effect_states(acme.escalation(reader))

        wait_for(lambda: states()["ticket"] == "done", seconds=40, what="the P1")
        taken_over_in = time.monotonic() - killed_at
        wait_for(lambda: states()["link"] == "done", seconds=20, what="the link")
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=20)

        assert taken_over_in < 30, f"the P1 was filed {taken_over_in:.1f} s after the kill"
        assert len(acme.jira.issues) == 1
        assert len(acme.pagerduty.incidents) == 1
        assert effect_states(acme.escalation()) == {"page": "done", "ticket": "done", "link": "done"}
    finally:
        deployment.close()
