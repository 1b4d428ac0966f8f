"""Phrases every message shares: a topic's news, who is engaged, links, deadlines, promises, times."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from integrator.domain import clocks
from integrator.domain.clocks import MILESTONES, PromiseState
from integrator.domain.deals import describe_arr
from integrator.domain.escalation import Escalation, Topic
from integrator.messages.facts import compact_arr, moment

HEADLINES = {
    "escalated": "Escalated",
    "acknowledged": "Acknowledged",
    "in_progress": "Fix in progress",
    "fixed": "Fixed",
    "page_resolved": "Page resolved, P1 still open",
    "fix-50": "Half the fix window gone",
    "fix-75": "75% of the fix window gone",
    "rca": "RCA due now",
    "breach": "OVERDUE",
    "tell_customer": "The customer has not been told",
    "arr_at_risk": "ARR at risk crossed the re-page line",
}


def news(e: Escalation, topic: str, zone: str, *, now: datetime | None = None) -> str:
    """What just happened, in one or two sentences (`now`: when it is said; a linked deal is told
    how much of the shared fix clock is left)."""
    key = e.ticket.key if e.ticket else "the Jira P1"
    if topic == "escalated":
        deal = e.report.deal
        hit = f"{deal.account} ({compact_arr(deal)} ARR) hit a failure in its proof-of-concept:"
        if e.seen_as > 1:
            return f"{hit} {sentence(e.report.failure.title)} {_joined(e, zone, now)}"
        return f"{hit} {sentence(e.report.failure.title)} The {_hours(e)}-hour fix clock has started."
    if topic == "acknowledged":
        at = _when(e.acknowledged_at, zone) if e.acknowledged_at else "just now"
        return f"{e.acknowledged_by or 'The on-call engineer'} acknowledged the page at {at}."
    if topic == "in_progress":
        return f"The fix is in progress: {key} is {e.jira_status or 'in progress'}."
    if topic == "fixed":
        at = _when(e.fixed_at, zone) if e.fixed_at else "now"
        status = e.jira_status or "Done"
        return f"The fix is confirmed: {key} is done ({status}) as of {at}. The fix clock is stopped."
    if topic == "arr_at_risk":
        accounts = ", ".join(d.account for d in e.deals)
        return (
            f"The same failure now blocks {len(e.deals)} deals ({accounts}): {describe_arr(e.deals)} ARR"
            " at risk, past the line at which the page is raised and you are told."
        )
    if topic == "page_resolved":
        return f"The PagerDuty page was resolved, but {key} is still open: the fix clock keeps running."
    if topic in MILESTONES:
        share = MILESTONES[Topic(topic)]
        gone = _number(_window_hours(e) * share)
        return (
            f"{share:.0%} of the {_hours(e)}-hour fix window has passed ({gone} hours)."
            f" The fix is due {_when(e.fix_due, zone)}."
        )
    if topic == "tell_customer":
        seen = e.deal(e.seen_as)  # a linked deal's customer: since that deal's report
        return (
            f"{e.report.deal.account} has not been sent an update since the failure was escalated"
            f" at {_when(seen.created_at if seen else e.created_at, zone)}. Stop and tell the customer:"
            " they should hear it from us first."
        )
    if topic == "rca":
        return f"The root-cause analysis promised to the customer is due now: {_when(e.rca_due, zone)}."
    return (
        f"The fix is overdue: the {_hours(e)}-hour fix clock ran out at {_when(e.fix_due, zone)}"
        " and the fix is not confirmed."
    )


def _joined(e: Escalation, zone: str, now: datetime | None) -> str:
    """For a linked deal: the failure is already escalated for deal 1, and what is left of its clock."""
    first = e.deals[0].account
    said = now or next((d.created_at for d in e.deals if d.number == e.seen_as), e.created_at)
    left = e.fix_due - said
    due = (
        f"The fix is due {_when(e.fix_due, zone)}, {duration(left)} from now"
        if left.total_seconds() > 0
        else (f"The fix was due {_when(e.fix_due, zone)}, {duration(-left)} ago")
    )
    return (
        f"It is the same failure already escalated for {first}: the engineer is already paged and the fix"
        f" is shared. {due}; the {_hours(e)}-hour clock started with the first report for {first}."
    )


def duration(span: timedelta) -> str:
    """`41 h 12 min`, `25 min`, `3 h`: a span to the minute (rounded down)."""
    minutes = max(0, int(span.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return " ".join(
        filter(None, [f"{hours} h" if hours else "", f"{minutes} min" if minutes or not hours else ""])
    )


def engaged(e: Escalation, zone: str) -> str:
    team = e.owner.team
    who = f"{e.owner.engineer} ({team.handle}, {team.service})"
    if e.dry_run or (e.page is None and e.pagerduty_state == "dry-run"):
        text = f"Dry-run: {who} would be paged; nothing was sent."
    elif e.page is None:
        text = f"{who} is being paged directly."
    elif e.page.assignee is None:
        text = f"{team.service}'s escalation policy was paged (PagerDuty incident {e.page.incident_id})."
    else:
        text = f"{who} was paged directly (PagerDuty incident {e.page.incident_id})."
    if e.acknowledged_at is not None:
        by = e.acknowledged_by or "the on-call engineer"
        text += f" Acknowledged by {by} at {_when(e.acknowledged_at, zone)}."
    if e.ticket is not None:
        text += f" Jira P1 {e.ticket.key} " + (f"status: {e.jira_status}." if e.jira_status else "is filed.")
    return text


def links(e: Escalation) -> list[tuple[str, str]]:
    if e.page is not None:
        page = f"incident {e.page.incident_id} {e.page.url or ''}".strip()
    else:
        page = "dry-run, nothing sent" if e.dry_run or e.pagerduty_state == "dry-run" else "not opened yet"
    if e.ticket is not None:
        ticket = f"{e.ticket.key} {e.ticket.url}".strip()
    else:
        ticket = "dry-run, nothing filed" if e.dry_run or e.jira_state == "dry-run" else "not filed yet"
    return [("PagerDuty", page), ("Jira P1", ticket), ("Escalation", e.url)]


def deadlines(e: Escalation, zone: str) -> list[tuple[str, str]]:
    fix = f"{_when(e.fix_due, zone)} ({_hours(e)} hours from the report)"
    if e.fixed_at is not None:
        fix += f"; confirmed {_when(e.fixed_at, zone)}"
    return [("RCA promised to the customer by", _when(e.rca_due, zone)), ("Fix due", fix)]


def promises(e: Escalation, zone: str) -> list[str]:
    """The RCA and fix promises and where each stands, from the timeline (no clock needed)."""
    words = {
        ("Root-cause analysis", PromiseState.DUE): "due",
        ("Root-cause analysis", PromiseState.OVERDUE): "past due, not sent yet",
        ("Fix", PromiseState.DUE): "due",
        ("Fix", PromiseState.OVERDUE): "OVERDUE",
    }
    met = {"Root-cause analysis": "sent", "Fix": "confirmed"}
    lines = []
    for p in clocks.promises(e):
        where = f"{met[p.what]} {_when(p.met_at, zone)}" if p.met_at else words[(p.what, p.state)]
        lines.append(f"{p.what} by {_when(p.due, zone)}: {where}")
    return lines


def _when(when: datetime, zone: str) -> str:
    """2026-11-28 17:00 UTC, or 2026-11-28 12:00 EST (America/New_York): the zone always stated."""
    if zone == "UTC":
        return moment(when)
    local = when.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local:%Z} ({zone})"


def _window_hours(e: Escalation) -> float:
    return (e.fix_due - e.created_at).total_seconds() / 3600


def _hours(e: Escalation) -> str:
    return _number(_window_hours(e))


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def rows(rows: list[tuple[str, str]]) -> str:
    return "\n".join(f"  {label}: {value}" for label, value in rows if value)


KEEP_IN_TOUCH = (
    "I will keep you updated at each step. If anything changes on your side, just reply to this email."
)
