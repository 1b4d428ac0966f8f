"""Same failure, several deals: one page, one P1, the ARR at risk summed (the real Jira and
PagerDuty clients against the loopback fakes; `python -m integrator` where processes are the point)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import FakeJira, FakePagerDuty
from tests.integration.test_escalation_flow import (
    CREATE,
    INCIDENTS,
    OK,
    PENDING,
    Deployment,
    deploy,
    wait_for,
)
from tests.support import TRACE, report_data
from tests.web.serving import serve_process

LINKED = "Same failure reported for another deal"


@pytest.fixture
def acme(
    tmp_path: Path, fake_jira: FakeJira, fake_pagerduty: FakePagerDuty, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    yield from deploy(tmp_path, fake_jira, fake_pagerduty, monkeypatch)


def deal(account: str, arr: object, *, currency: str = "USD", **extra: Any) -> dict[str, Any]:
    """A report of the connection-pool failure (one fingerprint) from `account`'s proof-of-concept."""
    data = report_data(stack_trace=TRACE, criterion=f"{account}: zero data loss")
    data["deal"] = {"account": account, "arr": arr, "currency": currency}
    data["reporter"] = {"name": f"SE {account}", "email": f"se@{account.lower()}.example"}
    return {**data, **extra}


def linked_notes(acme: Deployment) -> int:
    """The notes naming a linked deal, on every incident the fake PagerDuty holds."""
    return len([n for i in acme.pagerduty.incidents for n in i.notes if n.content.startswith(LINKED)])


def escalate(acme: Deployment, data: dict[str, Any], *flags: str) -> dict[str, Any]:
    result = acme.cli("escalate", "--file", str(acme.report(data)), "--json", *flags)
    assert result.exit_code == OK, result.output
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_three_deals_of_one_failure_make_one_incident_one_p1_two_notes_two_comments(acme: Deployment) -> None:
    first = escalate(acme, deal("Initech", 500000))
    second = escalate(acme, deal("Globex", "480,000"))
    third = escalate(acme, deal("Hooli", 250000, currency="EUR"))

    assert (first["linked"], second["linked"], third["linked"]) == (False, True, True)
    assert first["id"] == second["id"] == third["id"]
    assert (second["deal"], third["deal"]) == (2, 3)
    assert len(acme.pagerduty.incidents) == 1
    assert len(acme.pagerduty.requests_to("POST", INCIDENTS)) == 1
    assert len(acme.jira.issues) == 1
    assert len(acme.jira.requests_to("POST", CREATE)) == 1

    shown = acme.escalation()
    notes = [n.content for n in acme.pagerduty.incident(shown["pagerduty"]["incident_id"]).notes]
    comments = [c.body for c in acme.jira.issue(shown["jira"]["key"]).comments]
    assert [n for n in notes if n.startswith(LINKED)] == [n for n in notes if "Globex" in n or "Hooli" in n]
    assert len([n for n in notes if n.startswith(LINKED)]) == 2
    assert len([c for c in comments if LINKED in c]) == 2
    assert any("Globex" in n and "480,000 USD" in n and "se@globex.example" in n for n in notes)
    assert any("Hooli" in c and "250,000 EUR" in c and "Hooli: zero data loss" in c for c in comments)
    assert [(d["account"], d["arr"], d["currency"], d["reporter"]) for d in shown["deals"]] == [
        ("Initech", "500000", "USD", "se@initech.example"),
        ("Globex", "480000", "USD", "se@globex.example"),
        ("Hooli", "250000", "EUR", "se@hooli.example"),
    ]
    assert shown["arr_at_risk"] == [
        {"currency": "USD", "amount": "980000"},
        {"currency": "EUR", "amount": "250000"},
    ]
    assert {f["state"] for f in shown["effects"] if f["kind"] in ("note", "comment")} == {"done"}


def test_a_report_escalated_with_separate_is_its_own_page_and_p1(acme: Deployment) -> None:
    first = escalate(acme, deal("Initech", 500000))
    apart = escalate(acme, deal("Globex", 480000), "--separate")

    assert apart["id"] != first["id"]
    assert apart["linked"] is False
    assert len(acme.pagerduty.incidents) == 2
    assert len(acme.jira.issues) == 2


def test_the_text_output_tells_the_se_the_report_joined_the_open_escalation(acme: Deployment) -> None:
    first = escalate(acme, deal("Initech", 500000))

    result = acme.cli("escalate", "--file", str(acme.report(deal("Globex", 480000))))

    assert result.exit_code == OK, result.output
    assert f"Same failure as escalation {first['id']}, opened for Initech" in result.stdout
    assert "the engineer is already paged" in result.stdout
    assert "deal 2; ARR at risk now 980,000 USD" in result.stdout


def test_five_processes_reporting_one_failure_from_five_deals_page_once_and_link_four(
    acme: Deployment,
) -> None:
    reports = [json.dumps(deal(f"Account{n}", 100000 * (n + 1))) for n in range(5)]
    # Each reads its report from stdin: all five are running before any of them is given it.
    processes = [acme.start("escalate", "--file", "-", "--json") for _ in reports]
    with ThreadPoolExecutor(len(processes)) as pool:
        sent = zip(processes, reports, strict=True)
        outputs = list(pool.map(lambda p: p[0].communicate(p[1], timeout=60), sent))

    assert {p.returncode for p in processes} <= {OK, PENDING}, outputs
    answers = [json.loads(out) for out, _ in outputs]
    assert len({a["id"] for a in answers}) == 1
    assert sorted(a["linked"] for a in answers) == [False, True, True, True, True]
    assert len(acme.pagerduty.requests_to("POST", INCIDENTS)) == 1
    assert len(acme.jira.requests_to("POST", CREATE)) == 1
    shown = acme.escalation()
    assert sorted(d["account"] for d in shown["deals"]) == [f"Account{n}" for n in range(5)]
    assert shown["arr_at_risk"] == [{"currency": "USD", "amount": "1500000"}]


@pytest.mark.postgres
def test_two_servers_on_postgresql_given_five_deals_of_one_failure_at_once_page_once_and_link_four(
    acme: Deployment, postgres_url: str
) -> None:
    env = {**acme.env(), "INTEGRATOR_DATABASE_URL": postgres_url, "INTEGRATOR_AUTH__MODE": "none"}
    reports = [deal(f"Account{n}", 100000) for n in range(5)]
    gate = threading.Barrier(len(reports))
    with serve_process(env, acme.folder) as one, serve_process(env, acme.folder) as two:

        def send(n: int) -> httpx.Response:
            base = (one, two)[n % 2].base
            gate.wait()
            return httpx.post(f"{base}/api/v1/escalations", json=reports[n], timeout=60)

        with ThreadPoolExecutor(len(reports)) as pool:
            answers = list(pool.map(send, range(len(reports))))

        assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        assert sorted(a.json()["linked"] for a in answers) == [False, True, True, True, True]
        wait_for(lambda: linked_notes(acme) == 4, seconds=60, what="the four deals' notes")
    assert len(acme.pagerduty.requests_to("POST", INCIDENTS)) == 1
    assert len(acme.jira.requests_to("POST", CREATE)) == 1
