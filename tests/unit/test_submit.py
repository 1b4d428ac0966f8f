"""The submit path on the in-memory store: pages have their own lane, a hanging Jira delays none."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from integrator.application.escalate import parse_report
from integrator.application.submit import Submitter
from integrator.bootstrap import Services
from integrator.domain.escalation import Escalation, Ticket
from tests.support import FakeClock, MemoryPager, MemoryTracker, memory_services, report_data


class HangingTracker(MemoryTracker):
    """Jira whose every create hangs until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def file(self, escalation: Escalation) -> Ticket:
        self.release.wait(30)
        return super().file(escalation)


class Counts:
    def __init__(self) -> None:
        self.paged_ids: list[str] = []

    def submitted(self, channel: str, *, created: bool) -> None: ...

    def paged(self, escalation: Escalation) -> None:
        self.paged_ids.append(escalation.id)

    def background_failed(self) -> None: ...


def submitter(services: Services, *, background_workers: int) -> tuple[Submitter, Counts]:
    counts = Counts()
    lanes = ThreadPoolExecutor(8), ThreadPoolExecutor(background_workers)
    built = Submitter(
        escalator=services.escalator,
        dispatcher=services.dispatcher,
        store=services.store,
        page_lane=lanes[0],
        background=lanes[1],
        metrics=counts,
        page_wait=10.0,
    )
    return built, counts


def test_with_every_jira_create_hanging_each_of_ten_reports_is_answered_with_its_page(tmp_path: Path) -> None:
    pager, tracker = MemoryPager(), HangingTracker()
    services = memory_services(tmp_path, clock=FakeClock(), pager=pager, tracker=tracker)
    path, counts = submitter(services, background_workers=2)  # both stuck in Jira after the first report
    reports = [parse_report(report_data(title=f"Failure {n}")) for n in range(10)]

    async def all_at_once() -> list[tuple[Escalation, bool]]:
        return await asyncio.gather(*(path.submit_async(r, channel="api") for r in reports))

    try:  # a loop of its own, in a thread of its own (a browser test's loop may be running in this one)
        with ThreadPoolExecutor(1) as loop_thread:
            answered = loop_thread.submit(asyncio.run, all_at_once()).result()
    finally:
        tracker.release.set()
        path.page_lane.shutdown(wait=True)
        path.background.shutdown(wait=True)

    assert all(e.page is not None for e, _ in answered)
    assert len({e.page.incident_id for e, _ in answered if e.page}) == 10
    assert sorted(counts.paged_ids) == sorted(e.id for e, _ in answered)
    assert all(e.ticket is None for e, _ in answered)  # the reply never waited for Jira
    assert len(tracker.tickets) == 10  # and once Jira answers, every P1 is filed


def test_a_repeated_report_is_answered_with_the_first_escalation_and_no_second_page(tmp_path: Path) -> None:
    pager = MemoryPager()
    services = memory_services(tmp_path, clock=FakeClock(), pager=pager, tracker=MemoryTracker())
    path, _ = submitter(services, background_workers=2)
    report = parse_report({**report_data(), "idempotency_key": "once"})

    first, created = path.submit(report, channel="form")
    again, created_again = path.submit(report, channel="form")
    path.page_lane.shutdown(wait=True)
    path.background.shutdown(wait=True)

    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert pager.calls.count("page") == 1
