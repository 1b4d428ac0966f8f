"""Health, readiness and metrics: what an operator's probes and Prometheus see."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from integrator.errors import Unavailable
from integrator.web.app import create_app
from tests.support import make_services, report_data, write_config
from tests.web.conftest import BASE_URL, SECRET, World
from tests.web.helpers import eventually


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"no {name} in the metrics"
    return float(match.group(1))


def test_healthz_says_the_process_is_up_without_credentials(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_the_database_the_registry_and_the_catalog(client: TestClient) -> None:
    answer = client.get("/readyz")

    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ready",
        "checks": {"database": "ok", "registry": "ok", "catalog": "ok"},
    }


def test_readyz_is_503_when_the_registry_has_no_valid_rule(tmp_path: Path) -> None:
    settings = write_config(tmp_path, registry="# nothing yet\n").model_copy(
        update={"secret_key": SecretStr(SECRET)}
    )
    with TestClient(create_app(make_services(settings)), base_url=BASE_URL) as client:
        answer = client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json()["checks"]["registry"] == "no valid rules loaded"


def test_readyz_is_503_when_the_database_is_unreachable(client: TestClient, world: World) -> None:
    database = Path(world.services.settings.database_url.removeprefix("sqlite:///"))
    world.services.store.engine.dispose()
    database.unlink()
    database.mkdir()  # SQLite cannot open a directory: the database is gone

    answer = client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json()["checks"]["database"].startswith("unreachable")


def test_metrics_count_escalations_effects_and_time_to_page(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    client.post("/api/v1/escalations", json=report_data(), headers=bearer)
    client.post("/api/v1/escalations", json={**report_data(), "idempotency_key": "k"}, headers=bearer)
    client.post("/api/v1/escalations", json={**report_data(), "idempotency_key": "k"}, headers=bearer)
    eventually(
        lambda: metric(client.get("/metrics").text, 'integrator_effects{kind="link",state="done"}') == 2
    )

    text = client.get("/metrics").text

    assert metric(text, 'integrator_escalations{state="paged"}') == 2
    assert metric(text, 'integrator_effects{kind="page",state="done"}') == 2
    assert metric(text, 'integrator_submissions_total{channel="api",outcome="created"}') == 2
    assert metric(text, 'integrator_submissions_total{channel="api",outcome="repeated"}') == 1
    assert metric(text, "integrator_time_to_page_seconds_count") == 2
    assert metric(text, "integrator_sync_lag_seconds") == 0


def test_the_sync_lag_is_how_long_the_oldest_due_effect_has_waited(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    world.tracker.failures.append(Unavailable("Jira", "503"))
    client.post("/api/v1/escalations", json=report_data(), headers=bearer)
    eventually(lambda: "ticket_retry" in [e.kind for e in world.services.store.recent()[0].timeline])

    world.clock.advance(minutes=10)  # well past the ticket's first retry time

    # The cross-link has been due (waiting for the ticket) since the report, ten minutes ago.
    assert metric(client.get("/metrics").text, "integrator_sync_lag_seconds") == 600


def test_the_api_answers_503_while_the_database_is_unreachable(
    client: TestClient, bearer: dict[str, str], world: World
) -> None:
    database = Path(world.services.settings.database_url.removeprefix("sqlite:///"))
    world.services.store.engine.dispose()
    database.unlink()
    database.mkdir()

    answer = client.get("/api/v1/escalations", headers=bearer)

    assert answer.status_code == 503
    assert answer.json()["error"] == "unavailable"
    assert answer.headers["retry-after"] == "5"


def test_health_and_metrics_answer_json_or_text_with_the_security_headers(client: TestClient) -> None:
    answer = client.get("/metrics")

    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["x-content-type-options"] == "nosniff"
