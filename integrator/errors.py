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


NO_LOCATION = "failure.locations or failure.stack_trace is required"  # the one rule across two fields

_DATE = "must be a date (YYYY-MM-DD)"
_TIME = "must be a date and time (YYYY-MM-DDTHH:MM with a UTC offset)"
# pydantic's error types in plain words; `{…}` is filled from the error's context.
PLAIN = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_type": "must be text",
    "string_too_long": "must have at most {max_length} characters",
    "too_long": "must have at most {max_length} characters",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "decimal_max_digits": "is too large",
    "decimal_whole_digits": "is too large",
    "decimal_max_places": "may have at most {decimal_places} decimal places",
    "greater_than_equal": "must be {ge} or more",
    "less_than_equal": "must be {le} or less",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _TIME,
    "datetime_parsing": _TIME,
    "datetime_from_date_parsing": _TIME,
    "timezone_aware": _TIME,
}


def field_messages(
    errors: Iterable[Mapping[str, Any]],
    *,
    root: str = "report",
    name: Callable[[Sequence[int | str]], str] | None = None,
) -> dict[str, str]:
    """One message per field from pydantic's `errors()`, in our words, named as the user wrote it.

    The one translation of validation errors, used by every parser (report, preview, API requests,
    settings, catalog); `name` spells a field's location the way its source does (default: dotted).
    Each channel then calls the fields as its users see them (a form's labels, the CLI's flags).
    """
    messages: dict[str, str] = {}
    for error in errors:
        name_of = (name or field_name)(error["loc"]) or root
        message = plain(error)
        if message == NO_LOCATION:
            name_of = "failure.locations"
        messages.setdefault(name_of, message)
    return messages


def plain(error: Mapping[str, Any]) -> str:
    """What one of pydantic's errors means, said plainly ("is required", "must be text")."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("string_too_short", "too_short"):
        minimum = context.get("min_length", 1)
        return "is required" if minimum == 1 else f"must have at least {minimum} characters"
    template = PLAIN.get(kind)
    if template is None:
        return str(error["msg"])
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return str(error["msg"])


def renamed(fields: Mapping[str, str], names: Callable[[str], str], *, no_location: str) -> dict[str, str]:
    """The messages of `InvalidInput.fields` with each field called as a channel's users see it.

    `names` maps a dotted path to the channel's name for it (a flag, a label); `no_location` is how
    the channel says the one rule that spans two fields.
    """
    return {
        names(path): no_location if message == NO_LOCATION else message for path, message in fields.items()
    }


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
