"""Remembered accounts offered back: their JSON (API, form) and what they fill in a new report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrator.domain.accounts import ROLES, Account
from integrator.domain.money import parse_amount

FOUND_MAX = 50  # the most accounts one lookup lists: a suggestion list, not an export


def account_dict(account: Account) -> dict[str, Any]:
    """An account as the API and the form's script read it; the deal fields are named as in a report."""
    people = {
        role: {"name": contact.name, "email": contact.email} if (contact := account.contact(role)) else None
        for role in ROLES
    }
    return {
        "name": account.name,
        "arr": str(account.arr),
        "currency": account.currency,
        "poc_ends_on": account.poc_ends_on.isoformat() if account.poc_ends_on else None,
        **people,
        "escalation_id": account.escalation_id,
        "updated_at": account.updated_at.isoformat(),
    }


def filled(deal: Mapping[str, Any], account: Account) -> dict[str, Any]:
    """A report's `deal` with what it does not give taken from the remembered account.

    Only missing (or empty) fields are filled; a field the report gives is kept as given, so a
    new ARR or a new contact is what the account will remember next. An ARR given with its own
    currency (`€500k`) keeps that currency. The account keeps its remembered spelling (`globex`
    typed, `Globex` kept).
    """
    remembered = account_dict(account)
    given = {key: value for key, value in deal.items() if value not in (None, "", {})}
    taken = {key: remembered[key] for key in ("arr", "currency", "poc_ends_on", *ROLES)}
    taken["account"] = account.name
    if _names_currency(given.get("arr")):
        del taken["currency"]
    return {**{k: v for k, v in taken.items() if v is not None}, **given, "account": account.name}


def _names_currency(arr: object) -> bool:
    try:
        return isinstance(arr, str) and parse_amount(arr).currency is not None
    except ValueError:
        return False  # the report's validation says why
