"""Chaos: schedules of faults, made by Hypothesis, over several escalations; nothing lost, nothing twice.

Each example runs a schedule against the real `jira` and `pagerduty` clients talking to the
loopback fakes and a real SMTP server (aiosmtpd): reports arrive while Jira and PagerDuty answer
5xx, 429 (with and without a hint), drop the connection before or after applying a write, or are
slow; SMTP answers 451; a worker dies holding its leases; a fresh process takes over; two workers
drive at once. Then the faults heal, time moves on and the sync runs until nothing is due, and the
invariants must hold:

- exactly one PagerDuty incident and one Jira P1 per escalation, each carrying its escalation;
- one cross-link note per incident, one remote link per P1;
- every owed email delivered exactly once;
- every effect done (none pending; a failed one would need a reason, and none is expected here);
- every escalation's timeline tells the report, the page, the P1 and the link, once each.

`CHAOS_EXAMPLES` sets how many schedules run (a few in `make test`, many in `make chaos`); a
failing schedule is printed by Hypothesis and can be replayed with its seed.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from integrator import bootstrap
from integrator.adapters.smtp import SmtpMailer
from integrator.application.escalate import parse_report
from integrator.application.retrying import RetryPolicy
from integrator.bootstrap import Services
from integrator.domain.escalation import EffectState
from tests.databases import fresh_postgres, postgres_admin_url
from tests.fakes import Delay, Drop, FakeJira, FakePagerDuty, Status
from tests.fakes.clients import real_clients
from tests.integration.test_email import LoopbackController, smtp_settings
from tests.support import FakeClock, report_data, write_config

EXAMPLES = int(os.environ.get("CHAOS_EXAMPLES", "8"))
WRITES = r"/rest/api/2/issue.*|/incidents.*"

FAULTS = st.sampled_from(
    [
        Status(500),
        Status(503, {"Retry-After": "1"}),
        Status(429, {"Retry-After": "2"}),
        Status(429, {"ratelimit-reset": "2"}),
        Status(429),
        Drop(after_apply=False),
        Drop(after_apply=True),  # the most treacherous: applied, but the answer is lost
        Drop(after_apply=True),
        Drop(after_apply=True),
        Delay(0.2),
    ]
)
REPORT = st.tuples(st.just("report"))
STEPS = st.one_of(  # reports weigh three times as much: a fault needs traffic to meet
    REPORT,
    REPORT,
    REPORT,
    st.tuples(st.just("jira"), FAULTS),
    st.tuples(st.just("jira"), FAULTS),
    st.tuples(st.just("pagerduty"), FAULTS),
    st.tuples(st.just("pagerduty"), FAULTS),
    st.tuples(st.just("smtp")),
    st.tuples(st.just("drive")),
    st.tuples(st.just("die holding leases")),
    st.tuples(st.just("restart")),
    st.tuples(st.just("two workers")),
    st.tuples(st.just("later"), st.integers(min_value=1, max_value=600)),
)


@dataclass
class FlakyInbox:
    """An SMTP server's handler: keeps what it is sent; answers 451 to the next `refuse` messages."""

    messages: list[Envelope] = field(default_factory=list)
    refuse: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 Try again later"
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class World:
    folder: Path
    database_url: str
    jira: FakeJira
    pagerduty: FakePagerDuty
    inbox: FlakyInbox
    smtp_port: int
    clock: FakeClock
    stack: ExitStack
    reports: int = 0
    current: Services | None = None

    def process(self) -> Services:
        """A process of integrator: its own clients and services on the shared database."""
        tracker, pager = real_clients(self.jira, self.pagerduty, timeout=5)
        self.stack.callback(tracker.close)
        self.stack.callback(pager.close)
        services = bootstrap.build(
            write_config(self.folder, database_url=self.database_url),
            clock=self.clock,
            retry=RetryPolicy.none(),
            pager=pager,
            tracker=tracker,
            mailer=SmtpMailer(smtp_settings(self.smtp_port)),
        )
        self.stack.callback(services.close)
        return services

    @property
    def services(self) -> Services:
        if self.current is None:
            self.current = self.process()
        return self.current


@contextmanager
def world(database: str = "sqlite") -> Iterator[World]:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/integrator.db"
        if database == "postgres":
            url = stack.enter_context(fresh_postgres(postgres_admin_url()))
        jira = stack.enter_context(FakeJira())
        pagerduty = stack.enter_context(FakePagerDuty())
        inbox = FlakyInbox()
        smtp = LoopbackController(inbox, hostname="127.0.0.1", port=0)
        smtp.start()
        stack.callback(smtp.stop)
        yield World(Path(folder), url, jira, pagerduty, inbox, smtp.port, FakeClock(), stack)


