"""A burst of submissions waiting on a slow PagerDuty leaves the rest of the server free (finding 3).

Twelve submissions at once, every page hanging: before any of them is answered, the customer
status page and `/healthz` answer. Submissions wait for their page without holding a thread the
rest of the server needs.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from pydantic import SecretStr

from integrator.application.escalate import parse_report
from integrator.application.updates import share_status_page
from integrator.domain.escalation import Escalation, Page
from integrator.web.app import create_app
from tests.support import FakeClock, MemoryPager, MemoryTracker, make_services, report_data, write_config
from tests.web.serving import serving


class HangingPager(MemoryPager):
    """PagerDuty whose pages hang until the test lets them through; it counts the pages asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.asked = threading.Semaphore(0)

    def page(self, escalation: Escalation) -> Page:
        self.asked.release()
        self.release.wait(30)
        return super().page(escalation)


def test_twelve_waiting_submissions_leave_the_status_page_and_health_answering(tmp_path: Path) -> None:
    pager = HangingPager()
    settings = write_config(tmp_path).model_copy(update={"secret_key": SecretStr("k" * 40)})
    services = make_services(settings, clock=FakeClock(), pager=pager, tracker=MemoryTracker())
    shared, _ = services.escalator.submit(parse_report(report_data(title="Shared with the customer")))
    token = share_status_page(services.store, shared, by="priya@acme.example", now=services.clock.now())
    bearer = {"Authorization": f"Bearer {services.tokens.create('burst')}"}
    order: list[str] = []

    async def submit(n: int) -> int:
        async with httpx.AsyncClient(base_url=base, headers=bearer, timeout=30) as http:
            report = {**report_data(title=f"Burst {n}"), "idempotency_key": f"burst-{n}"}
            answer = await http.post("/api/v1/escalations", json=report)
            order.append("submission")
            return answer.status_code

    async def meanwhile() -> tuple[int, int]:
        await asyncio.to_thread(lambda: [pager.asked.acquire(timeout=20) for _ in range(12)])
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            status, health = await http.get(f"/status/{token}"), await http.get("/healthz")
        order.append("status page")
        pager.release.set()
        return status.status_code, health.status_code

    async def burst() -> tuple[list[int], tuple[int, int]]:
        submissions = asyncio.gather(*(submit(n) for n in range(12)))
        return await asyncio.gather(submissions, meanwhile())  # type: ignore[return-value]

    with serving(create_app(services, page_wait=20.0)) as base, ThreadPoolExecutor(1) as loop_thread:
        try:
            created, (status, health) = loop_thread.submit(asyncio.run, burst()).result(timeout=60)
        finally:
            pager.release.set()

    assert (status, health) == (200, 200)
    assert order[0] == "status page"  # answered while all twelve were still waiting for their page
    assert created == [201] * 12
    services.close()
