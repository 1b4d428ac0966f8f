"""ARR as Sales Engineers type it, and how pages show amounts and clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from integrator.domain.money import parse_amount
from integrator.web.pages import link, money, time_left


@pytest.mark.parametrize(
    ("typed", "value", "currency"),
    [
        ("480000", "480000", None),
        ("500k", "500000", None),
        ("500K", "500000", None),
        ("1.2M", "1200000", None),
        ("1.2 million", "1200000", None),
        ("500,000", "500000", None),
        ("1 200 000", "1200000", None),
        ("$480,000", "480000", "USD"),
        ("€1.5m", "1500000", "EUR"),
        ("USD 250k", "250000", "USD"),
        ("$ 480,000.50", "480000.50", "USD"),
    ],
)
def test_arr_is_read_the_way_people_write_it(typed: str, value: str, currency: str | None) -> None:
    amount = parse_amount(typed)

    assert amount.value == Decimal(value)
    assert amount.currency == currency


@pytest.mark.parametrize("typed", ["lots", "", "-5", "1.2.3", "12,34", "5 zillion", "99999999999999"])
def test_what_is_not_an_amount_is_said_plainly(typed: str) -> None:
    with pytest.raises(ValueError, match=r"not an amount|too large"):
        parse_amount(typed)


def test_amounts_show_without_cents_unless_there_are_some() -> None:
    assert money(Decimal("1200000.00"), "USD") == "USD 1,200,000"
    assert money(Decimal("480000.50"), "EUR") == "EUR 480,000.50"


def test_clocks_show_time_left_or_how_overdue() -> None:
    now = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)

    assert time_left(now + timedelta(hours=47, minutes=12), now) == "47 h 12 min left"
    assert time_left(now + timedelta(minutes=9), now) == "9 min left"
    assert time_left(now - timedelta(hours=2, minutes=5), now) == "overdue by 2 h 5 min"


def test_only_web_links_are_linked() -> None:
    assert link("https://acme.atlassian.net/browse/ING-1") == "https://acme.atlassian.net/browse/ING-1"
    assert link("javascript:alert(1)") == "#"
    assert link(None) == "#"
