"""Every deal keeps its own protocol, through the real Jira and PagerDuty clients against the
loopback fakes, a real SMTP server and a Standard Webhooks halt receiver: the title and summary
carry the ARR at risk, a later deal hears what is left of the shared clock, each deal's people
have their own disclosure rows, and a deal's own environment is halted and resumed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from integrator.messages.facts import moment
from tests.fakes import FakeJira, FakePagerDuty
from tests.fakes.halt_hook import SECRET, HaltReceiver, halt_receiver
from tests.integration.test_deals import deal, escalate, grouped, mails  # noqa: F401 - the fixture
from tests.integration.test_email import Inbox, plain_server, smtp_settings  # noqa: F401 - the fixture
from tests.integration.test_escalation_flow import OK, Deployment, deploy
from tests.integration.test_executive_escalation import EXECUTIVES
from tests.support import FakeClock

TITLES = r"/incidents/\w+"
EDITS = r"/rest/api/2/issue/[A-Z]+-\d+"


def titles(acme: Deployment) -> list[str]:
    """Every title PagerDuty was sent for an incident after it was opened, in order."""
    updates = [json.loads(r.body)["incident"] for r in acme.pagerduty.requests_to("PUT", TITLES)]
    return [u["title"] for u in updates if "title" in u]


def summaries(acme: Deployment) -> list[str]:
    """Every summary Jira was sent for a P1 after it was filed, in order."""
    edits = [json.loads(r.body) for r in acme.jira.requests_to("PUT", EDITS)]
    return [e["fields"]["summary"] for e in edits if "summary" in e.get("fields", {})]


def test_the_title_and_the_summary_carry_the_summed_arr_once_per_link_and_unlink(
    grouped: tuple[Deployment, Inbox],  # noqa: F811
) -> None:
    acme, _ = grouped
    first = escalate(acme, deal("Initech", 500000))
    escalate(acme, deal("Globex", "480,000"))
    shown = escalate(acme, deal("Hooli", 250000, currency="EUR"))
    acme.cli("sync", "--once")  # a pass later: nothing is sent again

    two = "[POC] Initech +1 deal ($980k ARR at risk): Batch ingest drops rows"
    three = "[POC] Initech +2 deals ($980k + €250k ARR at risk): Batch ingest drops rows"
    assert titles(acme) == [two, three]
    assert summaries(acme) == [two, three]
    assert acme.pagerduty.incident(first["pagerduty"]["incident_id"]).title == three
    issue = acme.jira.issue(first["jira"]["key"])
    assert issue.summary == three
    assert [label for label in issue.labels if label.startswith("deal-")] == ["deal-globex", "deal-hooli"]
    assert {f["state"] for f in shown["effects"] if f["kind"] in ("title", "summary")} == {"done"}

    result = acme.cli("unlink", first["id"], "2", "--json")

    assert result.exit_code == OK, result.output
    after = "[POC] Initech +1 deal ($500k + €250k ARR at risk): Batch ingest drops rows"
    assert titles(acme) == [two, three, after]
    assert summaries(acme) == [two, three, after]
    assert acme.jira.issue(first["jira"]["key"]).summary == after
    apart = json.loads(result.stdout)
    assert (
        acme.jira.issue(apart["jira"]["key"]).summary == "[POC] Globex ($480k ARR): Batch ingest drops rows"
    )


def test_a_later_deals_se_is_emailed_how_long_the_shared_fix_clock_has_left(
    grouped: tuple[Deployment, Inbox],  # noqa: F811
) -> None:
    acme, inbox = grouped
    clock = FakeClock(datetime.now(UTC))
    services = acme.services(clock=clock)
    first = acme.cli(
        "escalate", "--file", str(acme.report(deal("Initech", 500000))), "--json", services=services
    )
    clock.advance(hours=6, minutes=48)

    second = acme.cli(
        "escalate", "--file", str(acme.report(deal("Globex", 480000))), "--json", services=services
    )

    assert (first.exit_code, second.exit_code) == (OK, OK), second.output
    fix_due = datetime.fromisoformat(json.loads(first.stdout)["fix_due"])
    (told,) = [m for m in inbox.received() if str(m["To"]) == "se@globex.example"]
    assert str(told["Subject"]) == "Escalated: [POC] Globex ($480k ARR): Batch ingest drops rows"
    body = " ".join(told.get_content().split())
    assert (
        f"It is the same failure already escalated for Initech: the engineer is already paged and the fix"
        f" is shared. The fix is due {moment(fix_due)}, 41 h 12 min from now; the 48-hour clock started"
        " with the first report for Initech."
    ) in body
    (initech,) = [m for m in inbox.received() if str(m["To"]) == "se@initech.example"]
    assert "The 48-hour fix clock has started." in initech.get_content()  # deal 1's words as before


def test_each_deals_people_have_their_own_disclosure_rows_and_the_shared_ones_come_once(
    grouped: tuple[Deployment, Inbox],  # noqa: F811
) -> None:
    acme, _ = grouped
    escalate(acme, deal("Initech", 500000))
    escalate(acme, deal("Globex", 480000))

    shown = acme.escalation()
    text = acme.cli("status", shown["id"])

    rows = [(r["deal"], r["role"], r["email"], r["state"]) for r in shown["disclosure"]]
    assert rows[:4] == [
        (1, "economic_buyer", None, "not_named"),
        (1, "executive_sponsor", None, "not_named"),
        (1, "account_executive", None, "not_named"),
        (1, "reporter", "se@initech.example", "told"),
    ]
    assert rows[4:8] == [
        (2, "economic_buyer", None, "not_named"),
        (2, "executive_sponsor", None, "not_named"),
        (2, "account_executive", None, "not_named"),
        (2, "reporter", "se@globex.example", "told"),
    ]
    assert [(d, role) for d, role, _, _ in rows[8:]] == [
        (None, "executive_escalation"),
        (None, "engineer"),
        (None, "breach_contact"),
    ]
    said = " ".join(text.stdout.split())
    assert re.search(r"deal 1 · Initech .*se@initech\.example.* deal 2 · Globex .*se@globex\.example", said)
    assert "shared by every deal" in said


# -- a deal's own test environment ------------------------------------------------------------------


@pytest.fixture
def halting(
    tmp_path: Path,
    fake_jira: FakeJira,
    fake_pagerduty: FakePagerDuty,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Deployment, HaltReceiver]]:
    monkeypatch.setenv("POC_HALT_SECRET", SECRET)
    with halt_receiver() as receiver:
        catalog = EXECUTIVES + receiver.catalog_entry("poc-globex-eu1")
        yield from (
            (d, receiver) for d in deploy(tmp_path, fake_jira, fake_pagerduty, monkeypatch, catalog=catalog)
        )


def test_a_linked_deal_halts_its_own_environment_and_is_resumed_by_its_number(
    halting: tuple[Deployment, HaltReceiver],
) -> None:
    acme, receiver = halting
    first = escalate(acme, deal("Initech", 500000))  # deal 1 asks no halt
    asking = deal("Globex", 480000)
    asking["failure"] |= {"environment": "poc-globex-eu1", "halt": True}
    shown = escalate(acme, asking)

    (halted,) = receiver.received
    assert halted.verified
    assert (halted.body["action"], halted.body["account"], halted.body["escalation_id"]) == (
        "halt",
        "Globex",
        first["id"],
    )
    assert shown["halt"] is None  # deal 1's
    assert [d["halt"] and d["halt"]["state"] for d in shown["deals"]] == [None, "halted"]

    refused = acme.cli("resume", first["id"], "--deal", "2")
    assert refused.exit_code != OK  # not fixed yet
    acme.jira.set_status(first["jira"]["key"], "Done")
    acme.cli("sync", "--once")
    resumed = acme.cli("resume", first["id"], "--deal", "2", "--json")

    assert resumed.exit_code == OK, resumed.output
    assert [(r.body["action"], r.body["account"]) for r in receiver.received] == [
        ("halt", "Globex"),
        ("resume", "Globex"),
    ]
    assert [d["halt"] and d["halt"]["state"] for d in json.loads(resumed.stdout)["deals"]] == [
        None,
        "resumed",
    ]
