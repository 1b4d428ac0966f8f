"""The Sales Engineer's form and pages: report in under a minute, see the truth, never twice."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from integrator.domain.escalation import Changes, State
from integrator.errors import Unavailable
from tests.support import TRACE, MemoryTracker
from tests.web.conftest import World
from tests.web.helpers import (
    csrf_token,
    eventually,
    field_error,
    field_value,
    form_fields,
    hidden,
    submit_form,
)


def effect_state(page: str, kind: str) -> str:
    match = re.search(rf'data-effect="{kind}" data-state="(\w+)"', page)
    assert match, f"no {kind} effect on the page"
    return match.group(1)


def test_the_form_marks_the_required_fields(browser: TestClient) -> None:
    page = browser.get("/").text

    for name in ("deal.account", "deal.arr", "failure.title", "reporter.email"):
        assert re.search(rf'<label for="{re.escape(name)}">[^<]*<abbr class="req"', page), name
    assert 'for="failure.observed">What was observed</label>' in page


@pytest.mark.parametrize(
    ("now", "promised"),
    [
        (datetime(2026, 11, 28, 8, 0, tzinfo=UTC), "2026-11-28T17:00"),  # 17:00 today
        (datetime(2026, 11, 28, 15, 0, tzinfo=UTC), "2026-11-28T19:00"),  # after 13:00: 4 hours ahead
    ],
)
def test_the_rca_promise_defaults_to_five_pm_or_four_hours_ahead(
    browser: TestClient, world: World, now: datetime, promised: str
) -> None:
    world.clock.current = now

    assert field_value(browser.get("/").text, "rca_due") == promised


def test_each_new_form_carries_its_own_idempotency_key(browser: TestClient) -> None:
    first, second = (hidden(browser.get("/").text, "idempotency_key") for _ in range(2))

    assert first.startswith("form-")
    assert first != second


def test_a_pasted_stack_trace_pages_the_owner_and_lands_on_the_escalation_page(
    browser: TestClient, world: World
) -> None:
    answer = submit_form(browser, **{"failure.locations": "", "failure.stack_trace": TRACE})

    assert answer.status_code == 303
    page = browser.get(answer.headers["location"]).text
    assert "<strong>bob@acme.example</strong>" in page  # the innermost frame of our own code decides
    assert (
        "&#39;services/ingest/connectors/db/pool.py&#39; matches line 6 (/services/ingest/connectors/)"
        in page
    )
    assert 'href="https://pd.example/i"' in page
    assert effect_state(page, "page") == "delivered"
    assert world.pager.pages


def test_the_escalation_page_shows_what_the_failure_matches_on_in_the_owner_section(
    browser: TestClient, world: World
) -> None:
    traced = browser.get(submit_form(browser, **{"failure.stack_trace": TRACE}).headers["location"]).text
    untraced = browser.get(submit_form(browser).headers["location"]).text

    owner = traced[traced.index('id="owner"') : traced.index('id="page"')]
    assert (
        "matches on: <code>TimeoutError</code> at <code>services/ingest/connectors/db/pool.py:fetch</code>"
        " ← <code>services/ingest/api/batch.py:load_batch</code>, owned by @acme/ingest"
    ) in owner
    assert "No fingerprint: the report has no stack trace integrator can read." in untraced


def test_the_escalation_page_shows_the_ticket_link_once_filed_and_stops_refreshing(
    browser: TestClient, world: World
) -> None:
    location = submit_form(browser).headers["location"]
    escalation_id = location.rsplit("/", 1)[1]
    eventually(lambda: world.services.store.get(escalation_id).effects[-1].state.value == "done")

    page = browser.get(location).text

    assert 'href="https://jira.example/browse/ING-1"' in page
    assert [effect_state(page, k) for k in ("page", "ticket", "link")] == ["delivered"] * 3
    assert "data-refresh" not in page
    assert "ticket_filed" in page


def test_arr_may_be_typed_the_way_people_say_it(browser: TestClient, world: World) -> None:
    submit_form(browser, **{"deal.arr": "1.2M"})

    (escalation,) = world.services.store.recent()
    assert escalation.report.deal.arr == Decimal("1200000")


def test_the_rca_promise_is_read_in_the_reporters_time_zone(browser: TestClient, world: World) -> None:
    submit_form(browser, **{"rca_due": "2026-11-28T17:00", "reporter.time_zone": "America/New_York"})

    (escalation,) = world.services.store.recent()
    assert escalation.rca_due == datetime(2026, 11, 28, 22, 0, tzinfo=UTC)


def test_a_bad_form_comes_back_with_the_entries_kept_and_a_message_at_each_bad_field(
    browser: TestClient, world: World
) -> None:
    form = browser.get("/").text
    key = hidden(form, "idempotency_key")
    fields = form_fields(
        **{
            "deal.arr": "lots",
            "reporter.email": "priya at acme",
            "failure.title": "",
            "failure.stack_trace": TRACE,
        }
    )

    answer = browser.post(
        "/escalations", data={**fields, "csrf_token": csrf_token(form), "idempotency_key": key}
    )

    assert answer.status_code == 422
    page = answer.text
    assert field_error(page, "deal.arr") == (
        "'lots' is not an amount; write it like 480000, 480,000, $500k, 1.2M or USD 480000"
    )
    assert field_error(page, "reporter.email") == "is not an email address"
    assert field_error(page, "failure.title") == "is required"
    assert field_error(page, "deal.account") is None
    assert field_value(page, "deal.account") == "Globex"
    assert field_value(page, "deal.arr") == "lots"
    assert field_value(page, "failure.stack_trace") == TRACE
    assert hidden(page, "idempotency_key") == key
    assert "Nothing was sent: 3 fields need attention." in page
    assert world.escalation_count() == 0
    assert world.pager.calls == []


def test_an_amount_in_another_currency_than_chosen_is_questioned(browser: TestClient) -> None:
    answer = submit_form(browser, **{"deal.arr": "€500k", "deal.currency": "USD"})

    assert answer.status_code == 422
    assert field_error(answer.text, "deal.arr") == "is in EUR but the currency is USD"


def test_submitting_the_same_form_twice_creates_one_escalation(browser: TestClient, world: World) -> None:
    form = browser.get("/").text
    data = {
        **form_fields(),
        "csrf_token": csrf_token(form),
        "idempotency_key": hidden(form, "idempotency_key"),
    }

    first = browser.post("/escalations", data=data, follow_redirects=False)
    second = browser.post("/escalations", data=data, follow_redirects=False)

    assert first.headers["location"] == second.headers["location"]
    assert world.escalation_count() == 1
    assert world.pager.calls.count("page") == 1


def test_two_simultaneous_submits_of_one_form_create_one_escalation(
    browser: TestClient, world: World
) -> None:
    form = browser.get("/").text
    data = {
        **form_fields(),
        "csrf_token": csrf_token(form),
        "idempotency_key": hidden(form, "idempotency_key"),
    }
    start = threading.Barrier(2)
    locations: list[str] = []

    def click() -> None:
        start.wait()
        locations.append(browser.post("/escalations", data=data, follow_redirects=False).headers["location"])

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()

    assert len(set(locations)) == 1
    assert world.escalation_count() == 1
    assert world.pager.calls.count("page") == 1


def test_without_javascript_the_preview_button_shows_the_owner_and_sends_nothing(
    browser: TestClient, world: World
) -> None:
    form = browser.get("/").text
    data = {
        **form_fields(**{"failure.locations": "services/ingest/connectors/oracle.py"}),
        "csrf_token": csrf_token(form),
        "idempotency_key": hidden(form, "idempotency_key"),
        "action": "preview",
    }

    page = browser.post("/escalations", data=data).text

    assert "<strong>bob@acme.example</strong>" in page
    assert "Registry line 6: <code>/services/ingest/connectors/ @acme/ingest bob@acme.example</code>" in page
    assert field_value(page, "deal.account") == "Globex"
    assert world.escalation_count() == 0


@pytest.mark.parametrize(
    "tracker", [MemoryTracker(failures=[Unavailable("Jira", "503 Service Unavailable")])]
)
def test_an_effect_being_retried_shows_its_last_error_and_the_page_keeps_refreshing(
    browser: TestClient, world: World
) -> None:
    location = submit_form(browser).headers["location"]
    escalation_id = location.rsplit("/", 1)[1]
    eventually(lambda: world.services.store.get(escalation_id).effects[1].last_error is not None)

    page = browser.get(location).text

    assert effect_state(page, "page") == "delivered"
    assert effect_state(page, "ticket") == "retrying"
    assert "Jira: 503 Service Unavailable" in page
    assert 'data-refresh="3"' in page


@pytest.mark.parametrize(
    ("pager", "tracker"),
    [(None, None)],
    ids=["dry-run"],  # no fakes: bootstrap's stand-ins, as without credentials
)
def test_a_dry_run_says_so_on_every_page_and_shows_effects_as_planned(browser: TestClient) -> None:
    location = submit_form(browser).headers["location"]

    page = browser.get(location).text

    assert "DRY RUN" in page
    assert effect_state(page, "page") == "planned"


def test_the_list_shows_open_escalations_with_arr_at_stake_and_time_left(
    browser: TestClient, world: World
) -> None:
    submit_form(browser, **{"deal.arr": "480k", "failure.title": "Ingest drops rows"})
    submit_form(
        browser, **{"deal.arr": "1.2M", "deal.account": "Initech", "failure.title": "Query times out"}
    )
    fixed = submit_form(browser, **{"failure.title": "Already fixed"}).headers["location"].rsplit("/", 1)[1]
    world.services.store.apply(fixed, now=world.clock.now(), changes=Changes(state=State.FIXED))

    page = browser.get("/escalations").text

    assert "2 open · ARR at stake: <strong>USD 1,680,000</strong>" in page
    assert "Ingest drops rows" in page
    assert "Query times out" in page
    assert "Already fixed" not in page
    assert "48 h 0 min left" in page


def test_an_unknown_escalation_page_is_a_404_page(browser: TestClient) -> None:
    answer = browser.get("/escalations/nope", headers={"Accept": "text/html"})

    assert answer.status_code == 404
    assert "no escalation &#39;nope&#39;" in answer.text


def test_the_summary_names_each_field_by_its_label_and_the_message_sits_at_the_field(
    browser: TestClient, world: World
) -> None:
    answer = submit_form(browser, **{"deal.arr": "", "reporter.email": "", "failure.locations": ""})

    assert answer.status_code == 422
    summary = answer.text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert '<a href="#deal.arr">ARR</a>: is required' in summary
    assert '<a href="#reporter.email">Your email</a>: is required' in summary
    assert "deal.arr</a>" not in summary
    assert field_error(answer.text, "deal.arr") == "is required"
    assert world.escalation_count() == 0


def test_the_location_rule_is_said_in_the_forms_words(browser: TestClient, world: World) -> None:
    answer = submit_form(browser, **{"failure.locations": ""})

    assert answer.status_code == 422
    rule = "is required when there is no Stack trace"
    assert field_error(answer.text, "failure.locations") == rule
    assert f'<a href="#failure.locations">Locations</a>: {rule}' in answer.text
    assert world.escalation_count() == 0


def test_the_account_field_offers_known_accounts_from_the_api(browser: TestClient) -> None:
    form = browser.get("/").text

    assert 'list="known-accounts"' in form
    assert 'data-accounts-url="/api/v1/accounts"' in form
    assert '<datalist id="known-accounts"></datalist>' in form
    assert "<script>" not in form  # the CSP allows the external script only
