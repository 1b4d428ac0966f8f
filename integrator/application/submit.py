"""The submit path: accept a report in one commit, page at once on its own lane, never wait for Jira.

A report is durable once `Escalator.submit` has committed it. The page then runs on the page
lane, a pool that runs nothing but pages, so a hanging Jira, SMTP server or chat webhook can
delay no page; when the page is out, the rest (ticket, link, emails, chat) goes to the
background lane. The reply waits for its own page at most `page_wait` seconds: `submit_async`
waits without holding a thread, `submit` (for callers that are threads already) blocks. Effects
are leased in the store, so the lanes and `integrator sync` never run one together; if the
process dies, sync picks the rest up.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from integrator.application.dispatch import Dispatcher
from integrator.application.escalate import Escalator
from integrator.application.ports import EscalationStore, Hold, SubmitMetrics
from integrator.application.turnstile import Turnstile
from integrator.domain.escalation import Effect, EffectKind, EffectState, Escalation
from integrator.domain.report import FailureReport
from integrator.errors import Conflict

log = logging.getLogger(__name__)

STORING_AT_ONCE = 4  # enough to overlap one report's commit with the next one's parsing


@dataclass
class Submitter:
    escalator: Escalator
    dispatcher: Dispatcher
    store: EscalationStore
    page_lane: Executor  # pages only
    background: Executor  # everything after the page
    metrics: SubmitMetrics
    page_wait: float
    # Reports are stored a few at a time, in the order they came: under a burst each waits its
    # turn instead of a lottery for the GIL and the database (the tail stays near the median).
    turnstile: Turnstile = field(default_factory=lambda: Turnstile(STORING_AT_ONCE))

    def accept(
        self, report: FailureReport, *, channel: str
    ) -> tuple[Escalation, bool, Future[Escalation] | None]:
        """Store the report (one commit) and start its page; (escalation, created, the page's run).

        The same idempotency key with the same report gives the first escalation; with a
        different report it is a `Conflict` (the key would otherwise hide the new failure).
        """
        with self.turnstile.passing():
            escalation, created, page = self._store(report, channel=channel)
        if page is None:
            return escalation, created, None
        paging = self.page_lane.submit(page)
        paging.add_done_callback(self._report_crash)
        return escalation, created, paging

    async def submit_with(
        self, prepare: Callable[[], tuple[FailureReport, list[str]]], *, channel: str
    ) -> tuple[FailureReport, list[str], Escalation, bool]:
        """`submit_async` for a report `prepare` reads (with its warnings) on the page lane, where
        it is stored and then paged: one trip off the event loop for the whole page path.

        (report, warnings, the escalation as its page left it or as stored, created)."""
        accepted: Future[tuple[FailureReport, list[str], Escalation, bool]] = Future()
        context = contextvars.copy_context()  # the request's log fields go along
        paging = self.page_lane.submit(context.run, self._accept_then_page, prepare, channel, accepted)
        paging.add_done_callback(self._report_crash)
        report, warnings, escalation, created = await asyncio.wrap_future(accepted)
        return report, warnings, await self.paged(escalation, paging), created

    def _accept_then_page(
        self,
        prepare: Callable[[], tuple[FailureReport, list[str]]],
        channel: str,
        accepted: Future[tuple[FailureReport, list[str], Escalation, bool]],
    ) -> Escalation | None:
        try:
            with self.turnstile.passing():
                report, warnings = prepare()
                escalation, created, page = self._store(report, channel=channel)
        except Exception as exc:  # bad input, a conflict, the store down: the request's to answer
            accepted.set_exception(exc)
            return None
        accepted.set_result((report, warnings, escalation, created))
        return page() if page else None

    def _store(
        self, report: FailureReport, *, channel: str
    ) -> tuple[Escalation, bool, Callable[[], Escalation] | None]:
        """Store the report: (escalation, created, its page to run, when one is owed or pending)."""
        hold = self.dispatcher.hold(EffectKind.PAGE)  # stored claimed: the page lane runs it at once
        escalation, created, held = self.escalator.accept(report, hold=hold)
        if not created and report not in [deal.report for deal in escalation.deals]:
            raise Conflict(
                f"idempotency_key {report.idempotency_key!r} was already used for a different report"
                f" (escalation {escalation.id}); nothing new was stored",
                existing=escalation.id,
            )
        self.metrics.submitted(channel, created=created)
        if not any(f.state == EffectState.PENDING for f in escalation.effects):
            return escalation, created, None
        page = escalation.effect(EffectKind.PAGE)
        first_page = page is not None and page.state == EffectState.PENDING
        return escalation, created, partial(self._page, escalation, first_page, held, hold)

    def submit(self, report: FailureReport, *, channel: str) -> tuple[Escalation, bool]:
        """Accept, then block at most `page_wait` for the page: the escalation as it then stands."""
        escalation, created, paging = self.accept(report, channel=channel)
        if paging is None:
            return escalation, created
        done, _ = concurrent.futures.wait([paging], timeout=self.page_wait)
        if done and not paging.exception():
            return paging.result() or escalation, created
        return self.store.get(escalation.id), created

    async def submit_async(self, report: FailureReport, *, channel: str) -> tuple[Escalation, bool]:
        """Accept, then wait at most `page_wait` for the page without holding a thread."""
        escalation, created, paging = await asyncio.to_thread(self.accept, report, channel=channel)
        return await self.paged(escalation, paging), created

    async def paged(
        self, escalation: Escalation, paging: Future[Escalation] | Future[Escalation | None] | None
    ) -> Escalation:
        """The escalation `accept` stored, as its page left it: waited for at most `page_wait`,
        without holding a thread."""
        if paging is None:
            return escalation
        done, _ = await asyncio.wait({asyncio.wrap_future(paging)}, timeout=self.page_wait)
        if done and not paging.exception():
            return paging.result() or escalation
        # Late (or its run crashed, which `_report_crash` tells): the reply shows what is stored.
        return await asyncio.to_thread(self.store.get, escalation.id)

    def start(
        self, escalation_id: str, *, kinds: Collection[EffectKind] | None = None, page_lane: bool = False
    ) -> Future[Escalation]:
        """Drive an escalation's due effects (of `kinds`) on a lane: the page lane when a page may be
        owed, else the background. A crash is said and counted; the effects stay owed for sync."""
        lane = self.page_lane if page_lane else self.background
        running = lane.submit(self.dispatcher.drive, escalation_id, kinds=kinds)
        running.add_done_callback(self._report_crash)
        return running

    def drive_briefly(
        self, escalation_id: str, *, kinds: Collection[EffectKind] | None = None, page_lane: bool = False
    ) -> Escalation:
        """`start`, then wait at most `page_wait`: the escalation as it then stands (the rest runs on)."""
        concurrent.futures.wait([self.start(escalation_id, kinds=kinds, page_lane=page_lane)], self.page_wait)
        return self.store.get(escalation_id)

    def _page(
        self, escalation: Escalation, first_page: bool, held: Sequence[Effect], hold: Hold
    ) -> Escalation:
        # The escalation as `accept` stored it, and then as the page left it: neither is read again.
        # Recording the page claims the rest (ticket, link, emails): the background runs them as held.
        escalation, handed = self.dispatcher.page(escalation, held=held, hold=hold)
        if first_page:
            self.metrics.paged(escalation)
        try:
            rest = self.background.submit(self.dispatcher.drive_read, escalation, held=handed)
        except RuntimeError:  # the background lane has shut down: let the leases lapse for sync
            self.dispatcher.release(handed)
            raise
        rest.add_done_callback(partial(self._rest_done, handed))
        return escalation

    def _rest_done(self, handed: Sequence[Effect], future: Future[Escalation]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.dispatcher.release(handed)  # not run (a lane shut down) or cut short: sync's now
        self._report_crash(future)

    def _report_crash(self, future: Future[Any]) -> None:
        # The edge of a lane's worker: say it, count it; the effect's lease expires and sync
        # retries it. Nothing else is left to do here.
        exc = None if future.cancelled() else future.exception()
        if exc is not None:
            self.metrics.background_failed()
            log.error("effect run failed; sync will retry", exc_info=exc)
