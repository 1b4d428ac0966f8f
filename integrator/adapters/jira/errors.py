"""Jira's refusals and network failures in integrator's words: `Unavailable` (retried) or `Rejected`.

The client hands over what `JIRAError` carries (status, response, text), so this module needs no SDK.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from integrator.adapters.http_hints import retry_after_seconds
from integrator.adapters.jira.markup import jql_string
from integrator.errors import IntegrationError, Rejected, Unavailable
from integrator.messages import facts as text

SYSTEM = "Jira"

_QUOTED = re.compile(r"'([^']+)'")


class Forbidden(Rejected):
    """A 403: the credentials work but may not do this (the doctor reports "not checked")."""


class Missing(Rejected):
    """A 404: no such thing, or one the credentials may not see."""


class UnknownKeys(Rejected):
    """Jira refused a `key in (...)` search because these keys (casefolded) name no issue it knows."""

    def __init__(self, message: str, keys: set[str]) -> None:
        super().__init__(SYSTEM, message)
        self.keys = keys


def from_status(
    action: str, status: int | None, response: requests.Response | None, fallback: str | None
) -> IntegrationError:
    """The error an answer of `status` comes to (`fallback`: the client's own text, when Jira's is empty)."""
    message = f"{action}: {status or 'no status'} {_message(response, fallback)}".rstrip()
    if status is None or 200 <= status < 300:  # no answer, or an answer without what we asked for
        return Unavailable(SYSTEM, message, uncertain=True)
    if status == 429 or status >= 500:
        hint = response.headers.get("Retry-After") if response is not None else None
        return Unavailable(SYSTEM, message, retry_after=retry_after_seconds(hint))
    return {403: Forbidden, 404: Missing}.get(status, Rejected)(SYSTEM, message)


def from_network(action: str, exc: requests.RequestException) -> Unavailable:
    """A request that got no answer; `uncertain` unless it certainly never left."""
    message = f"{action}: {text.clip(str(exc), 300)}"
    return Unavailable(SYSTEM, message, uncertain=_maybe_sent(exc))


def unknown_keys(error: Rejected, response: requests.Response | None, jql: str) -> UnknownKeys | None:
    """`error` as `UnknownKeys` when every message of Jira's refusal names a key quoted in `jql`."""
    messages = error_messages(response)
    named = [_QUOTED.search(m) for m in messages if "key" in m]
    keys = {m[1].casefold() for m in named if m and jql_string(m[1]).casefold() in jql.casefold()}
    if messages and len(keys) == len(messages):
        return UnknownKeys(error.message, keys)
    return None


def error_messages(response: requests.Response | None) -> list[str]:
    return [str(m) for m in _body(response).get("errorMessages") or []]


def _body(response: requests.Response | None) -> dict[str, Any]:
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _message(response: requests.Response | None, fallback: str | None) -> str:
    """Jira's `errorMessages` and `errors` (as `field: message`); never the request (it has the token)."""
    body = _body(response)
    parts = error_messages(response)
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {why}" for field, why in errors.items()]
    if not parts and response is not None:
        parts = [response.reason or response.text[:200]]
    return "; ".join(parts) or (fallback or "")


def _maybe_sent(exc: requests.RequestException) -> bool:
    """False only when the request certainly never left: no connection was ever made."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return not isinstance(reason, NewConnectionError)
