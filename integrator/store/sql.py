"""What every SQL store class shares: the engine, and one writer at a time on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine

from integrator.store.errors import translated
from integrator.store.writer import GroupWriter

T = TypeVar("T")


class SqlStore:
    def __init__(self, engine: Engine, *, public_url: str) -> None:
        self.engine = engine
        self.public_url = public_url.rstrip("/")
        # SQLite lets one writer in at a time; this process's threads queue here instead of polling
        # the database lock (other processes still meet SQLite's busy timeout), and what queues
        # while one transaction commits is committed together (`writer`).
        self._writer = GroupWriter(engine) if engine.dialect.name == "sqlite" else None

    def _write(self, work: Callable[[Connection], T]) -> T:
        """`work` in a write transaction, committed when this returns. On SQLite it may share its
        transaction with other writes (group commit) and, when one of them fails, run again alone:
        it must touch nothing but the connection."""
        if self._writer is not None:
            return self._writer.run(work)
        with translated(), self.engine.begin() as conn:
            return work(conn)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write transaction of its own, its database errors translated."""
        if self._writer is not None:
            with self._writer.exclusive() as conn:
                yield conn
            return
        with translated(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A connection to read with, its database errors translated."""
        with translated(), self.engine.connect() as conn:
            yield conn
