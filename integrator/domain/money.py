"""Amounts as people type them (`500k`, `1.2M`, `$480,000`, `USD 480000`) → a Decimal and its currency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}  # symbols; codes are read as written
SCALES = {
    "": Decimal(1),
    "k": Decimal(1_000),
    "thousand": Decimal(1_000),
    "m": Decimal(1_000_000),
    "mm": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "b": Decimal(1_000_000_000),
    "bn": Decimal(1_000_000_000),
    "billion": Decimal(1_000_000_000),
}
_AMOUNT = re.compile(
    r"""^(?:(?P<symbol>[$€£¥])|(?P<before>[a-z]{3})(?![a-z]))?\s*
        (?P<number>\d{1,3}(?:[,\s_]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*
        (?P<scale>thousand|million|billion|mm|bn|k|m|b)?\s*
        (?P<after>[a-z]{3})?$""",
    re.VERBOSE,
)
HINT = "write it like 480000, 480,000, $500k, 1.2M or USD 480000"
CENT = Decimal("0.01")
LIMIT = Decimal("1e13")  # the store keeps 15 digits, two of them cents
WHOLE_DIGITS = 13


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str | None  # the currency its symbol or code named, if it had one


def parse_amount(text: str) -> Amount:
    """The amount `text` names; a `ValueError` says what was not understood.

    A currency may be named by a symbol (`$`, `€`, `£`, `¥`) or an ISO code before or after the
    number (`USD 480000`, `480k EUR`); two that disagree are refused.
    """
    shown = text.strip()
    match = _AMOUNT.match(shown.lower().replace("\u00a0", " "))
    if not match:
        raise ValueError(f"{shown!r} is not an amount; {HINT}")
    named = {CURRENCIES[match["symbol"]]} if match["symbol"] else set()
    named |= {code.upper() for code in (match["before"], match["after"]) if code}
    if len(named) > 1:
        raise ValueError(f"{shown!r} names two currencies ({' and '.join(sorted(named))})")
    digits = re.sub(r"[,\s_]", "", match["number"])
    if len(digits.split(".", 1)[0].lstrip("0")) > WHOLE_DIGITS:  # before any arithmetic can overflow
        raise ValueError(f"{shown!r} is too large for an ARR")
    value = (Decimal(digits) * SCALES[match["scale"] or ""]).quantize(CENT)
    if value >= LIMIT:
        raise ValueError(f"{shown!r} is too large for an ARR")
    return Amount(value=value, currency=named.pop() if named else None)


SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def compact(value: Decimal, currency: str) -> str:
    """$480k, €1.2M, 950k CHF: the size of a deal at a glance."""
    for size, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k")):
        if value >= size:
            scaled = f"{value / size:.1f}".removesuffix(".0") + suffix
            break
    else:
        scaled = f"{value:,.0f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{scaled}" if symbol else f"{scaled} {currency}"


def exact(value: Decimal, currency: str, *, code_first: bool = False) -> str:
    """480,000 USD (or USD 480,000): cents only when there are any."""
    shown = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{currency} {shown}" if code_first else f"{shown} {currency}"
