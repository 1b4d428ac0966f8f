"""The web form's fields ↔ a FailureReport: local times, messages per field, named by their labels.

Form fields are named by the report's dotted paths (`deal.arr`, `failure.stack_trace`), so every
message of `parse_report` lands on the field it is about; the summary above the form calls each
field by the label on screen (`LABELS`). The ARR is read by the report model itself, as in the API
and the CLI.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrator.application.escalate import parse_report
from integrator.domain.rca import default_rca_due
from integrator.domain.report import FailureReport
from integrator.errors import NO_LOCATION, InvalidInput

PEOPLE = ("economic_buyer", "executive_sponsor", "account_executive")
TEXT_FIELDS = (
    "deal.account",
    "deal.arr",
    "deal.currency",
    "deal.poc_ends_on",
    *(f"deal.{who}.{part}" for who in PEOPLE for part in ("name", "email")),
    "failure.title",
    "failure.description",
    "failure.criterion",
    "failure.observed",
    "failure.locations",
    "failure.stack_trace",
    "failure.environment",
    "failure.occurred_at",
    "reporter.name",
    "reporter.email",
    "reporter.time_zone",
    "rca_due",
    "idempotency_key",
)
CHECKBOXES = ("failure.test_halted", "failure.halt")
REQUIRED = ("deal.account", "deal.arr", "failure.title", "reporter.email")
PARTS = ("name", "email")
PERSON_LABELS = {"economic_buyer": "Economic buyer", "executive_sponsor": "Executive sponsor"}
PERSON_LABELS["account_executive"] = "Account executive"
# Each field as the form shows it; the summary of problems names fields by these labels.
LABELS = {
    "deal.account": "Account",
    "deal.arr": "ARR",
    "deal.currency": "Currency",
    "deal.poc_ends_on": "POC ends on",
    "failure.title": "Title",
    "failure.description": "Description",
    "failure.criterion": "Mutual Success Plan criterion",
    "failure.observed": "What was observed",
    "failure.locations": "Locations",
    "failure.stack_trace": "Stack trace",
    "failure.environment": "Environment",
    "failure.test_halted": "The customer's test is halted",
    "failure.occurred_at": "Occurred at",
    "reporter.name": "Your name",
    "reporter.email": "Your email",
    "reporter.time_zone": "Your time zone",
    "rca_due": "Root-cause analysis promised by",
    "idempotency_key": "Form key",
}
LABELS.update({f"deal.{who}.{p}": f"{text} {p}" for who, text in PERSON_LABELS.items() for p in PARTS})
NO_LOCATION_HERE = "is required when there is no Stack trace"
LOCAL_TIME = "%Y-%m-%dT%H:%M"


def values_from(form: Mapping[str, Any]) -> dict[str, str]:
    """The submitted form as plain strings (what re-rendering the form shows again)."""
    values = {name: str(form.get(name) or "").replace("\r\n", "\n") for name in TEXT_FIELDS}
    values.update({name: "on" if form.get(name) else "" for name in CHECKBOXES})
    return values


def label(field: str) -> str:
    """The label on screen of a form field (`deal.arr` is ARR)."""
    return LABELS.get(field, field)


def form_messages(fields: Mapping[str, str]) -> dict[str, str]:
    """Messages keyed by the form field they belong on (`failure.locations.0` → Locations), in its words."""
    messages: dict[str, str] = {}
    for path, message in fields.items():
        field = path
        while field not in LABELS and "." in field:
            field = field.rpartition(".")[0]
        messages.setdefault(field, NO_LOCATION_HERE if message == NO_LOCATION else message)
    return messages


def blank(*, now: datetime, time_zone: str = "UTC", reporter_email: str = "") -> dict[str, str]:
    """A fresh form: a new idempotency key, the RCA promise at its default, USD."""
    values = dict.fromkeys([*TEXT_FIELDS, *CHECKBOXES], "")
    values.update(
        {
            "deal.currency": "USD",
            "reporter.time_zone": time_zone,
            "reporter.email": reporter_email,
            "rca_due": default_rca_due(now, time_zone).strftime(LOCAL_TIME),
            "idempotency_key": "form-" + secrets.token_urlsafe(16),
        }
    )
    return values


def report_from(values: Mapping[str, str]) -> FailureReport:
    """The validated report these values describe; `InvalidInput` names every bad field."""
    problems: dict[str, str] = {}
    zone = _zone(values["reporter.time_zone"])
    failure = _failure(values)
    data: dict[str, Any] = {
        "deal": _deal(values),
        "failure": failure,
        "reporter": {
            "name": values["reporter.name"],
            "email": values["reporter.email"],
            "time_zone": values["reporter.time_zone"] or "UTC",
        },
        "idempotency_key": values["idempotency_key"] or None,
    }
    for field, target, key in (("failure.occurred_at", failure, "occurred_at"), ("rca_due", data, "rca_due")):
        try:
            _set(target, key, _local(values[field], zone))
        except ValueError:
            problems[field] = "is not a date and time (YYYY-MM-DD HH:MM)"
    try:
        report = parse_report(data)
    except InvalidInput as exc:
        raise InvalidInput(form_messages({**exc.fields, **problems})) from exc
    if problems:
        raise InvalidInput(problems)
    return report


def _deal(values: Mapping[str, str]) -> dict[str, Any]:
    """The report's `deal` as typed: the model reads the ARR (`$500k`, `1.2M`, `USD 480000`)."""
    deal: dict[str, Any] = {"account": values["deal.account"], "arr": values["deal.arr"]}
    _set(deal, "currency", values["deal.currency"])
    _set(deal, "poc_ends_on", values["deal.poc_ends_on"])
    for who in PEOPLE:
        person = {part: values[f"deal.{who}.{part}"].strip() for part in ("name", "email")}
        if any(person.values()):
            deal[who] = {"name": person["name"], "email": person["email"] or None}
    return deal


def _failure(values: Mapping[str, str]) -> dict[str, Any]:
    failure: dict[str, Any] = {
        name: values[f"failure.{name}"]
        for name in ("title", "description", "criterion", "observed", "stack_trace", "environment")
    }
    failure["locations"] = [line.strip() for line in values["failure.locations"].splitlines() if line.strip()]
    failure["test_halted"] = bool(values["failure.test_halted"])
    failure["halt"] = bool(values["failure.halt"])
    return failure


def _set(target: dict[str, Any], key: str, value: object) -> None:
    if value not in (None, ""):
        target[key] = value.strip() if isinstance(value, str) else value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # the time zone field gets its own message from the model


def _local(text: str, zone: ZoneInfo) -> datetime | None:
    """A `datetime-local` value (the reporter's wall clock) as an aware time; None when empty."""
    if not text.strip():
        return None
    parsed = datetime.fromisoformat(text.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
