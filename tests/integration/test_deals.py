"""Same failure, several deals: one page, one P1, the ARR at risk summed (the real Jira and
PagerDuty clients against the loopback fakes; `python -m integrator` where processes are the point)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from integrator.settings import GroupingSettings
from tests.fakes import FakeJira, FakePagerDuty
from tests.integration.test_email import Inbox, plain_server, smtp_settings  # noqa: F401 - the fixture
from tests.integration.test_escalation_flow import (
    CREATE,
    INCIDENTS,
    OK,
    PENDING,
    Deployment,
    deploy,
    wait_for,
)
from tests.integration.test_executive_escalation import DIRECTOR, EXECUTIVES
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
    labels = acme.jira.issue(shown["jira"]["key"]).labels
    assert [label for label in labels if label.startswith("deal-")] == ["deal-globex", "deal-hooli"]
    assert len(acme.jira.requests_to("PUT", r"/rest/api/2/issue/[A-Z]+-\d+")) == 2
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
    # A deal linked while the other server's page is in flight has its note sent by the next sync
    # pass (the note waits for the page): a short interval keeps this test short.
    env["INTEGRATOR_SYNC__INTERVAL_SECONDS"] = "3"
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


# -- the re-page threshold and the fix, with email through a real SMTP server on loopback -----------


@pytest.fixture
def grouped(
    tmp_path: Path,
    fake_jira: FakeJira,
    fake_pagerduty: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
    plain_server: tuple[Inbox, int],  # noqa: F811
) -> Iterator[tuple[Deployment, Inbox]]:
    """The installation with an executive escalation, email, and a re-page line of 1,000,000."""
    inbox, port = plain_server
    for deployment in deploy(tmp_path, fake_jira, fake_pagerduty, monkeypatch, catalog=EXECUTIVES):
        deployment.settings = deployment.settings.model_copy(
            update={"smtp": smtp_settings(port), "grouping": GroupingSettings(repage_arr=Decimal(1_000_000))}
        )
        yield deployment, inbox


def raises(acme: Deployment) -> list[dict[str, Any]]:
    """The incident updates that raised the urgency (the others rewrite the title)."""
    updates = [json.loads(r.body)["incident"] for r in acme.pagerduty.requests_to("PUT", r"/incidents/\w+")]
    return [u for u in updates if "urgency" in u]


def mails(inbox: Inbox, subject: str) -> list[str]:
    """The addresses sent an email whose subject starts with `subject`."""
    return sorted(str(m["To"]) for m in inbox.received() if str(m["Subject"]).startswith(subject))


def test_crossing_the_repage_line_raises_the_urgency_and_tells_the_executive_once(
    grouped: tuple[Deployment, Inbox],
) -> None:
    acme, inbox = grouped
    escalate(acme, deal("Initech", 500000))
    escalate(acme, deal("Globex", 400000))
    assert raises(acme) == []
    assert mails(inbox, "ARR at risk") == []

    escalate(acme, deal("Hooli", 300000))  # 1,200,000 USD: past the line
    escalate(acme, deal("Umbrella", 900000))  # further past it: nothing more

    (raised,) = raises(acme)
    assert raised["urgency"] == "high"
    assert raised["priority"] == {"id": "PRI1", "type": "priority_reference"}  # the configured P1
    assert mails(inbox, "ARR at risk") == [DIRECTOR]
    shown = acme.escalation()
    assert [e["text"] for e in shown["timeline"] if e["kind"] == "arr_threshold"] == [
        "ARR at risk 1,200,000 USD passed 1,000,000 (re-page threshold): urgency raised, executive"
        " escalation told"
    ]


def test_when_the_fix_lands_every_deals_people_are_told_once(grouped: tuple[Deployment, Inbox]) -> None:
    acme, inbox = grouped
    escalate(acme, deal("Initech", 100000))
    escalate(acme, deal("Globex", 100000))
    shown = escalate(acme, deal("Hooli", 100000))
    services = acme.services()

    acme.jira.set_status(shown["jira"]["key"], "Done")
    services.syncer.run_pass()
    services.syncer.run_pass()

    reporters = ["se@globex.example", "se@hooli.example", "se@initech.example"]
    assert mails(inbox, "Fixed") == sorted([*reporters, DIRECTOR])  # each deal's SE, the executive: once
    fixed = [m for m in inbox.received() if str(m["Subject"]).startswith("Fixed")]
    (to_hooli,) = [m for m in fixed if str(m["To"]) == "se@hooli.example"]
    assert str(to_hooli["Subject"]).startswith("Fixed: [POC] Hooli ($100k ARR)")  # their own deal's words


def test_plan_shows_the_match_and_plan_separate_does_not(acme: Deployment) -> None:
    first = escalate(acme, deal("Initech", 500000))
    report = str(acme.report(deal("Globex", 480000)))
    sent = acme.sent()

    shown = acme.cli("plan", "--file", report)
    as_json = acme.cli("plan", "--file", report, "--json")
    apart = acme.cli("plan", "--file", report, "--separate", "--json")

    assert shown.exit_code == OK, shown.output
    said = " ".join(shown.stdout.split())
    assert re.search(
        rf"Same failure as escalation {first['id']}, opened \d+ min ago for Initech — the engineer is"
        " already paged. This report will be added to it.",
        said,
    ), said
    assert json.loads(as_json.stdout)["match"]["id"] == first["id"]
    assert json.loads(apart.stdout)["match"] is None
    assert acme.sent() == sent  # a plan sends nothing
    assert len(acme.status()) == 1


def test_an_unlinked_deal_becomes_its_own_escalation_with_its_own_page_and_p1(acme: Deployment) -> None:
    first = escalate(acme, deal("Initech", 500000))
    escalate(acme, deal("Globex", 480000))
    escalate(acme, deal("Hooli", 250000))

    result = acme.cli("unlink", first["id"], "2", "--json")

    assert result.exit_code == OK, result.output
    apart = json.loads(result.stdout)
    assert apart["id"] != first["id"]
    assert [d["account"] for d in apart["deals"]] == ["Globex"]
    assert apart["pagerduty"]["incident_id"] != first["pagerduty"]["incident_id"]
    assert apart["jira"]["key"] != first["jira"]["key"]
    assert len(acme.pagerduty.incidents) == 2
    assert len(acme.jira.issues) == 2
    both = {e["id"]: e for e in acme.status()}
    kept = both[first["id"]]
    assert [d["account"] for d in kept["deals"]] == ["Initech", "Hooli"]
    assert kept["arr_at_risk"] == [{"currency": "USD", "amount": "750000"}]
    assert any(
        e["kind"] == "deal_unlinked" and f"now escalation {apart['id']}" in e["text"]
        for e in kept["timeline"]
    )
    again = acme.cli("unlink", first["id"], "2")
    assert again.exit_code != OK  # deal 2 is gone from it
    assert len(acme.pagerduty.incidents) == 2
