"""Who is told of what: the roles and topics of every message, and each topic's recipients."""

from __future__ import annotations

from integrator.domain.escalation import Escalation, Topic

ROLES = (
    "engineer",
    "reporter",
    "executive_sponsor",
    "account_executive",
    "breach_contact",
    "executive_escalation",
)
EXECUTIVE_TOPICS = ("escalated", "breach", "fixed", "arr_at_risk")  # when the executive escalation is told
TOPICS = tuple(Topic)
STATE_CHANGES = ("acknowledged", "in_progress", "fixed", "page_resolved")


def recipients(escalation: Escalation, topic: str) -> list[tuple[str, str]]:
    """(role, email) of everyone told of `topic`; one entry per address, the most specific role kept."""
    check(topic=topic)
    deal, report = escalation.report.deal, escalation.report
    engineer = ("engineer", escalation.owner.engineer)
    reporter = ("reporter", report.reporter.email)
    if topic == "escalated":
        sponsor = deal.executive_sponsor.email if deal.executive_sponsor else None
        executive = deal.account_executive.email if deal.account_executive else None
        people = [engineer, reporter, ("executive_sponsor", sponsor), ("account_executive", executive)]
    elif topic in STATE_CHANGES:
        people = [reporter]
    elif topic == "breach":
        people = [engineer, reporter, *(("breach_contact", c) for c in escalation.owner.team.breach_contacts)]
    elif topic == "tell_customer":
        people = [reporter]
    elif topic == "arr_at_risk":
        people = []  # the executive escalation only
    else:
        people = [engineer, reporter]
    if topic in EXECUTIVE_TOPICS:
        people += [("executive_escalation", a) for a in escalation.owner.team.executive_escalation]
    found: dict[str, tuple[str, str]] = {}
    for role, address in people:
        if address and "@" in address:
            found.setdefault(address.strip().lower(), (role, address.strip()))
    return list(found.values())


def check(*, topic: str, role: str | None = None) -> None:
    if topic not in TOPICS:
        raise ValueError(f"topic: unknown {topic!r} (one of {', '.join(TOPICS)})")
    if role is not None and role not in ROLES:
        raise ValueError(f"role: unknown {role!r} (one of {', '.join(ROLES)})")
