"""PagerDuty's answers and network failures in integrator's words: `Unavailable` (retried) or `Rejected`.

Works on the HTTP client's responses (`httpx2`), so this module needs no SDK; a 429 is stopped by
`stop_at_rate_limit` inside the HTTP client, before the SDK's own endless 429 loop sees it.
"""

from __future__ import annotations

import httpx2

from integrator.adapters.http_hints import retry_after_seconds
from integrator.errors import IntegrationError, Rejected, Unavailable

SYSTEM = "PagerDuty"


class BadRequest(Rejected):
    """A 400: the one refusal that may mean "an open incident with this key already exists"."""


class Forbidden(Rejected):
    """A 403: the key works but may not do this (the doctor reports "not checked")."""


class Missing(Rejected):
    """A 404: no such thing."""


class RateLimited(Exception):
    def __init__(self, reset: float | None) -> None:
        super().__init__(f"rate limited; resets in {reset} s")
        self.reset = reset


def stop_at_rate_limit(response: httpx2.Response) -> None:
    """Raise on a 429 inside the HTTP client, before `pagerduty`'s endless 429 loop can sleep on it."""
    if response.status_code == 429:
        raise RateLimited(retry_after_seconds(response.headers.get("ratelimit-reset")))


def from_response(action: str, response: httpx2.Response) -> IntegrationError:
    """The error an unsuccessful answer comes to."""
    status = response.status_code
    message = f"{action}: {status} {_message(response)}"
    if status == 429 or status >= 500:
        hint = retry_after_seconds(response.headers.get("ratelimit-reset"))
        return Unavailable(SYSTEM, message, retry_after=hint)
    kind = {400: BadRequest, 403: Forbidden, 404: Missing}.get(status, Rejected)
    return kind(SYSTEM, message)


def from_network(action: str, cause: httpx2.TransportError) -> Unavailable:
    """A request that got no answer; `uncertain` unless no connection was made."""
    sent = not isinstance(cause, httpx2.ConnectError | httpx2.ConnectTimeout | httpx2.PoolTimeout)
    return Unavailable(SYSTEM, f"{action}: {cause!r}", uncertain=sent)


def _message(response: httpx2.Response) -> str:
    """PagerDuty's own words: `error.message` and each of `error.errors`."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return response.text[:200] or response.reason_phrase
    message = str(error.get("message") or response.reason_phrase)
    errors = "; ".join(str(e) for e in error.get("errors") or [])
    return f"{message}: {errors}" if errors else message
