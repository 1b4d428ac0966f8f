"""The 48-hour fix clock and the RCA promise, run by sync passes under a controllable clock, with email
delivered through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from integrator import bootstrap
from integrator.application.escalate import parse_report
from integrator.application.retrying import RetryPolicy
from integrator.domain.escalation import EffectKind, EffectState, Escalation, IssueStatus
from integrator.settings import ProtocolSettings
from tests.integration.test_email import Inbox, plain_server, smtp_settings  # noqa: F401 - the fixture
from tests.support import FakeClock, MemoryPager, MemoryTracker, report_data, write_config

ENGINEER, SE, VP = "alice@acme.example", "priya@acme.example", "vp-eng@acme.example"


@dataclass
class Run:
    services: bootstrap.Services
    clock: FakeClock
    inbox: Inbox
    pager: MemoryPager
    tracker: MemoryTracker
    escalation: Escalation

    def at(self, hours: float) -> list[tuple[str, str]]:
        """Run a pass `hours` after the report; the (recipient, subject) of each email it sent."""
        self.clock.current = self.escalation.created_at + timedelta(hours=hours)
        before = len(self.inbox.messages)
        self.services.syncer.run_pass()
        return [(str(m["To"]), str(m["Subject"])) for m in self.inbox.received()[before:]]

    def current(self) -> Escalation:
        return self.services.store.get(self.escalation.id)


@pytest.fixture
def run(plain_server: tuple[Inbox, int], tmp_path: Path) -> Iterator[Run]:  # noqa: F811
    inbox, port = plain_server
    settings = write_config(tmp_path)
    settings.smtp = smtp_settings(port)
    # These tests follow the fix clock; the reminder to tell the customer has its own (test_disclosure).
    settings.protocol = ProtocolSettings(tell_customer_within_minutes=10 * 24 * 60)
    clock, pager, tracker = FakeClock(), MemoryPager(), MemoryTracker()
    services = bootstrap.build(settings, clock=clock, retry=RetryPolicy.none(), pager=pager, tracker=tracker)
    # Reported 10:00 in New York: the RCA is promised for 17:00 there, 7 hours later.
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    assert escalation.rca_due == escalation.created_at + timedelta(hours=7)
    yield Run(services, clock, inbox, pager, tracker, escalation)
    services.close()


def recipients(sent: list[tuple[str, str]]) -> list[str]:
    return sorted(to for to, _ in sent)


def test_each_reminder_fires_once_at_its_moment(run: Run) -> None:
    assert run.at(6.9) == []
    assert recipients(run.at(7)) == [ENGINEER, SE]  # the RCA promise is due
    assert run.at(7.5) == []
    assert run.at(23.9) == []
    half = run.at(24)
    assert recipients(half) == [ENGINEER, SE]
    assert all("Half the fix window gone" in subject for _, subject in half), half
    assert run.at(24.1) == []
    three_quarters = run.at(36)
    assert recipients(three_quarters) == [ENGINEER, SE]
    assert all("75% of the fix window gone" in subject for _, subject in three_quarters)
    assert run.at(47.9) == []

    breach = run.at(48)

    assert recipients(breach) == [ENGINEER, SE, VP]
    assert run.at(49) == []
    incident = run.current().page
    ticket = run.current().ticket
    assert incident is not None
    assert ticket is not None
    assert [text for i, text in run.pager.notes if i == incident.incident_id and "breached" in text]
    assert [text for k, text in run.tracker.comments if k == ticket.key and "breached" in text]
    assert run.pager.raised == [incident.incident_id]
    kinds = [e.kind for e in run.current().timeline if e.kind.startswith("clock:")]
    assert kinds == ["clock:rca", "clock:fix-50", "clock:fix-75", "clock:breach"]


def test_the_clocks_stop_when_the_fix_is_confirmed(run: Run) -> None:
    ticket = run.escalation.ticket
    assert ticket is not None
    assert recipients(run.at(24)) == [ENGINEER, ENGINEER, SE, SE]  # the RCA (7 h) and 50% reminders
    run.tracker.issues[ticket.key] = IssueStatus(ticket.key, "Done", "done", "Fixed")

    fixed = run.at(30)

    assert [to for to, _ in fixed] == [SE]  # the fix, told to the reporting SE
    assert run.at(36) == []
    assert run.at(48) == []
    assert run.at(72) == []
    assert not [e for e in run.current().timeline if e.kind in ("clock:fix-75", "clock:breach")]


def test_a_failing_mail_server_leaves_the_reminder_pending_until_a_later_pass_delivers_it(run: Run) -> None:
    run.at(8)  # the RCA reminder: delivered
    run.inbox.data_reply = "451 4.3.0 Mail server temporarily unavailable"

    assert run.at(24) == []

    pending = [
        f for f in run.current().effects if f.kind == EffectKind.EMAIL and f.state == EffectState.PENDING
    ]
    assert {f.target for f in pending} == {f"fix-50:{ENGINEER}", f"fix-50:{SE}"}
    assert all("451" in (f.last_error or "") for f in pending)
    run.inbox.data_reply = None

    delivered = run.at(25)  # past the backoff

    assert recipients(delivered) == [ENGINEER, SE]
    assert run.at(26) == []
