"""SQLite's one writer: writes that queue while one commits are committed together, each caller's
outcome its own, and a write that returned is committed."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event, text

from integrator.errors import AlreadyRecorded
from integrator.store.db import connect
from integrator.store.writer import GroupWriter

WRITERS = 8


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    built = connect(f"sqlite:///{tmp_path / 'w.db'}")
    with built.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)"))
    yield built
    built.dispose()


def commits(engine: Engine) -> list[int]:
    counted = [0]
    event.listen(engine, "commit", lambda _conn: counted.__setitem__(0, counted[0] + 1))
    return counted


def note(body: str) -> Callable[[Connection], int]:
    def write(conn: Connection) -> int:
        return int(
            conn.execute(text("INSERT INTO notes (body) VALUES (:b) RETURNING id"), {"b": body}).scalar_one()
        )

    return write


def stored(tmp_path: Path) -> list[str]:
    """What another connection (another process, as it were) reads: only what was committed."""
    with sqlite3.connect(tmp_path / "w.db") as db:
        return sorted(row[0] for row in db.execute("SELECT body FROM notes"))


def queue_behind_a_busy_writer(writer: GroupWriter, bodies: list[str]) -> dict[str, int | Exception]:
    """Each body written from a thread of its own while the writer is busy; (body: id or error)."""
    outcomes: dict[str, int | Exception] = {}

    def write(body: str) -> None:
        try:
            outcomes[body] = writer.run(note(body))
        except Exception as exc:
            outcomes[body] = exc

    threads = [threading.Thread(target=write, args=(body,)) for body in bodies]
    with writer.exclusive():
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 5
        while writer.queued < len(bodies) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert writer.queued == len(bodies)  # every one waits for the writer
    for thread in threads:
        thread.join(5)
    return outcomes


def test_writes_that_queue_meanwhile_are_committed_together(engine: Engine, tmp_path: Path) -> None:
    writer, counted = GroupWriter(engine), commits(engine)
    bodies = [f"report {n}" for n in range(WRITERS)]

    outcomes = queue_behind_a_busy_writer(writer, bodies)

    assert sorted(outcomes) == bodies
    assert sorted(n for n in outcomes.values() if isinstance(n, int)) == list(range(1, WRITERS + 1))
    assert stored(tmp_path) == bodies
    assert counted[0] == 2  # the busy writer's transaction, then all eight in one


def test_a_failing_write_fails_its_caller_only(engine: Engine, tmp_path: Path) -> None:
    writer = GroupWriter(engine)
    writer.run(note("report 3"))
    bodies = [f"report {n}" for n in range(WRITERS)]  # "report 3" again: its insert is refused

    outcomes = queue_behind_a_busy_writer(writer, bodies)

    assert isinstance(outcomes.pop("report 3"), AlreadyRecorded)
    assert all(isinstance(found, int) for found in outcomes.values())
    assert stored(tmp_path) == bodies


def test_a_write_that_returned_is_committed_and_gives_its_result(engine: Engine, tmp_path: Path) -> None:
    writer = GroupWriter(engine)

    assert writer.run(note("only")) == 1
    assert stored(tmp_path) == ["only"]


def test_writes_from_many_threads_at_once_are_each_stored_once(engine: Engine, tmp_path: Path) -> None:
    writer = GroupWriter(engine)
    bodies = [f"report {n}" for n in range(200)]
    ids: list[int] = []

    def write(part: list[str]) -> None:
        for body in part:
            ids.append(writer.run(note(body)))

    threads = [threading.Thread(target=write, args=(bodies[n::WRITERS],)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(ids) == list(range(1, 201))
    assert stored(tmp_path) == sorted(bodies)
