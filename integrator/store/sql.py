"""What every SQL store class shares: the engine, and one writer at a time on SQLite."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine

from integrator.store.errors import translated


class SqlStore:
    def __init__(self, engine: Engine, *, public_url: str) -> None:
        self.engine = engine
        self.public_url = public_url.rstrip("/")
        # SQLite lets one writer in at a time; this process's threads queue here, in order, instead
        # of polling the database lock (other processes still meet SQLite's busy timeout).
        self._writer: AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write transaction, its database errors translated."""
        with self._writer, translated(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A connection to read with, its database errors translated."""
        with translated(), self.engine.connect() as conn:
            yield conn
