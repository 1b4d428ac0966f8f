"""The web app over in-memory PagerDuty and Jira: a signed-in browser, an API client with a token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from integrator.application.tokens import Tokens
from integrator.bootstrap import Services
from integrator.settings import AuthSettings, Settings
from integrator.web.app import create_app
from tests.support import FakeClock, MemoryPager, MemoryTracker, make_services, write_config
from tests.web.helpers import csrf_token

SECRET = "test-secret-key-0123456789abcdef"
BASE_URL = "https://testserver"
LOCAL_URL = "https://127.0.0.1:8000"  # the local demo answers only to a loopback Host


def web_settings(directory: Path, **auth: Any) -> Settings:
    settings = write_config(directory)
    return settings.model_copy(
        update={"secret_key": SecretStr(SECRET), "auth": AuthSettings(**{"mode": "token", **auth})}
    )


@dataclass
class World:
    """Everything a web test looks at: what was paged and filed, what was stored, the clock."""

    services: Services
    pager: MemoryPager | None
    tracker: MemoryTracker | None
    clock: FakeClock
    tokens: Tokens

    def escalation_count(self) -> int:
        return len(self.services.store.recent())


@pytest.fixture
def pager() -> MemoryPager:
    return MemoryPager()


@pytest.fixture
def tracker() -> MemoryTracker:
    return MemoryTracker()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return web_settings(tmp_path)


@pytest.fixture
def world(settings: Settings, pager: MemoryPager | None, tracker: MemoryTracker | None) -> World:
    """The app over the memory fakes (None: bootstrap's dry-run stand-ins, as without credentials)."""
    clock = FakeClock()
    services = make_services(settings, clock=clock, pager=pager, tracker=tracker)
    return World(services, pager, tracker, clock, services.tokens)


@pytest.fixture
def app(world: World) -> FastAPI:
    return create_app(world.services, page_wait=3.0)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTPS client of the app; leaving it shuts the app down (background effects finish)."""
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def token(world: World) -> str:
    return world.tokens.create("ci")


@pytest.fixture
def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def browser(client: TestClient, token: str) -> TestClient:
    """The client signed in through /signin: it holds the session and CSRF cookies."""
    page = client.get("/signin")
    answer = client.post(
        "/signin",
        data={"csrf_token": csrf_token(page.text), "token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    return client


@dataclass
class Served:
    client: TestClient
    tokens: Tokens


MakeApp = Callable[..., Served]


@pytest.fixture
def app_with(tmp_path: Path) -> Iterator[MakeApp]:
    """Build and enter an app with other settings: `app_with(auth={"mode": "proxy", ...})`."""
    entered: list[TestClient] = []

    def build(*, auth: dict[str, Any] | None = None, client_host: str = "testclient", **app: Any) -> Served:
        directory = tmp_path / f"app{len(entered)}"
        directory.mkdir()
        services = make_services(
            web_settings(directory, **(auth or {})), pager=MemoryPager(), tracker=MemoryTracker()
        )
        base_url = LOCAL_URL if (auth or {}).get("mode") == "none" else BASE_URL
        test_client = TestClient(create_app(services, **app), base_url=base_url, client=(client_host, 50000))
        test_client.__enter__()
        entered.append(test_client)
        return Served(test_client, services.tokens)

    yield build
    for test_client in entered:
        test_client.__exit__(None, None, None)
