"""Shared fixtures. The fakes of Jira and PagerDuty (tests/fakes) run on loopback, seeded with Acme's world.

Each fake fixture fails its test at teardown when any request broke the official contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest

from tests.fakes import spec
from tests.fakes.jira import FakeJira
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.server import FakeServer

pytest_plugins = ["tests.databases"]

Fake = TypeVar("Fake", bound=FakeServer)


def _serve(fake: Fake) -> Iterator[Fake]:
    with fake:
        yield fake
    if report := fake.violation_report():
        pytest.fail(report, pytrace=False)


def pytest_report_header() -> str:
    """Say at the top of every run which contracts the fakes check requests against."""
    names = ", ".join(spec.describe(fake.spec_name) for fake in (FakeJira, FakePagerDuty))
    folder = spec.specs_dir()
    return f"tests/fakes: requests to the fakes are validated against the vendored specs in {folder}: {names}"


@pytest.fixture
def fake_jira() -> Iterator[FakeJira]:
    """Jira Cloud over http; the client authenticates with `world.JIRA_EMAIL` and `world.JIRA_API_TOKEN`."""
    yield from _serve(FakeJira())


@pytest.fixture
def fake_jira_server() -> Iterator[FakeJira]:
    """Jira Data Center over http; a bearer `world.JIRA_PAT` (or the Cloud basic auth) is accepted."""
    yield from _serve(FakeJira(deployment="Server"))


@pytest.fixture
def fake_pagerduty() -> Iterator[FakePagerDuty]:
    """PagerDuty over https (trust `.ca_file` or `.client_ssl_context()`); key `world.PD_API_KEY`."""
    yield from _serve(FakePagerDuty())
