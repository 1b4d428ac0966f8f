"""A customer account as its latest report left it: contacts, ARR, currency, POC end date.

What a Sales Engineer typed once is offered back on the next report (the form, the API, the
CLI's `--account`). The rule for remembering is here, once, for every store: the latest report
wins, except that a contact (or a POC end date) the latest report leaves empty does not erase
the one remembered; a contact named again replaces both its name and its email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from integrator.domain.report import Deal, Person

ROLES = ("economic_buyer", "executive_sponsor", "account_executive")
NAME_MAX = 200  # a longer account name is accepted in a report but not remembered


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None


@dataclass(frozen=True)
class Account:
    name: str  # as the latest report spelled it
    arr: Decimal
    currency: str
    poc_ends_on: date | None
    economic_buyer: Contact | None
    executive_sponsor: Contact | None
    account_executive: Contact | None
    escalation_id: str  # the latest report's escalation
    updated_at: datetime

    def contact(self, role: str) -> Contact | None:
        found: Contact | None = getattr(self, role)
        return found


def account_key(name: str) -> str:
    """The name accounts are told apart by: `Globex ` and `globex` are one account."""
    return " ".join(name.split()).casefold()


def _contact(person: Person | None) -> Contact | None:
    if person is None or not (person.name or person.email):
        return None
    return Contact(person.name, person.email)


def remembered(deal: Deal, *, before: Account | None, escalation_id: str, at: datetime) -> Account | None:
    """The account after this report's deal: the latest report wins, empty contacts keep the old ones.

    None when the name is too long to remember (the report itself is accepted all the same).
    """
    if len(account_key(deal.account)) > NAME_MAX:
        return None
    people = {
        role: _contact(getattr(deal, role)) or (before.contact(role) if before else None) for role in ROLES
    }
    return Account(
        name=deal.account,
        arr=deal.arr,
        currency=deal.currency,
        poc_ends_on=deal.poc_ends_on or (before.poc_ends_on if before else None),
        economic_buyer=people["economic_buyer"],
        executive_sponsor=people["executive_sponsor"],
        account_executive=people["account_executive"],
        escalation_id=escalation_id,
        updated_at=at,
    )
