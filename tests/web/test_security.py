"""What every answer carries and every request is held to: CSP, no-sniff, frame-deny, size limits."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from integrator.web.security import CSP
from tests.support import report_data
from tests.web.conftest import MakeApp, World
from tests.web.helpers import submit_form


@pytest.mark.parametrize("path", ["/", "/escalations", "/signin", "/api/v1/escalations", "/static/app.js"])
def test_every_answer_carries_the_security_headers(browser: TestClient, path: str) -> None:
    headers = browser.get(path).headers

    assert "script-src 'self';" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_no_page_has_inline_script(browser: TestClient, world: World) -> None:
    location = submit_form(browser).headers["location"]
    pages = [browser.get(path).text for path in ("/", "/escalations", location, "/docs")]
    pages.append(browser.post("/signout", data={}, headers={"Accept": "text/html"}).text)  # an error page

    for page in pages:
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
        assert scripts, "every page loads its script"
        assert all('src="' in attributes and not body.strip() for attributes, body in scripts)
        assert not re.search(r"\son[a-z]+=", page), "no inline event handlers either"


def test_the_api_docs_load_swagger_ui_from_the_app_itself_under_the_strict_csp(client: TestClient) -> None:
    docs = client.get("/docs")
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)

    assert docs.status_code == 200
    assert docs.headers["content-security-policy"] == CSP
    assert "http" not in docs.headers["content-security-policy"]
    assert "cdn" not in docs.text
    assert assets == [
        "/docs/assets/favicon-32x32.png",
        "/docs/assets/swagger-ui.css",
        "/openapi.json",
        "/docs/assets/swagger-ui-bundle.js",
        "/static/docs.js",
    ]
    assert all(client.get(asset).status_code == 200 for asset in assets)
    assert "SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").text
    assert client.get("/openapi.json").json()["info"]["title"] == "integrator"


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(
    app_with: MakeApp,
) -> None:
    client = app_with(auth={"mode": "none"}, max_body=10_000).client

    answer = client.post(
        "/api/v1/escalations", content=b"x" * 10_001, headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 413
    assert answer.json()["error"] == "too_large"


def test_a_streamed_body_over_the_limit_is_cut_off_while_reading(app_with: MakeApp) -> None:
    client = app_with(auth={"mode": "none"}, max_body=10_000).client

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 1_000

    answer = client.post(
        "/api/v1/escalations", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 413
    assert answer.json() == {
        "error": "too_large",
        "message": "the request body is over 10,000 bytes",
        "fields": {},
    }


def test_a_long_stack_trace_fits_well_within_the_limit(client: TestClient, bearer: dict[str, str]) -> None:
    trace = (
        "Traceback (most recent call last):\n" + '  File "/app/services/ingest/a.py", line 1, in f\n' * 3_000
    )

    answer = client.post("/api/v1/escalations", json=report_data(stack_trace=trace), headers=bearer)

    assert answer.status_code == 201


def test_unknown_api_paths_and_methods_answer_in_the_error_shape(
    client: TestClient, bearer: dict[str, str]
) -> None:
    missing = client.get("/api/v1/nothing-here", headers=bearer)
    wrong_method = client.delete("/api/v1/escalations", headers=bearer)

    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["error"]) == (405, "method_not_allowed")
