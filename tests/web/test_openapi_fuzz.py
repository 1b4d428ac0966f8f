"""schemathesis against the app's own OpenAPI document: no 5xx, no answer outside the documented shapes.

Each operation gets schema-valid and (where it takes input) schema-invalid requests with a valid
token, over real HTTP. Every default check runs, with two adjustments:
- "schema-valid request accepted" is off: a report's validity also depends on what no schema
  states (the registry and catalog loaded at run time, IANA time zone names, locations-or-trace);
  such a report gets a 422 naming each field.
- 413 counts as rejecting schema-invalid data: the generator's giant strings exceed the body limit.
- The bearer token is not generated (nor dropped) by the fuzzer; `test_api` covers requests without it.
(schemathesis' `pytest.from_fixture` does not run under this pytest, hence `given` by hand.)
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode

from tests.web.serving import serving

OPERATIONS = [
    ("POST", "/api/v1/escalations"),
    ("GET", "/api/v1/escalations/{escalation_id}"),
    ("GET", "/api/v1/escalations"),
    ("POST", "/api/v1/owners/preview"),
    ("GET", "/api/v1/accounts"),
    ("GET", "/api/v1/accounts/{name}"),
    ("POST", "/api/v1/escalations/{escalation_id}/resume"),
    ("GET", "/api/v1/insights"),
    ("POST", "/api/v1/escalations/{escalation_id}/deals/{deal}/unlink"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]
# Routes with input a schema can refuse (a free-text path segment alone has no invalid value).
TAKES_INPUT = {
    "/api/v1/escalations",
    "/api/v1/owners/preview",
    "/api/v1/accounts",
    "/api/v1/insights",
    "/api/v1/escalations/{escalation_id}/deals/{deal}/unlink",
}
EXAMPLES = 30
CONFIG = {
    # The token is the test's to send (`headers=bearer`), not a parameter to mutate: a case whose only
    # flaw was a dropped Authorization header would be sent with it again and rightly answered 200.
    "generation": {"with-security-parameters": False},
    "checks": {
        "positive_data_acceptance": {"enabled": False},
        "negative_data_rejection": {
            "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
        },
    },
}


def test_every_documented_operation_is_fuzzed(app: FastAPI) -> None:
    documented = [
        (method.upper(), path) for path, operations in app.openapi()["paths"].items() for method in operations
    ]
    assert sorted(documented) == sorted(OPERATIONS)


CASES = [
    pytest.param(method, path, mode, id=f"{mode}-{method} {path}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or path in TAKES_INPUT
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_the_api_keeps_its_documented_promises(
    app: FastAPI, bearer: dict[str, str], method: str, path: str, mode: GenerationMode
) -> None:
    config = schemathesis.Config.from_dict(CONFIG)
    with serving(app) as base_url:
        api = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
        operation: Any = api[path][method]

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def keeps_promises(case: Case) -> None:
            case.call_and_validate(headers=bearer)

        keeps_promises()
