"""Two sync workers on one database: leases keep every comment, note and email single."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from integrator.application.escalate import parse_report
from integrator.application.retrying import RetryPolicy
from integrator.bootstrap import Services, build
from integrator.domain.escalation import Message
from integrator.settings import Settings
from tests.fakes import FakeJira, FakePagerDuty
from tests.fakes.clients import real_clients
from tests.fakes.world import ALICE
from tests.support import FakeClock, report_data, write_config

OPEN = 200


@dataclass
class RecordingMailer:
    sent: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: Message) -> None:
        with self.lock:
            self.sent.append(message)


def worker(settings: Settings, jira: FakeJira, pagerduty: FakePagerDuty, mailer: RecordingMailer) -> Services:
    tracker, pager = real_clients(jira, pagerduty)
    return build(
        settings, clock=FakeClock(), retry=RetryPolicy.none(), pager=pager, tracker=tracker, mailer=mailer
    )


@pytest.fixture
def workers(
    database_url: str, tmp_path: Path, fake_jira: FakeJira, fake_pagerduty: FakePagerDuty
) -> Iterator[tuple[Services, Services, RecordingMailer]]:
    settings = write_config(tmp_path, database_url=database_url)
    mailer = RecordingMailer()
    pair = [worker(settings, fake_jira, fake_pagerduty, mailer) for _ in range(2)]
    yield pair[0], pair[1], mailer
    for services in pair:
        services.syncer.pager.close()  # type: ignore[attr-defined]
        services.syncer.tracker.close()  # type: ignore[attr-defined]
        services.store.engine.dispose()


@pytest.mark.timeout(300)  # 200 escalations through real clients and two workers: about a minute
def test_two_workers_process_200_open_escalations_without_duplicates(
    workers: tuple[Services, Services, RecordingMailer], fake_jira: FakeJira, fake_pagerduty: FakePagerDuty
) -> None:
    first, second, mailer = workers
    for n in range(OPEN):
        data = report_data(title=f"Batch ingest drops rows (run {n})")
        first.escalator.submit(parse_report({**data, "idempotency_key": f"poc-{n}"}))
    assert not fake_pagerduty.incidents  # submitted only: the workers page them

    def run(services: Services) -> None:
        services.syncer.run_pass()

    def both() -> None:
        threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    both()  # pages, tickets, cross-links and the "escalated" emails, shared between the two
    for incident in fake_pagerduty.incidents:
        fake_pagerduty.acknowledge(incident.id, ALICE.id)
    both()  # the acknowledgements flow to Jira and to each reporting SE
    both()  # and a third pass adds nothing

    assert len(fake_pagerduty.incidents) == OPEN
    assert len(fake_jira.issues) == OPEN
    for issue in fake_jira.issues:
        bodies = Counter(c.body for c in issue.comments)
        assert all(count == 1 for count in bodies.values()), bodies
        assert sum(b.startswith("Acknowledged in PagerDuty") for b in bodies) == 1
    for incident in fake_pagerduty.incidents:
        notes = Counter(n.content for n in incident.notes)
        assert all(count == 1 for count in notes.values()), notes
    emails = Counter((m.to, m.subject, m.body) for m in mailer.sent)
    assert all(count == 1 for count in emails.values())
    assert len(mailer.sent) == len(emails)
    assert len(first.store.recent(limit=1000)) == OPEN
