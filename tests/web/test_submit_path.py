"""The submit path never waits for Jira, and waits for PagerDuty only a bounded time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from integrator.application.escalate import parse_report
from integrator.domain.escalation import Escalation, Page, Ticket
from integrator.web.app import create_app
from tests.support import FakeClock, MemoryPager, MemoryTracker, make_services, report_data
from tests.web.conftest import LOCAL_URL, World, web_settings
from tests.web.helpers import InlineExecutor, eventually, submit_form


@dataclass
class HangingTracker(MemoryTracker):
    """Jira that takes up to 30 s to answer a create, until `answer` is set."""

    answer: threading.Event = field(default_factory=threading.Event)

    def file(self, escalation: Escalation) -> Ticket:
        self.answer.wait(30)
        return super().file(escalation)


@dataclass
class HangingPager(MemoryPager):
    answer: threading.Event = field(default_factory=threading.Event)

    def page(self, escalation: Escalation) -> Page:
        self.answer.wait(30)
        return super().page(escalation)


@pytest.fixture
def tracker() -> Iterator[HangingTracker]:
    hanging = HangingTracker()
    yield hanging
    hanging.answer.set()


def test_with_jira_hanging_the_form_answers_at_once_with_the_page_delivered_and_the_ticket_pending(
    browser: TestClient, world: World, tracker: HangingTracker
) -> None:
    started = time.monotonic()
    answer = submit_form(browser)
    page = browser.get(answer.headers["location"]).text
    elapsed = time.monotonic() - started

    assert elapsed < 2.0
    assert 'data-effect="page" data-state="delivered"' in page
    assert 'data-effect="ticket" data-state="pending"' in page
    assert "Some effects are still pending; this page updates itself." in page

    tracker.answer.set()  # Jira comes back: the background run files the ticket
    eventually(lambda: bool(tracker.tickets))
    escalation_id = answer.headers["location"].rsplit("/", 1)[1]
    eventually(lambda: world.services.store.get(escalation_id).ticket is not None)


def test_with_jira_hanging_the_api_answers_at_once_with_the_page_delivered(
    client: TestClient, bearer: dict[str, str], tracker: HangingTracker
) -> None:
    started = time.monotonic()
    answer = client.post("/api/v1/escalations", json=report_data(), headers=bearer)

    assert time.monotonic() - started < 2.0
    states = {e["kind"]: e["state"] for e in answer.json()["effects"]}
    assert states == {"page": "done", "ticket": "pending", "link": "pending", "email": "pending"}
    tracker.answer.set()


def test_with_pagerduty_hanging_the_reply_comes_after_the_bounded_wait_with_the_page_pending(
    tmp_path: Path,
) -> None:
    pager = HangingPager()
    services = make_services(web_settings(tmp_path, mode="none"), clock=FakeClock(), pager=pager)
    app = create_app(services, page_wait=0.3)
    with TestClient(app, base_url=LOCAL_URL) as client:
        started = time.monotonic()
        answer = client.post("/api/v1/escalations", json=report_data())
        elapsed = time.monotonic() - started
        pager.answer.set()

    assert 0.3 <= elapsed < 1.5
    assert answer.status_code == 201
    assert {e["kind"]: e["state"] for e in answer.json()["effects"]}["page"] == "pending"
    assert pager.pages  # the page went out once PagerDuty answered, after the reply


def test_effects_a_dead_process_left_pending_are_driven_by_the_next_servers_sync_pass(
    tmp_path: Path,
) -> None:
    pager, tracker = MemoryPager(), MemoryTracker()
    services = make_services(web_settings(tmp_path, mode="none"), pager=pager, tracker=tracker)
    stored, _ = services.escalator.submit(parse_report(report_data()))  # stored, then the process died

    with TestClient(create_app(services, sync_every=0.05), base_url=LOCAL_URL):
        eventually(lambda: services.store.get(stored.id).effects[-1].state.value == "done")

    assert list(pager.pages) == [stored.id]
    assert list(tracker.tickets) == [f"integrator-{stored.id}"]


def test_with_an_injected_executor_every_effect_is_done_when_the_api_answers(tmp_path: Path) -> None:
    pager, tracker = MemoryPager(), MemoryTracker()
    services = make_services(web_settings(tmp_path, mode="none"), pager=pager, tracker=tracker)
    with TestClient(create_app(services, executor=InlineExecutor), base_url=LOCAL_URL) as client:
        answer = client.post("/api/v1/escalations", json=report_data())

    stored = services.store.get(answer.json()["id"])
    assert answer.status_code == 201
    assert {f.kind.value: f.state.value for f in stored.effects} == {
        "page": "done",
        "ticket": "done",
        "link": "done",
        "email": "done",
    }
    assert list(pager.pages) == [stored.id]
    assert list(tracker.tickets) == [f"integrator-{stored.id}"]
