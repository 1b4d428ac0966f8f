"""A Sales Engineer asks for the customer's test environment to be halted, in a real browser: the
escalation page shows the halt confirmed by the environment's hook, then the resume after the fix."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from integrator.domain.escalation import Changes, State
from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_browser import field, fill_report
from tests.fakes.halt_hook import SECRET, HaltReceiver, halt_receiver
from tests.support import CATALOG

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[HaltReceiver]:
    monkeypatch.setenv("POC_HALT_SECRET", SECRET)  # where the real hook reads the secret from
    with halt_receiver() as found:
        yield found


@pytest.fixture
def site_config(receiver: HaltReceiver) -> dict[str, Any]:
    return {"catalog": CATALOG + receiver.catalog_entry()}


def test_a_halt_asked_on_the_form_is_confirmed_on_the_escalation_page_then_resumed_after_the_fix(
    page: Page, site: Site, receiver: HaltReceiver, screenshot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, site)
    fill_report(page)
    field(page, "deal.economic_buyer.name").fill("Hank Scorpio")
    field(page, "deal.economic_buyer.email").fill("hank@globex.example")
    field(page, "failure.environment").fill("poc-globex-eu1")
    page.get_by_label("Halt the customer's test environment now").check()
    page.get_by_role("button", name="Page the owner and file the P1").click()
    page.wait_for_url(re.compile(r"/escalations/[0-9a-f]+$"))

    halt = page.locator("#halt")
    expect(halt).to_have_attribute("data-state", "halted", timeout=15_000)
    expect(page.locator("#halt-line")).to_contain_text(
        re.compile(r"Test environment poc-globex-eu1 halted at \d{4}-\d\d-\d\d \d\d:\d\d")
    )
    expect(page.locator("#update-body")).to_have_value(re.compile("I have halted your testing environment"))
    expect(page.locator("#halt-resume")).to_have_count(0)  # not before the fix
    screenshot(page, "halted")
    [halted] = receiver.received
    assert halted.verified
    assert halted.body["action"] == "halt"

    escalation_id = page.url.rsplit("/", 1)[1]
    now = site.services.clock.now()
    site.services.store.apply(escalation_id, now=now, changes=Changes(state=State.FIXED, fixed_at=now))
    page.reload()
    page.get_by_role("button", name="Resume the test environment").click()

    expect(halt).to_have_attribute("data-state", "resumed", timeout=15_000)
    expect(page.locator("#halt-line")).to_contain_text("Test environment poc-globex-eu1 resumed at")
    assert [r.body["action"] for r in receiver.verified()] == ["halt", "resume"]
