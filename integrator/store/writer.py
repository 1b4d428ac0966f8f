"""SQLite's one writer, with group commit: the write transactions that queue while one commits are
then run together and committed once.

SQLite lets one writer in at a time, and with `synchronous=FULL` every commit waits for the disk.
Under a burst the writes of a report (store it, record its page, record the rest) queue here;
whoever finds the writer free takes everything queued so far and runs it in one transaction, so
a burst pays one disk flush for several writes instead of one each. Each caller still returns
only after the commit that holds its write: a write that returned is on disk.

A write that fails rolls its batch back; then each write of the batch is run alone, so that the
failure is its caller's only (a repeated idempotency key is such a failure). Writes handed here
must therefore touch nothing but the connection they are given: they may run twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection, Engine

from integrator.errors import StoreUnavailable
from integrator.store.errors import translated

T = TypeVar("T")

MOST_AT_ONCE = 32  # writes in one transaction: a bound on what one failure makes run again


@dataclass(eq=False)
class _Write(Generic[T]):
    work: Callable[[Connection], T]
    done: bool = False
    result: T | None = None
    error: BaseException | None = None


class GroupWriter:
    """One writer at a time on an engine; writes queued meanwhile share the next transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._turn = threading.Condition()
        self._busy = False  # a transaction (a batch, or one `exclusive` block) is running
        self._queued: list[_Write[Any]] = []

    @property
    def queued(self) -> int:
        """How many writes wait for the writer."""
        with self._turn:
            return len(self._queued)

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a write transaction, committed (with what queued beside it) before this returns."""
        mine: _Write[T] = _Write(work)
        with self._turn:
            self._queued.append(mine)
            while self._busy and not mine.done:
                self._turn.wait()
            if not mine.done:  # the writer is free: this thread runs what is queued, its own write first
                self._queued.remove(mine)
                batch = [mine, *self._queued[: MOST_AT_ONCE - 1]]
                del self._queued[: MOST_AT_ONCE - 1]
                self._busy = True
        if not mine.done:
            try:
                self._commit(batch)
            finally:
                self._leave(batch)
        if mine.error is not None:
            raise mine.error
        return cast(T, mine.result)

    @contextmanager
    def exclusive(self) -> Iterator[Connection]:
        """One write transaction of its own (for writes that are not handed over as functions)."""
        with self._turn:
            while self._busy:
                self._turn.wait()
            self._busy = True
        try:
            with translated(), self.engine.begin() as conn:
                yield conn
        finally:
            self._leave([])

    def _commit(self, batch: list[_Write[Any]]) -> None:
        try:
            with translated(), self.engine.begin() as conn:
                for write in batch:
                    write.result = write.work(conn)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for write in batch:  # whose failure was it: each alone, with its own outcome
                self._alone(write)
        except BaseException:  # interrupted: nothing was committed
            for write in batch:
                write.result, write.error = None, StoreUnavailable("the write was interrupted")
            raise

    def _alone(self, write: _Write[Any]) -> None:
        write.result, write.error = None, None
        try:
            with translated(), self.engine.begin() as conn:
                write.result = write.work(conn)
        except Exception as exc:
            write.result, write.error = None, exc

    def _leave(self, batch: list[_Write[Any]]) -> None:
        with self._turn:
            for write in batch:
                write.done = True
            self._busy = False
            self._turn.notify_all()
