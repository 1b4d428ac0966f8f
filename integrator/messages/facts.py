"""How an escalation reads outside integrator: the compact title and the facts a page and a P1 carry.

Both adapters send the same facts in the same order; each renders them in its own markup.
"""

from __future__ import annotations

from datetime import UTC, datetime

from integrator.domain import money
from integrator.domain.deals import arr_at_risk
from integrator.domain.escalation import Escalation
from integrator.domain.report import Deal, Person, Reporter

TITLE_LIMIT = 250
MAX_LOCATIONS = 20


def title(escalation: Escalation) -> str:
    """One line of at most 250 characters, e.g. `[POC] Globex ($480k ARR): Batch ingest drops rows`."""
    deal = escalation.report.deal
    text = f"[POC] {deal.account} ({compact_arr(deal)} ARR): {escalation.report.failure.title}"
    return clip(" ".join(text.split()), TITLE_LIMIT)


def shared_title(escalation: Escalation) -> str:
    """The incident's title and the P1's summary: `title` while there is one deal; with several, the
    first deal's account, how many more, and the ARR at risk summed per currency, e.g.
    `[POC] Initech +2 deals ($980k + €250k ARR at risk): Batch ingest drops rows`."""
    first, *more = escalation.deals
    if not more:
        return title(escalation)
    at_risk = " + ".join(money.compact(a.amount, a.currency) for a in arr_at_risk(escalation.deals))
    deals = f"+{len(more)} deal{'s' if len(more) > 1 else ''}"
    text = f"[POC] {first.account} {deals} ({at_risk} ARR at risk): {first.report.failure.title}"
    return clip(" ".join(text.split()), TITLE_LIMIT)


def compact_arr(deal: Deal) -> str:
    """$480k, €1.2M, 950k CHF: the size of the deal at a glance."""
    return money.compact(deal.arr, deal.currency)


def full_arr(deal: Deal) -> str:
    """480,000 USD (cents only when there are any)."""
    return money.exact(deal.arr, deal.currency)


def person(who: Person | Reporter | None) -> str:
    if who is None:
        return ""
    if who.name and who.email:
        return f"{who.name} <{who.email}>"
    return who.name or who.email or ""


def moment(when: datetime) -> str:
    """A time as UTC, to the minute."""
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, saying so when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def locations(escalation: Escalation) -> list[str]:
    """Where the failure is: the deciding location first, then the others the report named."""
    found = [escalation.owner.location] if escalation.owner.location else []
    found += escalation.report.failure.locations
    return list(dict.fromkeys(found))[:MAX_LOCATIONS]


def facts(escalation: Escalation) -> list[tuple[str, str]]:
    """The labelled facts of an escalation, in reading order, empty ones left out."""
    report, deal, failure = escalation.report, escalation.report.deal, escalation.report.failure
    rows = [
        ("Failure", failure.title),
        ("Account", deal.account),
        ("ARR at stake", full_arr(deal)),
        ("POC ends", deal.poc_ends_on.isoformat() if deal.poc_ends_on else ""),
        ("Economic buyer", person(deal.economic_buyer)),
        ("Executive sponsor", person(deal.executive_sponsor)),
        ("Account executive", person(deal.account_executive)),
        ("Success criterion violated", failure.criterion),
        ("Observed", failure.observed),
        ("Locations", ", ".join(locations(escalation))),
        ("Environment", failure.environment),
        ("Test halted", "yes, the customer stopped the test" if failure.test_halted else "no"),
        ("Why this owner", escalation.owner.explain()),
        ("Reported by", person(report.reporter)),
        ("RCA promised by", moment(escalation.rca_due)),
        ("Fix due", moment(escalation.fix_due)),
        ("Escalation", escalation.url),
    ]
    return [(label, value) for label, value in rows if value]
