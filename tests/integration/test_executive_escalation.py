"""Executive escalation at once, and the reminder to tell the customer: sync passes on a controllable
clock, email through a real SMTP server on loopback (aiosmtpd), SQLite and PostgreSQL stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from integrator import bootstrap
from integrator.application.disclosure import disclosure
from integrator.application.escalate import parse_report
from integrator.application.retrying import RetryPolicy
from integrator.application.updates import CustomerUpdate, next_update_number, send_customer_update
from integrator.domain.escalation import Escalation, IssueStatus
from integrator.domain.report import FailureReport
from tests.contract.test_store_contract import POOL_TRACE
from tests.integration.test_email import Inbox, plain_server, smtp_settings  # noqa: F401 - the fixture
from tests.support import CATALOG, FakeClock, MemoryPager, MemoryTracker, report_data, write_config

ENGINEER, SE, SPONSOR = "alice@acme.example", "priya@acme.example", "dana@acme.example"
DIRECTOR, VP = "eng-director@acme.example", "vp-eng@acme.example"
# The defaults name the VP; the ingest team, which owns the report's location, names its director instead.
EXECUTIVES = CATALOG.replace(
    '[defaults]\nowner = "@acme/platform"',
    '[defaults]\nowner = "@acme/platform"\nexecutive_escalation = ["vp-eng@acme.example"]',
).replace(
    'breach_contacts = ["vp-eng@acme.example"]',
    'breach_contacts = ["vp-eng@acme.example"]\nexecutive_escalation = ["eng-director@acme.example"]',
)


@dataclass
class Run:
    services: bootstrap.Services
    clock: FakeClock
    inbox: Inbox
    tracker: MemoryTracker
    escalation: Escalation

    def at(self, **delta: float) -> list[EmailMessage]:
        """Run a sync pass `delta` after the report; the emails it sent."""
        self.clock.current = self.escalation.created_at + timedelta(**delta)
        before = len(self.inbox.messages)
        self.services.syncer.run_pass()
        return self.inbox.received()[before:]

    def current(self) -> Escalation:
        return self.services.store.get(self.escalation.id)


@pytest.fixture
def run(plain_server: tuple[Inbox, int], tmp_path: Path, database_url: str) -> Iterator[Run]:  # noqa: F811
    inbox, port = plain_server
    settings = write_config(tmp_path, catalog=EXECUTIVES, database_url=database_url)
    settings.smtp = smtp_settings(port)
    clock, tracker = FakeClock(), MemoryTracker()
    services = bootstrap.build(
        settings, clock=clock, retry=RetryPolicy.none(), pager=MemoryPager(), tracker=tracker
    )
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    yield Run(services, clock, inbox, tracker, escalation)
    services.close()


def mail_to(messages: list[EmailMessage], address: str) -> EmailMessage:
    (found,) = [m for m in messages if str(m["To"]) == address]
    return found


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


def test_the_executive_escalation_is_told_at_report_time_in_words_for_the_role(run: Run) -> None:
    sent = run.inbox.received()

    assert sorted(str(m["To"]) for m in sent) == sorted([ENGINEER, SE, SPONSOR, DIRECTOR])
    director = body(mail_to(sent, DIRECTOR))
    assert str(mail_to(sent, DIRECTOR)["Subject"]).startswith("Escalated: [POC] Globex ($480k ARR)")
    assert "Deal: Globex, 480,000 USD ARR." in director
    assert "ARR at risk: 480,000 USD." in director
    assert "Who owns it: @acme/ingest (ingest-api); owning engineer alice@acme.example." in director
    assert "Promises to the customer\n  - Root-cause analysis by 2026-11-28 22:00 UTC: due" in director
    assert "  - Fix by 2026-11-30 15:00 UTC: due" in director
    assert "You are the executive escalation for @acme/ingest" in director
    # The other roles keep their own words.
    sponsor = body(mail_to(sent, SPONSOR))
    assert "Deal: Globex, 480,000 USD ARR." in sponsor
    assert "executive escalation" not in sponsor
    assert "ARR at risk" not in sponsor
    engineer = body(mail_to(sent, ENGINEER))
    assert "Why you: 'services/ingest/api/batch.py' matches line 4" in engineer
    assert "ARR at stake: 480,000 USD" in engineer
    reporter = body(mail_to(sent, SE))
    assert "Next: tell Hank Scorpio <hank@globex.example>" in reporter


def test_the_executive_escalation_is_told_again_at_breach_and_at_fix_and_breach_contacts_keep_theirs(
    run: Run,
) -> None:
    send_customer_update(  # the customer is told: no reminder in this test's mail
        run.services.store,
        run.current(),
        CustomerUpdate.checked(to="hank@globex.example", subject="Update", body="We are on it."),
        number=next_update_number(run.current()),
        by=SE,
        now=run.clock.now(),
    )
    run.at(hours=47)  # the update goes out; the RCA, 50% and 75% reminders come and go

    breach = run.at(hours=48)

    assert sorted(str(m["To"]) for m in breach) == sorted([ENGINEER, SE, VP, DIRECTOR])
    assert "You are a breach contact of @acme/ingest." in body(mail_to(breach, VP))
    director = body(mail_to(breach, DIRECTOR))
    assert str(mail_to(breach, DIRECTOR)["Subject"]).startswith("OVERDUE: ")
    assert "The fix is overdue" in director
    assert "ARR at risk: 480,000 USD." in director

    ticket = run.current().ticket
    assert ticket is not None
    run.tracker.issues[ticket.key] = IssueStatus(ticket.key, "Done", "done", "Fixed")
    fixed = run.at(hours=50)

    assert sorted(str(m["To"]) for m in fixed) == [DIRECTOR, SE]
    assert "The fix is confirmed" in body(mail_to(fixed, DIRECTOR))
    rows = {(row.role.value, row.email): row for row in disclosure(run.current())}
    assert rows[("executive_escalation", DIRECTOR)].state.value == "told"
    assert "the breach (sent)" in rows[("executive_escalation", DIRECTOR)].detail
    assert rows[("breach_contact", VP)].state.value == "told"


def test_the_reporter_is_reminded_once_at_the_minute_when_the_customer_is_not_told(run: Run) -> None:
    run.inbox.messages.clear()

    assert run.at(minutes=59) == []
    reminded = run.at(minutes=60)

    assert [str(m["To"]) for m in reminded] == [SE]
    assert str(reminded[0]["Subject"]).startswith("The customer has not been told: [POC] Globex")
    text = body(reminded[0])
    assert "Globex has not been sent an update since the failure was escalated" in text
    assert "Next: tell Hank Scorpio <hank@globex.example>" in text
    assert run.at(minutes=61) == []
    assert run.at(hours=3) == []
    events = [e for e in run.current().timeline if e.kind == "clock:tell_customer"]
    assert [e.text for e in events] == [
        "Reminded priya@acme.example that the customer has not been told"
        " (60 minutes after the report, no customer update sent)"
    ]
    (buyer,) = [row for row in disclosure(run.current()) if row.role.value == "economic_buyer"]
    assert buyer.state.value == "pending"
    assert "the reporting SE was reminded at" in buyer.detail


def test_no_reminder_once_the_customer_update_is_sent(run: Run) -> None:
    run.at(minutes=30)
    update = CustomerUpdate.checked(to="hank@globex.example", subject="Update", body="We are on it.")
    escalation = run.current()
    number = next_update_number(escalation)
    send_customer_update(run.services.store, escalation, update, number=number, by=SE, now=run.clock.now())
    run.inbox.messages.clear()

    sent = run.at(minutes=60) + run.at(hours=2)

    assert [str(m["To"]) for m in sent] == ["hank@globex.example"]  # the update itself, not a reminder
    assert not [e for e in run.current().timeline if e.kind == "clock:tell_customer"]
    (buyer,) = [row for row in disclosure(run.current()) if row.role.value == "economic_buyer"]
    assert (buyer.state.value, buyer.channel) == ("told", "customer update")


def test_a_linked_deals_se_is_reminded_of_their_own_customer_an_hour_after_their_report(run: Run) -> None:
    def deal(account: str, se: str) -> FailureReport:
        data = report_data(stack_trace=POOL_TRACE.format(line=88))
        data["deal"] = {
            "account": account,
            "arr": 500000,
            "economic_buyer": {"email": f"buyer@{account}.example"},
        }
        data["reporter"] = {"name": se, "email": f"{se}@acme.example", "time_zone": "America/New_York"}
        return parse_report(data)

    first, _ = run.services.escalator.escalate(deal("initech", "sam"))
    run.clock.current = first.created_at + timedelta(minutes=30)
    joined, _ = run.services.escalator.escalate(deal("hooli", "kim"))
    assert joined.id == first.id
    run.escalation = first
    run.inbox.messages.clear()

    reminded = [str(m["To"]) for m in run.at(minutes=60)]
    assert "sam@acme.example" in reminded  # deal 1's, as before
    assert "kim@acme.example" not in reminded + [str(m["To"]) for m in run.at(minutes=89)]
    (second,) = [m for m in run.at(minutes=90) if str(m["To"]) == "kim@acme.example"]

    assert str(second["Subject"]).startswith("The customer has not been told: [POC] hooli")
    text = body(second)
    assert "hooli has not been sent an update since the failure was escalated at" in text
    assert "10:30" in text  # deal 2's report, in its SE's time zone (15:30 UTC)
    assert "Next: tell buyer@hooli.example" in text
    assert [m for m in run.at(hours=3) if str(m["To"]) == "kim@acme.example"] == []
    (buyer,) = [r for r in disclosure(run.current()) if r.role.value == "economic_buyer" and r.deal == 2]
    assert "the reporting SE was reminded at" in buyer.detail
