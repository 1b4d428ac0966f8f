"""The local demo (no sign-in) against DNS rebinding: a page on evil.example resolved to 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.support import report_data
from tests.web.conftest import MakeApp
from tests.web.helpers import form_fields

REBOUND = {"Host": "evil.example"}
REBOUND_WITH_PORT = {"Host": "evil.example:8000"}


@pytest.mark.parametrize("headers", [REBOUND, REBOUND_WITH_PORT])
def test_a_rebound_page_cannot_read_the_escalations(app_with: MakeApp, headers: dict[str, str]) -> None:
    client = app_with(auth={"mode": "none"}, host="127.0.0.1").client
    client.post("/api/v1/escalations", json=report_data())

    api = client.get("/api/v1/escalations", headers=headers)
    page = client.get("/escalations", headers=headers)

    assert api.status_code == 403
    assert "answers only to 127.0.0.1 or localhost" in api.json()["message"]
    assert page.status_code == 403
    assert "Host 'evil.example" in page.text
    assert "ingest" not in api.text + page.text


def test_a_rebound_page_cannot_create_an_escalation(app_with: MakeApp) -> None:
    client = app_with(auth={"mode": "none"}, host="127.0.0.1").client

    answer = client.post(
        "/api/v1/escalations",
        json=report_data(),
        headers={"Host": "evil.example:8000", "Origin": "http://evil.example:8000"},
    )

    assert answer.status_code == 403
    assert client.get("/api/v1/escalations").json()["escalations"] == []


@pytest.mark.parametrize("origin", ["http://evil.example:8000", "null", "http://127.0.0.1.evil.example"])
def test_a_write_from_another_origin_is_refused_even_with_a_loopback_host(
    app_with: MakeApp, origin: str
) -> None:
    client = app_with(auth={"mode": "none"}, host="127.0.0.1").client

    api = client.post("/api/v1/escalations", json=report_data(), headers={"Origin": origin})
    form = client.post("/escalations", data=form_fields(), headers={"Origin": origin})

    assert api.status_code == 403
    assert "only from its own pages" in api.json()["message"]
    assert form.status_code == 403
    assert client.get("/api/v1/escalations").json()["escalations"] == []


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8123", "localhost:8000", "[::1]:8000", "LOCALHOST"])
def test_the_local_demo_answers_on_every_loopback_name_and_port(app_with: MakeApp, host: str) -> None:
    client = app_with(auth={"mode": "none"}, host="127.0.0.1").client
    origin = f"http://{host}"

    answer = client.post("/api/v1/escalations", json=report_data(), headers={"Host": host, "Origin": origin})

    assert answer.status_code == 201
    assert client.get("/api/v1/escalations", headers={"Host": host}).status_code == 200


def test_token_mode_is_not_limited_to_loopback(app_with: MakeApp) -> None:
    served = app_with()
    bearer = {"Authorization": f"Bearer {served.tokens.create('ci')}"}

    answer = served.client.get("/api/v1/escalations", headers={**bearer, **REBOUND})

    assert answer.status_code == 200
