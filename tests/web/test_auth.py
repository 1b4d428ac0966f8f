"""Who may do what: tokens for tools, sessions or a trusted proxy for people, no anonymous writes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from integrator.errors import ConfigError
from integrator.web.app import create_app
from tests.support import MemoryPager, MemoryTracker, make_services, report_data
from tests.web.conftest import MakeApp, World, web_settings
from tests.web.helpers import csrf_token, form_fields, hidden, submit_form

API_ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/api/v1/escalations", report_data()),
    ("GET", "/api/v1/escalations/abc123", None),
    ("GET", "/api/v1/escalations", None),
    ("POST", "/api/v1/owners/preview", {"locations": ["ingest-api"]}),
]
PAGES = ["/", "/escalations", "/escalations/abc123"]


@pytest.fixture
def revoked(world: World) -> str:
    plaintext = world.tokens.create("leaver")
    world.tokens.revoke("leaver")
    return plaintext


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES)
@pytest.mark.parametrize("credential", ["none", "bad", "revoked", "not bearer"])
def test_every_api_route_answers_401_without_a_live_bearer_token(
    client: TestClient, world: World, revoked: str, method: str, path: str, body: Any, credential: str
) -> None:
    headers = {
        "none": {},
        "bad": {"Authorization": "Bearer itk_not-a-token"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "not bearer": {"Authorization": "Basic Y2k6c2VjcmV0"},
    }[credential]

    answer = client.request(method, path, json=body, headers=headers)

    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    assert set(answer.json()) == {"error", "message", "fields"}
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert world.escalation_count() == 0


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_a_signed_out_person_to_sign_in_and_back(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/signin?next={path}"


def test_an_unsigned_form_post_is_sent_to_sign_in_and_stores_nothing(
    client: TestClient, world: World
) -> None:
    answer = client.post("/escalations", data=form_fields(), follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")
    assert world.escalation_count() == 0


def test_signing_in_with_a_token_sets_a_signed_httponly_samesite_secure_session(
    client: TestClient, token: str
) -> None:
    page = client.get("/signin?next=/escalations")

    answer = client.post(
        "/signin",
        data={"csrf_token": csrf_token(page.text), "token": token, "next": hidden(page.text, "next")},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/escalations"
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("integrator_session=")
    assert token.lower() not in cookie
    assert all(flag in cookie for flag in ("httponly", "samesite=lax", "secure", "path=/"))
    assert client.get("/escalations").status_code == 200


def test_a_wrong_token_at_sign_in_is_told_plainly_and_no_session_is_made(client: TestClient) -> None:
    page = client.get("/signin")

    answer = client.post("/signin", data={"csrf_token": csrf_token(page.text), "token": "itk_guess"})

    assert answer.status_code == 401
    assert "That token is unknown or revoked." in answer.text
    assert "integrator_session" not in client.cookies


def test_sign_in_never_redirects_off_the_site(client: TestClient, token: str) -> None:
    page = client.get("/signin?next=//evil.example/phish")
    form = {"csrf_token": csrf_token(page.text), "token": token, "next": "https://evil.example/"}

    answer = client.post("/signin", data=form, follow_redirects=False)

    assert hidden(page.text, "next") == "/"
    assert answer.headers["location"] == "/"


def test_revoking_a_token_ends_its_sessions(browser: TestClient, world: World) -> None:
    assert browser.get("/", follow_redirects=False).status_code == 200

    world.tokens.revoke("ci")

    assert browser.get("/", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session(browser: TestClient) -> None:
    page = browser.get("/")

    browser.post("/signout", data={"csrf_token": csrf_token(page.text)})

    assert browser.get("/", follow_redirects=False).status_code == 303


def test_a_form_post_without_the_csrf_token_is_refused_and_stores_nothing(
    browser: TestClient, world: World
) -> None:
    answer = browser.post("/escalations", data=form_fields(), headers={"Accept": "text/html"})

    assert answer.status_code == 403
    assert "reload the page and submit again" in answer.text
    assert world.escalation_count() == 0


def test_a_csrf_token_from_another_browser_is_refused(browser: TestClient, world: World, app: Any) -> None:
    with TestClient(app, base_url="https://testserver") as other:
        foreign = csrf_token(other.get("/signin").text)

    answer = browser.post("/escalations", data={**form_fields(), "csrf_token": foreign})

    assert answer.status_code == 403
    assert world.escalation_count() == 0


def test_sign_in_itself_needs_the_csrf_token(client: TestClient, token: str) -> None:
    client.get("/signin")

    answer = client.post("/signin", data={"token": token}, follow_redirects=False)

    assert answer.status_code == 403
    assert "integrator_session" not in client.cookies


def test_the_api_with_a_session_cookie_needs_the_csrf_header_to_write(
    browser: TestClient, world: World
) -> None:
    token = csrf_token(browser.get("/").text)

    forged = browser.post("/api/v1/escalations", json=report_data())
    genuine = browser.post("/api/v1/escalations", json=report_data(), headers={"X-CSRF-Token": token})

    assert forged.status_code == 403
    assert forged.json()["error"] == "forbidden"
    assert genuine.status_code == 201
    assert world.escalation_count() == 1


def test_a_bearer_token_needs_no_csrf_token(client: TestClient, bearer: dict[str, str]) -> None:
    assert client.post("/api/v1/escalations", json=report_data(), headers=bearer).status_code == 201


def test_behind_the_trusted_proxy_the_forwarded_email_signs_the_person_in(app_with: MakeApp) -> None:
    client = app_with(
        auth={"mode": "proxy", "trusted_proxies": ["10.0.0.0/8"]}, client_host="10.1.2.3"
    ).client
    client.headers["X-Forwarded-Email"] = "priya@acme.example"

    page = client.get("/")
    answer = submit_form(client)

    assert page.status_code == 200
    assert 'value="priya@acme.example"' in page.text  # the reporter's email, filled in
    assert answer.status_code == 303
    assert client.get(answer.headers["location"]).status_code == 200


def test_the_proxy_header_from_an_untrusted_address_is_refused(app_with: MakeApp) -> None:
    client = app_with(
        auth={"mode": "proxy", "trusted_proxies": ["10.0.0.0/8"]}, client_host="192.0.2.7"
    ).client
    client.headers["X-Forwarded-Email"] = "ceo@acme.example"

    page = client.get("/", headers={"Accept": "text/html"})
    api = client.get("/api/v1/escalations")

    assert page.status_code == 403
    assert api.status_code == 403
    assert api.json()["message"] == "X-Forwarded-Email is accepted only from the trusted proxies"


def test_in_proxy_mode_a_page_without_the_header_is_401_with_no_sign_in_form(app_with: MakeApp) -> None:
    client = app_with(
        auth={"mode": "proxy", "trusted_proxies": ["10.0.0.0/8"]}, client_host="10.1.2.3"
    ).client

    answer = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)

    assert answer.status_code == 401
    assert "single sign-on proxy" in answer.text
    assert client.get("/signin").status_code == 404


def test_in_proxy_mode_tools_still_use_bearer_tokens(app_with: MakeApp) -> None:
    served = app_with(auth={"mode": "proxy", "trusted_proxies": ["10.0.0.0/8"]}, client_host="192.0.2.7")
    bearer = {"Authorization": f"Bearer {served.tokens.create('ci')}"}

    assert served.client.get("/api/v1/escalations").status_code == 401
    assert served.client.post("/api/v1/escalations", json=report_data(), headers=bearer).status_code == 201


def test_the_local_demo_mode_lets_anyone_on_the_machine_report(app_with: MakeApp) -> None:
    client = app_with(auth={"mode": "none"}, host="127.0.0.1").client

    api = client.post("/api/v1/escalations", json=report_data())
    form = submit_form(client)

    assert api.status_code == 201
    assert form.status_code == 303


def test_the_local_demo_mode_still_checks_csrf_on_the_form(app_with: MakeApp) -> None:
    client = app_with(auth={"mode": "none"}, host="127.0.0.1").client
    client.get("/")

    assert client.post("/escalations", data=form_fields()).status_code == 403


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::"])
def test_the_open_demo_mode_is_refused_off_loopback(tmp_path: Any, host: str) -> None:
    services = make_services(
        web_settings(tmp_path, mode="none"), pager=MemoryPager(), tracker=MemoryTracker()
    )

    with pytest.raises(ConfigError, match=r"binds to 127\.0\.0\.1 only"):
        create_app(services, host=host)


def test_token_mode_without_a_secret_key_is_refused_at_start_up(tmp_path: Any) -> None:
    settings = web_settings(tmp_path).model_copy(update={"secret_key": None})
    services = make_services(settings, pager=MemoryPager(), tracker=MemoryTracker())

    with pytest.raises(ConfigError, match="INTEGRATOR_SECRET_KEY is required"):
        create_app(services)
