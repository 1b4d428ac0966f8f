"""The failure report a Sales Engineer submits, validated field by field (no I/O)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _check_email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from exc
    return value


def _strip(value: str) -> str:
    return value.strip()


Email = Annotated[str, AfterValidator(_check_email)]
Text = Annotated[str, AfterValidator(_strip)]
RequiredText = Annotated[str, AfterValidator(_strip), Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=200_000)


class Person(_Strict):
    name: Text = ""
    email: Email | None = None


class Deal(_Strict):
    account: RequiredText
    arr: Decimal = Field(ge=0, max_digits=15, decimal_places=2)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    poc_ends_on: date | None = None
    economic_buyer: Person | None = None
    executive_sponsor: Person | None = None
    account_executive: Person | None = None


class Failure(_Strict):
    title: Annotated[str, AfterValidator(_strip), Field(min_length=1, max_length=250)]
    description: Text = ""
    criterion: Text = ""
    observed: Text = ""
    locations: list[Annotated[str, AfterValidator(_strip), Field(min_length=1, max_length=1000)]] = []
    stack_trace: str = ""
    environment: Text = ""
    test_halted: bool = False
    occurred_at: datetime | None = None


class Reporter(_Strict):
    name: Text = ""
    email: Email
    time_zone: Annotated[str, AfterValidator(_check_time_zone)] = "UTC"


class FailureReport(_Strict):
    """What a Sales Engineer submits when a proof-of-concept breaks."""

    deal: Deal
    failure: Failure
    reporter: Reporter
    rca_due: datetime | None = None
    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _needs_a_location(self) -> FailureReport:
        if not self.failure.locations and not self.failure.stack_trace.strip():
            raise ValueError("failure.locations or failure.stack_trace is required")
        return self
