"""The vendored OpenAPI contracts of Jira and PagerDuty (`tests/contracts/`), loaded once per process.

`contract(name)` gives a `Contract` that checks what a fake saw (and answered) with openapi-core.
The contracts are part of the project (cut from the official files by `scripts/cut_specs.py`):
one that cannot be loaded raises `MissingContract`, so the test using it fails; nothing is ever
left unchecked in silence. `INTEGRATOR_SPECS_DIR` points at another folder of `<name>.json` files.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.fakes.records import Recorded

SPECS_ENV = "INTEGRATOR_SPECS_DIR"
VENDORED = Path(__file__).resolve().parents[1] / "contracts"

_lock = threading.Lock()
_contracts: dict[str, Contract] = {}
load_seconds: dict[str, float] = {}
"""How long each contract took to read and prepare (seconds), for the curious."""


class MissingContract(FileNotFoundError):
    """A contract the fakes validate against is not there (or is not JSON)."""


def specs_dir() -> Path:
    """Where the contracts are: `tests/contracts`, unless `INTEGRATOR_SPECS_DIR` says otherwise."""
    configured = os.environ.get(SPECS_ENV)
    return Path(configured) if configured else VENDORED


def contract(name: str) -> Contract:
    """The contract in `<specs>/<name>.json`, read on first use."""
    with _lock:
        if name not in _contracts:
            path = specs_dir() / f"{name}.json"
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise MissingContract(
                    f"cannot load the contract {path}: {exc} (run scripts/cut_specs.py to cut it again)"
                ) from exc
            started = time.perf_counter()
            _contracts[name] = Contract(name, document)
            load_seconds[name] = time.perf_counter() - started
        return _contracts[name]


def describe(name: str) -> str:
    """`name.json` with the upstream version it was cut from, as the run's header names it."""
    path = specs_dir() / f"{name}.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))["info"]
    except (OSError, ValueError, KeyError):
        return f"{path.name} (MISSING: its tests will fail)"
    return f"{path.name} ({info.get('title')} {info.get('version')})"


class Contract:
    """One API's OpenAPI document, and the check of a request or an answer against it."""

    def __init__(self, name: str, document: dict[str, Any]) -> None:
        from openapi_core import Config, OpenAPI  # heavy to import: only when a fake needs it

        self.name = name
        document = _prepared(document)
        self.host_url = str(document["servers"][0]["url"]).rstrip("/")
        # The Jira document fails openapi-spec-validator on an example-level nit (a default outside
        # its enum); that does not matter for checking traffic, and skipping it saves time.
        config = Config(spec_validator_cls=None, extra_format_validators=_FORMATS.get(name))
        self._openapi = OpenAPI.from_dict(document, config=config)
        self._lock = threading.Lock()

    def check_request(self, request: Recorded) -> list[str]:
        """Why `request` breaks the contract (nothing when it keeps it)."""
        from openapi_core.testing import MockRequest

        mock = MockRequest(
            self.host_url,
            request.method,
            request.path,
            args=request.query,
            headers=request.headers,
            data=request.body,
            content_type=request.headers.get("content-type", "application/json").split(";")[0],
        )
        with self._lock:
            return [_describe(error) for error in self._openapi.iter_request_errors(mock)]

    def check_response(
        self, request: Recorded, status: int, headers: dict[str, str], body: bytes
    ) -> list[str]:
        """Why the fake's own answer breaks the contract: a bug in the fake, not in the product."""
        from openapi_core.testing import MockRequest, MockResponse

        content_type = headers.get("Content-Type", "application/json").split(";")[0]
        mock_request = MockRequest(
            self.host_url, request.method, request.path, args=request.query, headers=request.headers
        )
        mock_response = MockResponse(body, status_code=status, headers=headers, content_type=content_type)
        with self._lock:
            errors = list(self._openapi.iter_response_errors(mock_request, mock_response))
        return [f"the fake's answer {status}: {_describe(error)}" for error in errors]


def _jira_date_time(value: object) -> bool:
    """RFC 3339, or Jira's own `2026-11-28T15:00:00.000+0000`, which every real answer (and the
    document's own examples) use though its `format: date-time` says RFC 3339."""
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value


_FORMATS: dict[str, dict[str, Callable[[Any], bool]]] = {"jira-platform-v2": {"date-time": _jira_date_time}}


def _prepared(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with Jira's OAuth2 scheme checked as what it is on the wire: a bearer token.

    openapi-core cannot check OAuth2 and warns instead (an error under `-W error`); a Data Center
    personal access token is sent the same way (`Authorization: Bearer ...`).
    """
    schemes = document.get("components", {}).get("securitySchemes", {})
    oauth = [name for name, scheme in schemes.items() if scheme.get("type") in ("oauth2", "openIdConnect")]
    if not oauth:
        return document
    document = copy.copy(document)
    document["components"] = dict(document["components"])
    document["components"]["securitySchemes"] = {
        name: ({"type": "http", "scheme": "bearer"} if name in oauth else scheme)
        for name, scheme in schemes.items()
    }
    return document


def _describe(error: Exception) -> str:
    """openapi-core's error with the schema errors under it, each with where it is in the document."""
    cause = error.__cause__
    details = [
        f"{'/'.join(str(part) for part in schema_error.absolute_path) or '(whole)'}: {schema_error.message}"
        for schema_error in getattr(cause, "schema_errors", ())
    ]
    text = f"{type(error).__name__}: {error}"
    if cause is not None and not details:
        text += f" ({cause})"
    return text + "".join(f"\n    - {detail}" for detail in details)
