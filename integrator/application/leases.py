"""The heartbeat that keeps a worker's effect leases alive while it runs them.

Leases are short, so the effects of a worker that dies (killed, out of memory, a lost machine)
are free again within one lease. While a worker lives, one background thread per dispatcher
renews every lease it holds a few times per lease; it stops when nothing is held.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from integrator.application.ports import Clock, EscalationStore
from integrator.domain.escalation import Effect
from integrator.errors import StoreUnavailable

log = logging.getLogger(__name__)
BEATS_PER_LEASE = 4


class Held:
    """The effects one drive holds; `release` those it has recorded."""

    def __init__(self, heart: Heartbeat) -> None:
        self.heart = heart

    def release(self, effect_ids: Iterable[int]) -> None:
        self.heart.forget(effect_ids)


class Heartbeat:
    def __init__(self, store: EscalationStore, clock: Clock, lease: timedelta) -> None:
        self.store, self.clock, self.lease = store, clock, lease
        self._held: dict[int, int] = {}  # effect id -> the attempt this worker claimed
        self._lock = threading.Lock()
        self._beating: threading.Thread | None = None

    @contextmanager
    def holding(self, claimed: Iterable[Effect]) -> Iterator[Held]:
        """Renew these effects' leases until the block ends (or they are released)."""
        claimed = list(claimed)
        self.hold(claimed)
        try:
            yield Held(self)
        finally:
            self.forget(e.id for e in claimed)

    def hold(self, claimed: Iterable[Effect]) -> None:
        """Renew these effects' leases until `forget`: a claim another thread's drive takes over."""
        with self._lock:
            self._held.update({e.id: e.attempts for e in claimed})
            if self._beating is None:
                self._beating = threading.Thread(target=self._beat, name="integrator-leases", daemon=True)
                self._beating.start()

    def forget(self, effect_ids: Iterable[int]) -> None:
        with self._lock:
            for effect_id in effect_ids:
                self._held.pop(effect_id, None)

    def _beat(self) -> None:
        wait = self.lease.total_seconds() / BEATS_PER_LEASE
        while True:
            time.sleep(wait)
            with self._lock:
                held = dict(self._held)
                if not held:
                    self._beating = None
                    return
            try:
                self.store.extend(held, until=self.clock.now() + self.lease)
            except StoreUnavailable as exc:  # the edge of this thread: say it; the next beat tries again
                log.warning("could not renew %d effect lease(s): %s", len(held), exc)
