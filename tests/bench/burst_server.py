"""The server process `bench_burst` measures: `create_app` over slow in-memory fakes, with counters.

Run by `bench_burst` as `python -m tests.bench.burst_server OPTIONS_JSON`. It builds the services
(SQLite in the options' folder, or `database_url`), prints one JSON line (an API token and, with
`share`, a shared status page's token), then serves until SIGTERM. Two routes are added for the
bench alone: `/bench/pages` (when each escalation's page was asked for and delivered, `time.monotonic()`) and
`/bench/counts` (commits and statements so far, by the lane whose thread ran them).
"""

from __future__ import annotations

import gc
import json
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integrator.domain.escalation import Escalation, Page, Ticket
from tests.support import MemoryPager, MemoryTracker


@dataclass
class SlowPager(MemoryPager):
    """PagerDuty answering after `delay` seconds; notes when each page was asked for and delivered."""

    delay: float = 0.0
    asked: dict[str, float] = field(default_factory=dict)
    delivered: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, escalation: Escalation) -> Page:
        self.asked[escalation.id] = time.monotonic()
        time.sleep(self.delay)
        with self.lock:  # incident ids are numbered: one at a time
            page = super().page(escalation)
        self.delivered[escalation.id] = time.monotonic()
        return page


@dataclass
class SlowTracker(MemoryTracker):
    """Jira answering every create after `delay` seconds."""

    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def file(self, escalation: Escalation) -> Ticket:
        time.sleep(self.delay)
        with self.lock:
            return super().file(escalation)


class SqlCounts:
    """Commits and statements on one engine, by lane: the thread's pool tells which."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.counts: Counter[str] = Counter()
        self.collections: Counter[str] = Counter()  # see `watch_collections`
        self.lock = threading.Lock()
        event.listen(engine, "commit", lambda *_: self._add("commits"))
        event.listen(engine, "before_cursor_execute", lambda *_: self._add("statements"))

    def _add(self, what: str) -> None:
        name = threading.current_thread().name
        lane = "page" if name.startswith("integrator-pages") else "request"
        lane = "background" if name.startswith("integrator-effects") else lane
        with self.lock:
            self.counts[f"{lane} {what}"] += 1

    def snapshot(self) -> dict[str, int]:
        """The counts so far, the process's CPU time (every thread) and the full collections of
        the garbage collector (how many, and their time), in microseconds."""
        with self.lock:
            return {**self.counts, **self.collections, "cpu_us": int(time.process_time() * 1e6)}

    def watch_collections(self) -> None:
        """Time every full (oldest-generation) collection: it stops every thread while it runs."""
        started = [0.0]

        def timed(phase: str, info: dict[str, int]) -> None:
            if info["generation"] != 2:
                return
            if phase == "start":
                started[0] = time.perf_counter()
                return
            took = int((time.perf_counter() - started[0]) * 1e6)
            with self.lock:
                self.collections["gc_full"] += 1
                self.collections["gc_full_us"] += took

        gc.callbacks.append(timed)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def build(options: dict[str, Any]) -> tuple[Any, SlowPager | None]:
    """The services as the options ask: slow fakes, or none at all (the dry-run stand-ins)."""
    from pydantic import SecretStr

    from integrator.application.ports import SystemClock
    from integrator.application.retrying import RetryPolicy
    from tests.support import make_services, write_config

    settings = write_config(Path(options["folder"]), database_url=options.get("database_url"))
    settings = settings.model_copy(update={"secret_key": SecretStr("bench-" + "k" * 32)})
    pager = None if options.get("dry_run") else SlowPager(delay=options.get("pager_delay", 0.0))
    tracker = None if options.get("dry_run") else SlowTracker(delay=options.get("tracker_delay", 0.0))
    services = make_services(
        settings, clock=SystemClock(), pager=pager, tracker=tracker, retry=RetryPolicy.none()
    )
    return services, pager


def shared_status_page(services: Any) -> str:
    """A stored escalation whose customer status page is shared; its token."""
    from integrator.application.escalate import parse_report
    from integrator.application.updates import share_status_page
    from tests.support import report_data

    report = parse_report({**report_data(title="Shared with the customer"), "idempotency_key": "shared"})
    escalation, _ = services.escalator.submit(report)
    return share_status_page(services.store, escalation, by="bench", now=services.clock.now())


def serve(options: dict[str, Any]) -> None:
    import uvicorn

    from integrator.web.app import create_app
    from integrator.web.server import settle_heap

    services, pager = build(options)
    counts = SqlCounts(services.store.engine)
    counts.watch_collections()
    ready = {"token": services.tokens.create("bench")}
    if options.get("share"):
        ready["status_token"] = shared_status_page(services)
    app = create_app(services, page_wait=options.get("page_wait", 3.0))

    async def pages() -> dict[str, dict[str, float]]:
        if pager is None:
            return {"asked": {}, "delivered": {}}
        return {"asked": dict(pager.asked), "delivered": dict(pager.delivered)}

    async def sql() -> dict[str, int]:
        return counts.snapshot()

    app.add_api_route("/bench/pages", pages, methods=["GET"])
    app.add_api_route("/bench/counts", sql, methods=["GET"])
    settle_heap()  # as `integrator serve` does
    print(json.dumps(ready), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=options["port"], log_level="warning", access_log=False, ws="none")


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
