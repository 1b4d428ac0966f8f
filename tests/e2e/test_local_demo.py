"""The local demo as `make run PORT=8123` starts it, on another port: every link follows the port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from integrator.domain.escalation import EffectKind
from integrator.store.db import connect
from integrator.store.escalations import Store
from tests.e2e.test_browser import effect, field, fill_report
from tests.support import write_config
from tests.web.serving import free_port

pytestmark = pytest.mark.browser

REPOSITORY = Path(__file__).resolve().parents[2]


def demo_environment(tmp_path: Path) -> dict[str, str]:
    """The Makefile's `run` variables, and no INTEGRATOR_PUBLIC_URL: `serve` derives it."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATOR_")}
    return {
        **inherited,
        "INTEGRATOR_AUTH__MODE": "none",
        "INTEGRATOR_DRY_RUN": "true",
        "INTEGRATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'integrator.db'}",
        "INTEGRATOR_REGISTRY": str(tmp_path / "CODEOWNERS"),
        "INTEGRATOR_CATALOG": str(tmp_path / "services.toml"),
        "INTEGRATOR_SYNC__INTERVAL_SECONDS": "3600",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
    }


def wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, "serve exited while starting"
        assert time.monotonic() < deadline, "serve did not answer in 30 s"
        time.sleep(0.1)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    """`integrator serve --host 127.0.0.1 --port N` in the local demo; its base URL."""
    write_config(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "integrator", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=demo_environment(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


def planned_escalation_links(database: Path, escalation_id: str) -> list[str]:
    """The escalation URLs the dry-run plan says the page and the P1 would carry (each carries some)."""
    engine = connect(f"sqlite:///{database}")
    try:
        escalation = Store(engine, public_url="http://unused.invalid").get(escalation_id)
    finally:
        engine.dispose()
    links: list[str] = []
    for f in escalation.effects:
        if f.kind in (EffectKind.PAGE, EffectKind.TICKET):
            found = re.findall(r"https?://[^\s\]\"',]+/escalations/[0-9a-f]+", str(f.result["would_send"]))
            assert found, f"the planned {f.kind} carries no escalation link"
            links += found
    return links


def absolute_links(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    return [h for h in hrefs if isinstance(h, str) and h.startswith("http")]


def test_the_demo_on_another_port_links_the_page_the_plan_and_the_status_page_to_that_port(
    demo: str, page: Page, tmp_path: Path, screenshot: Callable[[Page, str], Path]
) -> None:
    page.goto(f"{demo}/")
    fill_report(page)
    field(page, "failure.locations").fill("services/ingest/api/batch.py")
    page.get_by_role("button", name="Page the owner and file the P1").click()
    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))
    expect(effect(page, "ticket")).to_have_attribute("data-state", "planned", timeout=15_000)
    escalation_id = page.url.rsplit("/", 1)[1]
    escalation_url = f"{demo}/escalations/{escalation_id}"

    expect(page.locator("#escalation-link")).to_have_text(escalation_url)
    planned = planned_escalation_links(tmp_path / "integrator.db", escalation_id)
    assert planned, "the plan carries no escalation link"
    assert set(planned) == {escalation_url}, planned

    page.locator("#status-share").click()
    status_link = page.locator("#status-link")
    expect(status_link).to_have_attribute("href", re.compile(rf"^{re.escape(demo)}/status/\S+$"))
    assert all(link.startswith(f"{demo}/") for link in absolute_links(page)), absolute_links(page)
    screenshot(page, "local-demo-escalation")

    status_page = status_link.get_attribute("href")
    assert status_page is not None
    page.goto(status_page)
    expect(page.locator("h1")).to_be_visible()
    assert all(link.startswith(f"{demo}/") for link in absolute_links(page)), absolute_links(page)
