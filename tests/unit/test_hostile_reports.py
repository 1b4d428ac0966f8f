"""Hostile reports are refused field by field, quickly and without a crash: the review's inputs, as sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from integrator.application.escalate import parse_report
from integrator.application.updates import CustomerUpdate
from integrator.domain.money import parse_amount
from integrator.domain.report import latest
from integrator.errors import InvalidInput
from tests.support import report_data

EMAIL_FIELDS = [
    ("reporter", "email"),
    ("deal", "economic_buyer", "email"),
    ("deal", "executive_sponsor", "email"),
    ("deal", "account_executive", "email"),
]
WINDOW = f"must be between 2000-01-01 and {latest().isoformat()}"


def refused(data: dict[str, Any] | str) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_report(json.dumps(data) if isinstance(data, dict) else data)
    return caught.value.fields


def with_value(path: tuple[str, ...], value: object) -> dict[str, Any]:
    data = report_data()
    target = data
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value
    return data


@pytest.mark.parametrize("path", EMAIL_FIELDS, ids=".".join)
def test_a_forty_thousand_dot_email_is_refused_in_every_email_field(path: tuple[str, ...]) -> None:
    fields = refused(with_value(path, "a@" + "." * 40000 + "@"))

    assert fields == {".".join(path): "is longer than 254 characters, the most an email address can have"}


@pytest.mark.parametrize("path", EMAIL_FIELDS, ids=".".join)
@pytest.mark.parametrize(
    "value", ["root,sponsor@acme.example", "root;sponsor@acme.example", "a@acme.example b@acme.example"]
)
def test_two_recipients_in_one_email_field_are_refused(path: tuple[str, ...], value: str) -> None:
    assert refused(with_value(path, value)) == {".".join(path): "must be exactly one email address"}


@pytest.mark.parametrize("value", ["sponsor@acme.example\x00", "sponsor@acme.example\r\nBcc: x@evil.example"])
def test_control_characters_in_an_email_are_refused(value: str) -> None:
    fields = refused(with_value(("reporter", "email"), value))

    assert fields["reporter.email"].startswith("contains a control character")


def test_an_ordinary_address_still_passes() -> None:
    report = parse_report(json.dumps(with_value(("reporter", "email"), " Priya.N+poc@Acme.example ")))

    assert report.reporter.email == "Priya.N+poc@Acme.example"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("failure", "title"), "Batch\x00drops rows"),
        (("failure", "title"), "Batch drops rows\nSubject: forged"),
        (("deal", "account"), "Globex\x00"),
        (("deal", "economic_buyer", "name"), "Hank\x1bScorpio"),
        (("reporter", "name"), "Priya\x07"),
        (("failure", "criterion"), "MSP-3\x00"),
        (("failure", "environment"), "eu-west-1\x7f"),
    ],
)
def test_one_line_fields_refuse_control_characters_and_line_breaks(path: tuple[str, ...], value: str) -> None:
    fields = refused(with_value(path, value))

    assert fields[".".join(path)].startswith("must be one line without control characters (found U+")


@pytest.mark.parametrize("name", ["description", "observed", "stack_trace"])
def test_free_text_refuses_nul_but_keeps_tabs_and_line_breaks(name: str) -> None:
    assert refused(report_data(**{name: "first\x00second"})) == {
        f"failure.{name}": "contains a control character (U+0000)"
    }

    report = parse_report(json.dumps(report_data(**{name: "first line\r\n\tsecond line"})))

    assert "\tsecond line" in getattr(report.failure, name)


def test_an_rca_due_at_the_end_of_time_is_a_field_error_not_an_overflow() -> None:
    fields = refused({**report_data(), "rca_due": "9999-12-31T23:59:00-12:00"})

    assert fields == {"rca_due": WINDOW}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("rca_due",), "0001-01-01T00:00:00+00:00"),
        (("failure", "occurred_at"), "0001-01-01T09:00:00+14:00"),
        (("failure", "occurred_at"), "9999-12-31T23:59:59-12:00"),
        (("deal", "poc_ends_on"), "0001-01-01"),
        (("deal", "poc_ends_on"), "9999-12-31"),
    ],
)
def test_dates_outside_the_window_are_refused_naming_the_window(path: tuple[str, ...], value: str) -> None:
    assert refused(with_value(path, value)) == {".".join(path): WINDOW}


def test_an_arr_of_twenty_seven_digits_is_a_field_error() -> None:
    fields = refused(with_value(("deal", "arr"), int("9" * 27)))

    assert set(fields) == {"deal.arr"}
    with pytest.raises(ValueError, match="too large for an ARR"):
        parse_amount("9" * 27)
    with pytest.raises(ValueError, match="too large for an ARR"):
        parse_amount("$" + "9" * 200_000 + "k")


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"deal": ' * 100_000 + "1" + "}" * 100_000])
def test_json_nested_a_hundred_thousand_deep_is_refused_before_it_is_parsed(body: str) -> None:
    assert refused(body) == {"body": "nests deeper than 32 levels"}


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    report = parse_report(json.dumps(report_data(description="[" * 1000 + "{" * 1000)))

    assert report.failure.description.startswith("[[[")


@pytest.mark.parametrize(
    "to",
    [
        "a@" + "." * 40000 + "@",
        "root,sponsor@acme.example",
        "hank@globex.example\x00",
        "hank@globex.example;",
    ],
)
def test_a_customer_update_goes_to_exactly_one_clean_address(to: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        CustomerUpdate.checked(to=to, subject="Update on your proof-of-concept", body="We found it.")

    assert caught.value.fields == {"to": "must be one email address"}


@pytest.mark.parametrize(
    ("subject", "body", "field", "message"),
    [
        ("Update\x00", "We found it.", "subject", "must be one line"),
        ("Update", "We found\x00 it.", "body", "contains a control character (U+0000)"),
    ],
)
def test_a_customer_update_refuses_nul_in_its_subject_and_body(
    subject: str, body: str, field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        CustomerUpdate.checked(to="hank@globex.example", subject=subject, body=body)

    assert caught.value.fields == {field: message}


def test_a_customer_update_keeps_the_lines_and_tabs_of_its_body() -> None:
    update = CustomerUpdate.checked(to="hank@globex.example", subject="Update", body="Found:\r\n\tthe pool")

    assert update.body == "Found:\n\tthe pool"
