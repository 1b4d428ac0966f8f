"""The sync pass inside `serve`: at start-up (what a dead process left) and every interval after."""

from __future__ import annotations

import asyncio
import logging

from integrator.application.sync import Syncer
from integrator.errors import IntegratorError

log = logging.getLogger(__name__)


def report_stop(task: asyncio.Task[None]) -> None:
    """A scheduler that died of something unforeseen says so at once (sync then only runs by hand)."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("the in-process sync stopped; run `integrator sync` until serve restarts", exc_info=exc)


async def run_every(syncer: Syncer, seconds: float) -> None:
    """Run sync passes until cancelled; a failed pass is logged and the next one comes as planned."""
    while True:
        try:
            summary = await asyncio.to_thread(syncer.run_pass)
        except IntegratorError as exc:  # the loop's edge (StoreUnavailable included): say it, go on
            log.error("sync pass failed: %s", exc)
        else:
            if summary.pending:
                log.info("sync pass: %d effect(s) still pending", len(summary.pending))
        await asyncio.sleep(seconds)
