"""The submit path: store the escalation at once, wait a bounded time for the page, never for Jira.

The page and then every other effect run on a background thread pool owned by the app. The reply
waits for the page for at most `page_wait` seconds, and never for the ticket: a hanging Jira
delays nothing the Sales Engineer sees. Effects are leased in the database, so a background run
and `integrator sync` never run one together; if the process dies, sync picks the rest up.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

from integrator.application.dispatch import Dispatcher
from integrator.application.escalate import Escalator
from integrator.application.ports import EscalationStore, SubmitMetrics
from integrator.domain.escalation import EffectKind, EffectState, Escalation
from integrator.domain.report import FailureReport
from integrator.errors import Conflict

log = logging.getLogger(__name__)


@dataclass
class _Paging:
    """The page's run, as the waiting request sees it: done, and the escalation it left."""

    done: threading.Event = field(default_factory=threading.Event)
    escalation: Escalation | None = None


class Submitter:
    def __init__(
        self,
        *,
        escalator: Escalator,
        dispatcher: Dispatcher,
        store: EscalationStore,
        background: Executor,
        metrics: SubmitMetrics,
        page_wait: float,
    ) -> None:
        self.escalator = escalator
        self.dispatcher = dispatcher
        self.store = store
        self.background = background
        self.metrics = metrics
        self.page_wait = page_wait

    def submit(self, report: FailureReport, *, channel: str) -> tuple[Escalation, bool]:
        """(the escalation as it stands after the bounded wait, whether this call created it).

        The same idempotency key with the same report gives the first escalation; with a
        different report it is a `Conflict` (the key would otherwise hide the new failure).
        """
        escalation, created = self.escalator.submit(report)
        if not created and escalation.report != report:
            raise Conflict(
                f"idempotency_key {report.idempotency_key!r} was already used for a different report"
                f" (escalation {escalation.id}); nothing new was stored",
                existing=escalation.id,
            )
        self.metrics.submitted(channel, created=created)
        if any(f.state == EffectState.PENDING for f in escalation.effects):
            page = escalation.effect(EffectKind.PAGE)
            first_page = page is not None and page.state == EffectState.PENDING
            paging = _Paging()
            future = self.background.submit(self._drive, escalation.id, paging, first_page)
            future.add_done_callback(self._report_crash)
            paging.done.wait(self.page_wait)
            escalation = paging.escalation or self.store.get(escalation.id)
        return escalation, created

    def _drive(self, escalation_id: str, paging: _Paging, first_page: bool) -> None:
        try:
            paging.escalation = self.dispatcher.drive(escalation_id, kinds={EffectKind.PAGE})
            if first_page:
                self.metrics.paged(paging.escalation)
        finally:
            paging.done.set()
        self.dispatcher.drive(escalation_id)

    def _report_crash(self, future: Future[None]) -> None:
        # The edge of the background worker: say it, count it; the effect's lease expires and
        # sync retries it. Nothing else is left to do here.
        exc = None if future.cancelled() else future.exception()
        if exc is not None:
            self.metrics.background_failed()
            log.error("background effect run failed; sync will retry", exc_info=exc)
