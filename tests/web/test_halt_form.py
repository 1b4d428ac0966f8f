"""The form's "Halt the customer's test environment now" and the escalation page's resume button."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import report_data
from tests.web.conftest import World
from tests.web.helpers import csrf_token, field_error, submit_form


def test_the_form_offers_the_halt_beside_the_test_halted_by_hand(browser: TestClient) -> None:
    page = browser.get("/").text

    assert """<label for="failure.halt">Halt the customer's test environment now</label>""" in page
    assert """<label for="failure.test_halted">The customer's test is halted</label>""" in page


def test_a_halt_of_an_environment_the_catalog_does_not_name_comes_back_at_the_environment_field(
    browser: TestClient, world: World
) -> None:
    answer = submit_form(browser, **{"failure.halt": "on", "failure.environment": "poc-nowhere"})

    assert answer.status_code == 422
    message = field_error(answer.text, "failure.environment")
    assert message == "'poc-nowhere' is not an environment of the catalog (known: none)"
    assert 'id="failure.halt" name="failure.halt" type="checkbox" checked' in answer.text
    assert world.escalation_count() == 0


def test_the_resume_button_needs_the_csrf_token(browser: TestClient, world: World) -> None:
    answer = submit_form(browser)
    escalation_id = answer.headers["location"].rsplit("/", 1)[1]
    page = browser.get(f"/escalations/{escalation_id}").text
    assert 'id="halt"' not in page  # no halt asked: no block, no button

    forged = browser.post(
        f"/escalations/{escalation_id}/resume", data={"csrf_token": "forged"}, follow_redirects=False
    )
    refused = browser.post(
        f"/escalations/{escalation_id}/resume",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=False,
        headers={"accept": "application/json"},
    )

    assert forged.status_code == 403
    assert refused.status_code == 409
    assert "did not halt its test environment" in refused.json()["message"]


def test_the_api_resumes_one_deal_by_number_and_refuses_a_number_that_is_not_one(
    client: TestClient, bearer: dict[str, str]
) -> None:
    escalation_id = client.post("/api/v1/escalations", json=report_data(), headers=bearer).json()["id"]
    resume = f"/api/v1/escalations/{escalation_id}/resume"

    not_a_deal = client.post(f"{resume}?deal=0", headers=bearer)
    not_halted = client.post(f"{resume}?deal=2", headers=bearer)

    assert not_a_deal.status_code == 422
    assert "deal" in not_a_deal.json()["fields"]
    assert not_halted.status_code == 409
    assert "did not halt deal 2's test environment" in not_halted.json()["message"]
