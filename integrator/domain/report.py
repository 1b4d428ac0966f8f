"""The failure report a Sales Engineer submits, validated field by field in linear time (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from integrator.domain.money import parse_amount
from integrator.errors import NO_LOCATION

EMAIL_MAX = 254  # RFC 5321: the longest address a forward path can carry
EARLIEST = date(2000, 1, 1)
YEARS_AHEAD = 10
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # Cc less tab, LF and CR
_When = TypeVar("_When", date, datetime)
_Value = TypeVar("_Value")
STORED = "stored"  # validation context of a report read back from the store


def email_problem(value: str) -> str | None:
    """Why `value` is not exactly one email address, or None when it is one; linear in its length.

    The cheap checks come first (length, control characters, a second address), so a long or
    crafted value is refused before the validator reads it; DNS is never asked.
    """
    if len(value) > EMAIL_MAX:
        return f"is longer than {EMAIL_MAX} characters, the most an email address can have"
    if (found := control_character(value)) is not None:
        return f"contains a control character ({found})"
    if "," in value or ";" in value or value.count("@") > 1:
        return "must be exactly one email address"
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return "is not an email address"
    return None


def _check_email(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("is required")
    if (problem := email_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from exc
    return value


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def control_character(value: str, *, free_text: bool = False) -> str | None:
    """The first control character in `value` as `U+0000`, or None; free text may hold tabs and newlines."""
    found = (_CONTROL_BUT_LINES if free_text else _CONTROL).search(value)
    return _codepoint(found.group()) if found else None


def _one_line(value: str) -> str:
    """A one-line field: trimmed, and with no control character at all (not even a line break)."""
    return _no_control(value.strip())


def _no_control(value: str) -> str:
    if (found := control_character(value)) is not None:
        raise ValueError(f"must be one line without control characters (found {found})")
    return value


def _free_text(value: str) -> str:
    """Free text keeps its tabs and line breaks; any other control character is refused."""
    if (found := control_character(value, free_text=True)) is not None:
        raise ValueError(f"contains a control character ({found})")
    return value


def latest() -> date:
    """The last date a report may name: ten years from today (28 February for a 29 February)."""
    today = datetime.now(UTC).date()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def _in_window(value: _When) -> _When:
    # The calendar date as written is compared, never the instant: a far date overflows in UTC.
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= latest():
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {latest().isoformat()}")
    return value


def _on_input(check: Callable[[_Value], _Value]) -> AfterValidator:
    """`check` for what people send; a stored report is read back as it was accepted then."""

    def run(value: _Value, info: ValidationInfo) -> _Value:
        return value if isinstance(info.context, Mapping) and info.context.get(STORED) else check(value)

    return AfterValidator(run)


Email = Annotated[str, _on_input(_check_email)]
Text = Annotated[str, _on_input(_one_line)]
RequiredText = Annotated[str, _on_input(_one_line), Field(min_length=1)]
FreeText = Annotated[str, _on_input(_free_text)]
When = Annotated[datetime, _on_input(_in_window)]
Key = Annotated[str, _on_input(_no_control), Field(min_length=1, max_length=200)]
Day = Annotated[date, _on_input(_in_window)]


@dataclass(frozen=True)
class _Disagrees:
    """An ARR whose text names another currency than the deal's: refused on `deal.arr`."""

    named: str
    given: str


def _amount(value: object, info: ValidationInfo) -> object:
    """ARR as a number, or as people write it: `480000`, `480,000`, `$500k`, `1.2M`, `USD 480000`."""
    if isinstance(value, _Disagrees):
        raise ValueError(f"is in {value.named} but the currency is {value.given}")
    if not isinstance(value, str) or (isinstance(info.context, Mapping) and info.context.get(STORED)):
        return value
    if not value.strip():
        raise ValueError("is required")
    return parse_amount(value).value


def _check_currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("must be a three-letter currency code such as USD or EUR")
    return value


_ARR_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "examples": ["480000", "480,000", "$500k", "1.2M", "USD 480000"]},
    ],
    "description": "ARR at stake: a number, or text as people write it; a currency it names fills `currency`",
}
Arr = Annotated[
    Decimal,
    BeforeValidator(_amount),
    Field(ge=0, max_digits=15, decimal_places=2),
    WithJsonSchema(_ARR_SCHEMA),
]
_CODE_SCHEMA = {"type": "string", "pattern": "^[A-Z]{3}$"}
Currency = Annotated[str, AfterValidator(_check_currency), WithJsonSchema(_CODE_SCHEMA)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=200_000)


class Person(_Strict):
    name: Text = ""
    email: Email | None = None


class Deal(_Strict):
    account: RequiredText
    arr: Arr
    currency: Currency = "USD"
    poc_ends_on: Day | None = None
    economic_buyer: Person | None = None
    executive_sponsor: Person | None = None
    account_executive: Person | None = None

    @model_validator(mode="before")
    @classmethod
    def _currency_from_arr(cls, data: Any) -> Any:
        """A currency named in the ARR's text fills `currency` when not given, and must agree with it."""
        if not isinstance(data, Mapping) or not isinstance(data.get("arr"), str):
            return data
        try:
            named = parse_amount(data["arr"]).currency
        except ValueError:
            return data  # the field says why
        given = data.get("currency")
        if named is None or given == named:
            return data
        if given in (None, ""):
            return {**data, "currency": named}
        return {**data, "arr": _Disagrees(named, str(given))}


class Failure(_Strict):
    title: Annotated[str, _on_input(_one_line), Field(min_length=1, max_length=250)]
    description: Annotated[str, AfterValidator(str.strip), _on_input(_free_text)] = ""
    criterion: Text = ""
    observed: Annotated[str, AfterValidator(str.strip), _on_input(_free_text)] = ""
    locations: list[Annotated[str, _on_input(_one_line), Field(min_length=1, max_length=1000)]] = []
    stack_trace: FreeText = ""
    environment: Text = ""
    test_halted: bool = False  # already halted by hand (or by the failure itself)
    halt: bool = False  # halt the environment now, through its halt hook in the catalog
    occurred_at: When | None = None


class Reporter(_Strict):
    name: Text = ""
    email: Email
    time_zone: Annotated[str, _on_input(_no_control), AfterValidator(_check_time_zone)] = "UTC"


class FailureReport(_Strict):
    """What a Sales Engineer submits when a proof-of-concept breaks."""

    deal: Deal
    failure: Failure
    reporter: Reporter
    rca_due: When | None = None
    idempotency_key: Key | None = None
    link: bool = True  # may be added, as another deal, to an open escalation of the same failure

    @classmethod
    def stored(cls, data: Mapping[str, Any]) -> FailureReport:
        """A report read back from the store: its shape is checked, not today's input rules.

        A report accepted under earlier rules (a looser email check, no date window) stays readable.
        """
        return cls.model_validate(data, context={STORED: True})

    @model_validator(mode="after")
    def _needs_a_location(self) -> FailureReport:
        if not self.failure.locations and not self.failure.stack_trace.strip():
            raise ValueError(NO_LOCATION)
        return self
