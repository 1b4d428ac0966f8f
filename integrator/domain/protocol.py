"""The protocol's "stop and tell": which of the customer's people a report must name (pure)."""

from __future__ import annotations

from typing import Literal

from integrator.domain.report import FailureReport

ContactsPolicy = Literal["warn", "require", "off"]

# The people the customer must hear it from us: the field that names each, and their role in words.
CONTACTS = {
    "deal.economic_buyer.email": "Economic Buyer",
    "deal.executive_sponsor.email": "Executive Sponsor",
}


def missing_contacts(report: FailureReport) -> list[str]:
    """The dotted fields of the contacts the report does not name (no email given)."""
    deal = report.deal
    given = {
        "deal.economic_buyer.email": deal.economic_buyer.email if deal.economic_buyer else None,
        "deal.executive_sponsor.email": deal.executive_sponsor.email if deal.executive_sponsor else None,
    }
    return [name for name in CONTACTS if not given[name]]


def contact_warning(name: str) -> str:
    """What the Sales Engineer reads when a report leaves the contact of field `name` out."""
    role = CONTACTS[name]
    return f"{name}: no {role} is named, so nobody will tell them; stop and tell the {role} yourself"


def contact_refusal(name: str) -> str:
    """The field's message when the protocol requires the contact (INTEGRATOR_PROTOCOL__CONTACTS=require)."""
    return f"is required: name the {CONTACTS[name]}, who must be told of the failure"
