"""One ARR parser and one set of plain messages for every channel: the report model reads them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integrator.application.escalate import parse_report
from integrator.domain.report import FailureReport
from integrator.errors import InvalidInput
from tests.support import report_data


def with_deal(**deal: Any) -> dict[str, Any]:
    data = report_data()
    data["deal"] = {**data["deal"], **deal}
    return data


def refused(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_report(data)
    return caught.value.fields


@pytest.mark.parametrize(
    ("typed", "value", "currency"),
    [
        (480000, "480000", "USD"),
        ("480000", "480000", "USD"),
        ("480,000", "480000", "USD"),
        ("$500k", "500000", "USD"),
        ("1.2M", "1200000", "USD"),
        ("USD 480000", "480000", "USD"),
        ("480000 EUR", "480000", "EUR"),
        ("€1.5m", "1500000", "EUR"),
        ("CHF 950k", "950000", "CHF"),
    ],
)
def test_arr_is_a_number_or_text_as_people_write_it(typed: object, value: str, currency: str) -> None:
    deal = parse_report(with_deal(arr=typed)).deal

    assert (deal.arr, deal.currency) == (Decimal(value), currency)


def test_a_currency_named_in_the_arr_must_agree_with_the_one_given() -> None:
    assert parse_report(with_deal(arr="USD 480000", currency="USD")).deal.currency == "USD"
    assert refused(with_deal(arr="EUR 480000", currency="USD")) == {
        "deal.arr": "is in EUR but the currency is USD"
    }
    assert refused(with_deal(arr="$5 EUR")) == {"deal.arr": "'$5 EUR' names two currencies (EUR and USD)"}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("lots", "'lots' is not an amount; write it like 480000, 480,000, $500k, 1.2M or USD 480000"),
        ("", "is required"),
        (-5, "must be 0 or more"),
        (None, "must be a number"),
        ("99999999999999", "'99999999999999' is too large for an ARR"),
    ],
)
def test_a_bad_arr_is_said_plainly(typed: object, message: str) -> None:
    assert refused(with_deal(arr=typed)) == {"deal.arr": message}


def test_messages_are_plain_words_not_pydantics() -> None:
    data = report_data()
    data["reporter"]["email"] = 5
    data["failure"]["title"] = ""
    data["failure"]["test_halted"] = "perhaps"
    del data["deal"]["account"]
    data["deal"]["currency"] = "usd"

    assert refused(data) == {
        "deal.account": "is required",
        "deal.currency": "must be a three-letter currency code such as USD or EUR",
        "failure.title": "is required",
        "failure.test_halted": "must be true or false",
        "reporter.email": "must be text",
    }


def test_the_location_rule_names_both_fields() -> None:
    data = report_data()
    data["failure"]["locations"] = []

    assert refused(data) == {"failure.locations": "failure.locations or failure.stack_trace is required"}


def test_a_stored_report_reads_back_its_arr_unchanged() -> None:
    report = parse_report(with_deal(arr="$1.2M"))

    again = FailureReport.stored(report.model_dump(mode="json"))

    assert again == report
