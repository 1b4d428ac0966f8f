"""The errors integrator raises, drawn once so every edge can handle them once.

    IntegratorError
    ├── InvalidInput       bad input (a report, an update, a request); names each bad field; nothing
    │                      stored or sent (exit 2, HTTP 422)
    ├── ConfigError        settings, registry or catalog unusable (exit 1)
    ├── NotFound           no such escalation or token (exit 1, HTTP 404)
    ├── AlreadyRecorded    the store already holds this (a repeat, or another worker was first)
    ├── Conflict           collides with what is stored, e.g. a reused idempotency key (HTTP 409)
    ├── StoreUnavailable   the database did not answer (exit 1, HTTP 503); the next pass retries
    └── IntegrationError   an outside system (Jira, PagerDuty, SMTP, chat) did not do what we asked
        ├── Unavailable    transient: connection error, timeout, 429, 5xx; retried by retrying.py
        └── Rejected       permanent: the system understood and refused; shown, not retried

Adapters translate foreign exceptions into these at the boundary (`raise ... from exc`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any


class IntegratorError(Exception):
    """Base of every error integrator raises on purpose."""


class InvalidInput(IntegratorError):
    """A report (or other input) failed validation; `fields` maps a dotted field name to why."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__("; ".join(f"{name}: {why}" for name, why in self.fields.items()))


def field_messages(
    errors: Iterable[Mapping[str, Any]],
    *,
    root: str = "report",
    name: Callable[[Sequence[int | str]], str] | None = None,
) -> dict[str, str]:
    """One message per field from pydantic's `errors()`, in our words, named as the user wrote it.

    The one translation of validation errors, used by every parser (report, preview, API requests,
    settings, catalog); `name` spells a field's location the way its source does (default: dotted).
    """
    messages: dict[str, str] = {}
    for error in errors:
        name_of = (name or field_name)(error["loc"]) or root
        message = str(error["msg"]).removeprefix("Value error, ")
        if message.startswith("failure.locations or failure.stack_trace"):
            name_of, message = "failure.locations", "failure.locations or failure.stack_trace is required"
        elif error["type"] == "missing":
            message = "is required"
        elif error["type"] == "extra_forbidden":
            message = "is not a known field"
        messages.setdefault(name_of, message)
    return messages


def field_name(loc: Sequence[int | str]) -> str:
    """`("deal", "economic_buyer", "email")` → `deal.economic_buyer.email`."""
    return ".".join(str(part) for part in loc)


class ConfigError(IntegratorError):
    """Settings, registry or catalog cannot be used as given."""


class NotFound(IntegratorError):
    """The thing asked for does not exist."""


class AlreadyRecorded(IntegratorError):
    """What was to be stored is there already: another worker (or an earlier request) was first."""


class Conflict(IntegratorError):
    """The request collides with what is stored (an idempotency key reused for another report)."""

    def __init__(self, message: str, *, existing: str) -> None:
        super().__init__(message)
        self.existing = existing  # the id of what holds the key


class StoreUnavailable(IntegratorError):
    """The database could not be reached or did not answer in time."""


class IntegrationError(IntegratorError):
    """An outside system did not do what was asked."""

    def __init__(self, system: str, message: str) -> None:
        self.system = system
        self.message = message
        super().__init__(f"{system}: {message}")


class Unavailable(IntegrationError):
    """Transient failure; worth retrying.

    `retry_after` is the server's own hint in seconds, when it gave one. `uncertain` is true when
    the request may have been applied although no answer came back (timeout or dropped connection
    after sending), so a retry must first look for what the lost request may have created.
    """

    def __init__(
        self,
        system: str,
        message: str,
        *,
        retry_after: float | None = None,
        uncertain: bool = False,
    ) -> None:
        super().__init__(system, message)
        self.retry_after = retry_after
        self.uncertain = uncertain


class Rejected(IntegrationError):
    """Permanent failure: the request was understood and refused; retrying will not help."""
