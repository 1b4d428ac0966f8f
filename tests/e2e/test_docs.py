"""The API reference in a real browser with no internet: Swagger UI comes from the app, under its CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.e2e.conftest import Site

pytestmark = pytest.mark.browser


def test_the_api_docs_render_offline_with_no_csp_violation(page: Page, site: Site) -> None:
    outside: list[str] = []
    errors: list[str] = []

    def record(request: Request) -> None:
        if not request.url.startswith((site.url, "data:")):
            outside.append(request.url)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} {message.location.get('url')}")

    page.on("request", record)
    page.on("console", console)
    page.goto(f"{site.url}/docs")

    expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=15_000)
    assert page.locator('[data-path="/api/v1/escalations"]').count() >= 1
    assert outside == []
    assert errors == []
