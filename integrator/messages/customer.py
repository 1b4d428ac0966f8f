"""What the customer sees: the drafted update and the status page's timeline.

Customer-safe: no internal names or addresses, no ARR, trace or internal link.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from integrator.domain.clocks import rca_sent_at
from integrator.domain.escalation import Escalation, Message, State
from integrator.domain.halt import HALTED, halt_status
from integrator.messages.facts import clip
from integrator.messages.wording import KEEP_IN_TOUCH, sentence


def customer_update_draft(escalation: Escalation) -> Message | None:
    """An update to the Economic Buyer, for the SE to review and send; None without their email.

    Follows state: engaged, acknowledged, in progress, fixed. Customer-safe: the only person named
    is the SE who signs it; no ARR, trace, internal link or address.
    """
    e = escalation
    buyer = e.report.deal.economic_buyer
    if buyer is None or not buyer.email:
        return None
    failure, zone = e.report.failure, e.report.reporter.time_zone
    lead = f"engineering lead for {e.owner.team.service}"
    fixed = e.fixed_at is not None
    subject = f"{'Fixed' if fixed else 'Update'}: {clip(failure.title, 150)} in your proof-of-concept"
    failed = f"What failed: {sentence(failure.title)}"
    if failure.observed:
        failed += f" What you saw: {sentence(failure.observed)}"
    opening = (
        "I am glad to tell you that the problem in your proof-of-concept is fixed."
        if fixed
        else "I want to be open with you about the problem in your proof-of-concept and what we are doing."
    )
    criterion = "It violates a success criterion we agreed on in our Mutual Success Plan: "
    criterion += sentence(failure.criterion)
    parts = [
        f"Hi {buyer.name.split()[0]}," if buyer.name else "Hello,",
        opening,
        failed,
        criterion if failure.criterion else "",
        _halted(fixed) if failure.test_halted else "",
        _we_halted(e),
        _customer_progress(e, lead, zone),
        _customer_promises(e, zone),
        f"You can follow progress at any time here: {e.status_url}" if e.status_url else "",
        "Thank you for your patience while we fixed it." if fixed else KEEP_IN_TOUCH,
        f"Best regards,\n{e.report.reporter.name or e.report.reporter.email}",
    ]
    body = "\n\n".join(part for part in parts if part) + "\n"
    return Message(to=buyer.email, subject=subject, body=body)


def _halted(fixed: bool) -> str:
    if fixed:
        return "We know it halted the test in your environment."
    return "We know it halted the test in your environment, and we take that seriously."


def _we_halted(e: Escalation) -> str:
    """Said only once the environment's hook confirmed the halt (or the resume); never when planned."""
    status = halt_status(e)
    if status is None:
        return ""
    if status.state == HALTED:
        return "I have halted your testing environment so that nothing more is affected while we fix it."
    if status.state == "resumed":
        return "I have resumed your testing environment: you can continue the test."
    return ""


def _customer_progress(e: Escalation, lead: str, zone: str) -> str:
    if e.fixed_at is not None:
        return f"The fix was deployed on {_customer_when(e.fixed_at, zone)}."
    if e.acknowledged_at is not None:
        since = _customer_when(e.acknowledged_at, zone)
        text = f"Our {lead} is engaged and has been working on it since {since}."
    elif e.page is not None or e.state in (State.PAGED, State.ACKNOWLEDGED):
        text = f"Our {lead} has been paged directly and is engaged."
    else:
        return f"We have escalated it directly to our {lead}."
    return text + (" A fix is in progress." if e.jira_state == "indeterminate" else "")


def _customer_promises(e: Escalation, zone: str) -> str:
    rca_at = rca_sent_at(e, e.seen_as)
    if rca_at is not None:
        rca = f"We sent you the root-cause analysis on {_customer_when(rca_at, zone)}."
    else:
        rca = f"You will receive the root-cause analysis by {_customer_when(e.rca_due, zone)}."
    if e.fixed_at is not None:
        resume = (
            " Let me know when you would like to resume the test." if e.report.failure.test_halted else ""
        )
        return f"{rca}{resume}"
    fix = _customer_when(e.fix_due, zone)
    return f"{rca} Our commitment is a fix by {fix}, and I will tell you as soon as it is deployed."


def customer_timeline(escalation: Escalation) -> list[tuple[datetime, str]]:
    """The status page's timeline: what happened and when, without internal names, ARR or links."""
    e = escalation
    lead = f"Our engineering lead for {e.owner.team.service}"
    reported = next((d.created_at for d in e.deals if d.number == e.seen_as), e.created_at)
    entries = [(reported, "Issue reported to our engineering team")]
    halted = halt_status(e)  # this deal's environment, confirmed by its hook (never when only planned)
    if halted is not None and halted.at is not None and halted.state in (HALTED, "resumed"):
        what = (
            "Your testing environment was halted" if halted.state == HALTED else "Testing environment resumed"
        )
        entries.append((halted.at, what))
    first: dict[str, datetime] = {}
    for event in e.timeline:
        first.setdefault(event.kind, event.at)
        if event.kind == "customer_update_sent" and e.seen_as in event.data.get("deals", [1]):
            what = "Root-cause analysis sent" if event.data.get("rca") else "Update sent"
            entries.append((event.at, what))
    if "paged" in first:
        entries.append((first["paged"], f"{lead} was paged directly"))
    if e.acknowledged_at is not None:
        entries.append((e.acknowledged_at, f"{lead} is engaged and working on it"))
    if "in_progress" in first:
        entries.append((first["in_progress"], "Fix in progress"))
    if e.fixed_at is not None:
        entries.append((e.fixed_at, "Fix deployed"))
    return sorted(entries, key=lambda entry: entry[0])


def _customer_when(when: datetime, zone: str) -> str:
    """Saturday 28 November 2026 at 12:00 EST."""
    local = when.astimezone(ZoneInfo(zone) if zone != "UTC" else UTC)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {local:%Z}"
