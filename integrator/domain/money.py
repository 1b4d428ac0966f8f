"""Amounts as people type them: `500k`, `1.2M`, `500,000`, `$480,000` → a Decimal (and its currency)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "usd": "USD", "eur": "EUR", "gbp": "GBP"}
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
    r"""^(?P<currency>[$€£¥]|usd|eur|gbp)?\s*
        (?P<number>\d{1,3}(?:[,\s_]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*
        (?P<scale>[a-z]*)$""",
    re.VERBOSE,
)
CENT = Decimal("0.01")
LIMIT = Decimal("1e13")  # the store keeps 15 digits, two of them cents
WHOLE_DIGITS = 13


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str | None  # the currency its symbol or code named, if it had one


def parse_amount(text: str) -> Amount:
    """The amount `text` names; a `ValueError` says what was not understood."""
    shown = text.strip()
    match = _AMOUNT.match(shown.lower().replace("\u00a0", " "))
    if not match or match["scale"] not in SCALES:
        raise ValueError(f"{shown!r} is not an amount; write it like 480000, 500k, 1.2M or $480,000")
    digits = re.sub(r"[,\s_]", "", match["number"])
    if len(digits.split(".", 1)[0].lstrip("0")) > WHOLE_DIGITS:  # before any arithmetic can overflow
        raise ValueError(f"{shown!r} is too large for an ARR")
    value = (Decimal(digits) * SCALES[match["scale"]]).quantize(CENT)
    if value >= LIMIT:
        raise ValueError(f"{shown!r} is too large for an ARR")
    return Amount(value=value, currency=CURRENCIES.get(match["currency"] or ""))


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