def step(w: World, action: tuple[Any, ...]) -> None:
    kind = action[0]
    if kind == "report":
        w.reports += 1
        data = report_data(title=f"Failure {w.reports}")
        w.services.escalator.escalate(parse_report({**data, "idempotency_key": f"chaos-{w.reports}"}))
    elif kind in ("jira", "pagerduty"):
        fake = w.jira if kind == "jira" else w.pagerduty
        fake.faults.add("POST", WRITES, action[1], times=1)
    elif kind == "smtp":
        w.inbox.refuse += 1
    elif kind == "drive":
        w.services.dispatcher.drive_due()
    elif kind == "die holding leases":
        die_holding_leases(w)
    elif kind == "restart":
        w.current = w.process()
    elif kind == "two workers":
        two_workers(w)
    elif kind == "later":
        w.clock.advance(seconds=action[1])


def die_holding_leases(w: World) -> None:
    """A worker claims everything due, then dies: its leases must run out, and the work be done once."""
    store, now = w.services.store, w.clock.now()
    for escalation in store.load(store.due_escalations(now=now)):
        pending = [e.id for e in escalation.effects if e.state == EffectState.PENDING]
        store.claim(pending, now=now, lease_until=now + w.services.dispatcher.lease)


def two_workers(w: World) -> None:
    first, second = w.services, w.process()
    threads = [threading.Thread(target=s.dispatcher.drive_due) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def heal(w: World) -> None:
    """The faults clear; time moves on; the sync runs until nothing is due (bounded)."""
    w.jira.faults.clear()
    w.pagerduty.faults.clear()
    w.inbox.refuse = 0
    for _ in range(30):
        w.clock.advance(minutes=20)
        summary = w.services.syncer.run_pass()
        if not summary.pending:
            return


def check(w: World) -> None:
    escalations = w.services.store.recent(limit=1000)
    assert len(escalations) == w.reports
    incidents = Counter(i.incident_key for i in w.pagerduty.incidents)
    issues = Counter(
        label for issue in w.jira.issues for label in issue.labels if label.startswith("integrator-")
    )
    for e in escalations:
        assert incidents[e.id] == 1, f"{e.id}: {incidents[e.id]} incidents"
        assert issues[e.label] == 1, f"{e.id}: {issues[e.label]} P1s"
        assert {f.state for f in e.effects} == {EffectState.DONE}, [
            (f.kind, f.state, f.last_error) for f in e.effects
        ]
        told = Counter(ev.kind for ev in e.timeline)
        assert [told[k] for k in ("reported", "paged", "ticket_filed", "linked")] == [1, 1, 1, 1], told
        assert e.page is not None
        assert e.ticket is not None
        notes = [n.content for n in w.pagerduty.incident(e.page.incident_id).notes]
        assert sum(n.startswith("Jira P1:") for n in notes) == 1, notes
        assert len(w.jira.issue(e.ticket.key).links) == 1
    owed = Counter((f.payload["to"], f.target) for e in escalations for f in e.effects if f.kind == "email")
    delivered = Counter(address for m in w.inbox.messages for address in m.rcpt_tos)
    assert sum(owed.values()) == len(w.inbox.messages), (owed, delivered)
    assert delivered == Counter(to for to, _ in owed.elements()), (owed, delivered)


SCHEDULES = st.lists(STEPS, min_size=4, max_size=18)


def run(schedule: list[tuple[Any, ...]], database: str) -> None:
    note(f"schedule: {schedule}")
    with world(database) as w:
        step(w, ("report",))  # at least one escalation goes through the storm
        for action in schedule:
            step(w, action)
        heal(w)
        check(w)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("CHAOS_SEED") is None and "CI" in os.environ,
)
@given(schedule=SCHEDULES)
def test_no_schedule_of_faults_loses_or_repeats_a_page_a_p1_or_an_email(
    schedule: list[tuple[Any, ...]],
) -> None:
    run(schedule, "sqlite")


@pytest.mark.postgres
@settings(
    max_examples=max(1, EXAMPLES // 2),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("CHAOS_SEED") is None and "CI" in os.environ,
)
@given(schedule=SCHEDULES)
def test_on_postgresql_two_workers_and_every_fault_still_page_and_file_once(
    schedule: list[tuple[Any, ...]],
) -> None:
    run([*schedule, ("two workers",)], "postgres")
