"""The store contract's fixture: every test here runs on the in-memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrator.bootstrap import Services, memory_storage
from tests.support import FakeClock, MemoryPager, MemoryTracker, make_services, write_config


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def services(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    """Services over one kind of store, with memory fakes of PagerDuty and Jira."""
    if request.param == "memory":
        settings = write_config(tmp_path)
        storage = memory_storage(settings)
        yield make_services(
            settings, clock=clock, pager=MemoryPager(), tracker=MemoryTracker(), storage=storage
        )
        return
    url = f"sqlite:///{tmp_path / 'integrator.db'}" if request.param == "sqlite" else None
    url = url or request.getfixturevalue("postgres_url")
    built = make_services(
        write_config(tmp_path, database_url=url), clock=clock, pager=MemoryPager(), tracker=MemoryTracker()
    )
    yield built
    built.close()
