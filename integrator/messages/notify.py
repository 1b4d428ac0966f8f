"""What each stakeholder is told, in the words their role needs: emails, chat posts, the customer's view.

Pure: builds text from an escalation and sends nothing. The engineer gets the deal, the trace and
the links; executives a short summary without a trace; the reporting Sales Engineer the status,
the escalation page and a nudge to update the customer. What the customer sees (the drafted
update, the status page's timeline) never carries internal names, emails, ARR, traces or links.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from integrator.domain.escalation import Escalation, Message, State
from integrator.messages.facts import clip, compact_arr, full_arr, locations, moment, person, title

ROLES = ("engineer", "reporter", "executive_sponsor", "account_executive", "breach_contact")
TOPICS = (
    "escalated",
    "acknowledged",
    "in_progress",
    "fixed",
    "page_resolved",
    "fix-50",
    "fix-75",
    "rca",
    "breach",
)
STATE_CHANGES = ("acknowledged", "in_progress", "fixed", "page_resolved")
REMINDERS = {"fix-50": 0.5, "fix-75": 0.75}

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
}
KEEP_IN_TOUCH = (
    "I will keep you updated at each step. If anything changes on your side, just reply to this email."
)
TRACE_LINES = 25  # a trace longer than this is cut to its start, the owning frame and its end
TRACE_LINE_CHARS = 300


# -- who hears of what ---------------------------------------------------------------------------


def recipients(escalation: Escalation, topic: str) -> list[tuple[str, str]]:
    """(role, email) of everyone told of `topic`; one entry per address, the most specific role kept."""
    _check(topic=topic)
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
    else:
        people = [engineer, reporter]
    found: dict[str, tuple[str, str]] = {}
    for role, address in people:
        if address and "@" in address:
            found.setdefault(address.strip().lower(), (role, address.strip()))
    return list(found.values())


# -- the internal emails -------------------------------------------------------------------------


def compose(escalation: Escalation, *, topic: str, role: str, to: str) -> Message:
    """The email telling `to`, in `role`, about `topic`; times in the reporter's zone for the reporter."""
    _check(topic=topic, role=role)
    reporter = escalation.report.reporter
    zone = reporter.time_zone if role == "reporter" or to.lower() == reporter.email.lower() else "UTC"
    if role == "engineer":
        parts = _for_engineer(escalation, topic, zone)
    elif role == "reporter":
        parts = _for_reporter(escalation, topic, zone)
    else:
        parts = _for_executive(escalation, topic, zone, role)
    body = "\n\n".join(part for part in parts if part) + "\n"
    return Message(to=to, subject=f"{HEADLINES[topic]}: {title(escalation)}", body=body)


def _for_engineer(e: Escalation, topic: str, zone: str) -> list[str]:
    deal, failure = e.report.deal, e.report.failure
    facts = [
        ("Account", deal.account),
        ("ARR at stake", full_arr(deal)),
        ("POC ends", deal.poc_ends_on.isoformat() if deal.poc_ends_on else ""),
        ("Failure", failure.title),
        ("Success criterion violated", failure.criterion),
        ("Observed", failure.observed),
        ("Description", failure.description),
        ("Environment", failure.environment),
        ("Customer's test halted", "yes" if failure.test_halted else "no"),
        ("Reported by", person(e.report.reporter)),
    ]
    where = "\n".join(f"  - {location}" for location in locations(e))
    trace = _trace_excerpt(failure.stack_trace, e.owner.location)
    return [
        _news(e, topic, zone),
        f"Why you: {e.owner.explain()}.",
        "The deal\n" + _rows(facts),
        f"Locations\n{where}" if where else "",
        f"Stack trace (excerpt)\n{trace}" if trace else "",
        "Links\n" + _rows(_links(e)),
        "Deadlines\n" + _rows(_deadlines(e, zone)),
    ]


def _for_executive(e: Escalation, topic: str, zone: str, role: str) -> list[str]:
    failure = e.report.failure
    failed = f"What failed: {_sentence(failure.title)}"
    if failure.criterion:
        failed += f" It violates the success criterion {_sentence(failure.criterion)}"
    if failure.test_halted:
        failed += " The customer halted the test."
    why = f"You are a breach contact of {e.owner.team.handle}." if role == "breach_contact" else ""
    return [
        _news(e, topic, zone),
        _deal_line(e),
        failed,
        f"Who is engaged: {_engaged(e, zone)} Reported by {person(e.report.reporter)}.",
        "Promises to the customer\n" + "\n".join(f"  - {line}" for line in _promises(e, zone)),
        f"Status: {e.state.value}. Everything else: {e.url}",
        why,
    ]


def _deal_line(e: Escalation) -> str:
    deal = e.report.deal
    ends = f", POC ends {deal.poc_ends_on.isoformat()}" if deal.poc_ends_on else ""
    return f"Deal: {deal.account}, {full_arr(deal)} ARR{ends}."


def _for_reporter(e: Escalation, topic: str, zone: str) -> list[str]:
    return [
        _news(e, topic, zone),
        f"Status: {e.state.value}. {_engaged(e, zone)}",
        "Promises to the customer\n" + "\n".join(f"  - {line}" for line in _promises(e, zone)),
        f"Escalation page: {e.url}",
        _nudge(e, topic),
    ]


def _nudge(e: Escalation, topic: str) -> str:
    buyer = e.report.deal.economic_buyer
    if topic not in ("escalated", "acknowledged", "fixed", "rca", "breach"):
        return ""
    if buyer is None or not buyer.email:
        return "Next: the report names no economic buyer's email, so no customer update is drafted."
    what = {
        "escalated": "that the failure is escalated and when they get the RCA and the fix",
        "acknowledged": "that the owning engineering lead is engaged",
        "fixed": "that the fix is deployed",
        "rca": "the root-cause analysis, which is due now (mark the update as carrying the RCA)",
        "breach": "where the fix stands now that it is overdue",
    }[topic]
    return f"Next: tell {person(buyer)} {what}. A draft is ready to review and send on the escalation page."


def _news(e: Escalation, topic: str, zone: str) -> str:
    """What just happened, in one or two sentences."""
    key = e.ticket.key if e.ticket else "the Jira P1"
    if topic == "escalated":
        deal = e.report.deal
        return (
            f"{deal.account} ({compact_arr(deal)} ARR) hit a failure in its proof-of-concept:"
            f" {_sentence(e.report.failure.title)} The {_hours(e)}-hour fix clock has started."
        )
    if topic == "acknowledged":
        at = _when(e.acknowledged_at, zone) if e.acknowledged_at else "just now"
        return f"{e.acknowledged_by or 'The on-call engineer'} acknowledged the page at {at}."
    if topic == "in_progress":
        return f"The fix is in progress: {key} is {e.jira_status or 'in progress'}."
    if topic == "fixed":
        at = _when(e.fixed_at, zone) if e.fixed_at else "now"
        status = e.jira_status or "Done"
        return f"The fix is confirmed: {key} is done ({status}) as of {at}. The fix clock is stopped."
    if topic == "page_resolved":
        return f"The PagerDuty page was resolved, but {key} is still open: the fix clock keeps running."
    if topic in REMINDERS:
        share = REMINDERS[topic]
        gone = _number(_window_hours(e) * share)
        return (
            f"{share:.0%} of the {_hours(e)}-hour fix window has passed ({gone} hours)."
            f" The fix is due {_when(e.fix_due, zone)}."
        )
    if topic == "rca":
        return f"The root-cause analysis promised to the customer is due now: {_when(e.rca_due, zone)}."
    return (
        f"The fix is overdue: the {_hours(e)}-hour fix clock ran out at {_when(e.fix_due, zone)}"
        " and the fix is not confirmed."
    )


def _engaged(e: Escalation, zone: str) -> str:
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


def _links(e: Escalation) -> list[tuple[str, str]]:
    if e.page is not None:
        page = f"incident {e.page.incident_id} {e.page.url or ''}".strip()
    else:
        page = "dry-run, nothing sent" if e.dry_run or e.pagerduty_state == "dry-run" else "not opened yet"
    if e.ticket is not None:
        ticket = f"{e.ticket.key} {e.ticket.url}".strip()
    else:
        ticket = "dry-run, nothing filed" if e.dry_run or e.jira_state == "dry-run" else "not filed yet"
    return [("PagerDuty", page), ("Jira P1", ticket), ("Escalation", e.url)]


def _deadlines(e: Escalation, zone: str) -> list[tuple[str, str]]:
    fix = f"{_when(e.fix_due, zone)} ({_hours(e)} hours from the report)"
    if e.fixed_at is not None:
        fix += f"; confirmed {_when(e.fixed_at, zone)}"
    return [("RCA promised to the customer by", _when(e.rca_due, zone)), ("Fix due", fix)]


def _promises(e: Escalation, zone: str) -> list[str]:
    """The RCA and fix promises and where each stands, from the timeline (no clock needed)."""
    raised = {event.kind for event in e.timeline}
    rca_at = _rca_sent_at(e)
    if rca_at is not None:
        rca = f"sent {_when(rca_at, zone)}"
    else:
        rca = "past due, not sent yet" if "clock:rca" in raised else "due"
    if e.fixed_at is not None:
        fix = f"confirmed {_when(e.fixed_at, zone)}"
    else:
        fix = "OVERDUE" if "clock:breach" in raised else "due"
    return [
        f"Root-cause analysis by {_when(e.rca_due, zone)}: {rca}",
        f"Fix by {_when(e.fix_due, zone)}: {fix}",
    ]


# -- the team's chat -------------------------------------------------------------------------------


def chat_text(escalation: Escalation, topic: str) -> str:
    """A post for the team's Slack-compatible channel (mrkdwn, user text escaped), times in UTC."""
    _check(topic=topic)
    e = escalation
    links = [f"<{_escape(e.url)}|escalation>"]
    if e.ticket is not None:
        links.append(f"Jira <{_escape(e.ticket.url)}|{_escape(e.ticket.key)}>")
    if e.page is not None and e.page.url:
        links.append(f"PagerDuty <{_escape(e.page.url)}|{_escape(e.page.incident_id)}>")
    lines = [
        f"*{_escape(HEADLINES[topic])}*: {_escape(title(e))}",
        _escape(_news(e, topic, "UTC") + (f" {_engaged(e, 'UTC')}" if topic == "escalated" else "")),
        f"Owner: {_escape(e.owner.engineer)} ({_escape(e.owner.team.handle)}) · " + " · ".join(links),
    ]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- what the customer sees ------------------------------------------------------------------------


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
    failed = f"What failed: {_sentence(failure.title)}"
    if failure.observed:
        failed += f" What you saw: {_sentence(failure.observed)}"
    opening = (
        "I am glad to tell you that the problem in your proof-of-concept is fixed."
        if fixed
        else "I want to be open with you about the problem in your proof-of-concept and what we are doing."
    )
    criterion = "It violates a success criterion we agreed on in our Mutual Success Plan: "
    criterion += _sentence(failure.criterion)
    parts = [
        f"Hi {buyer.name.split()[0]}," if buyer.name else "Hello,",
        opening,
        failed,
        criterion if failure.criterion else "",
        _halted(fixed) if failure.test_halted else "",
        _customer_progress(e, lead, zone),
        _customer_promises(e, zone),
        f"You can follow progress at any time here: {_status_page(e)}" if e.status_token else "",
        "Thank you for your patience while we fixed it." if fixed else KEEP_IN_TOUCH,
        f"Best regards,\n{e.report.reporter.name or e.report.reporter.email}",
    ]
    body = "\n\n".join(part for part in parts if part) + "\n"
    return Message(to=buyer.email, subject=subject, body=body)


def _halted(fixed: bool) -> str:
    if fixed:
        return "We know it halted the test in your environment."
    return "We know it halted the test in your environment, and we take that seriously."


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
    rca_at = _rca_sent_at(e)
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
    entries = [(e.created_at, "Issue reported to our engineering team")]
    first: dict[str, datetime] = {}
    for event in e.timeline:
        first.setdefault(event.kind, event.at)
        if event.kind == "customer_update_sent":
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


def _rca_sent_at(e: Escalation) -> datetime | None:
    """When the SE sent the customer an update marked as carrying the RCA, if they have."""
    return next(
        (ev.at for ev in e.timeline if ev.kind == "customer_update_sent" and ev.data.get("rca")), None
    )


def _status_page(e: Escalation) -> str:
    base = e.url.rsplit("/escalations/", 1)[0]
    return f"{base}/status/{e.status_token}"


# -- small pieces ----------------------------------------------------------------------------------


def _check(*, topic: str, role: str | None = None) -> None:
    if topic not in TOPICS:
        raise ValueError(f"topic: unknown {topic!r} (one of {', '.join(TOPICS)})")
    if role is not None and role not in ROLES:
        raise ValueError(f"role: unknown {role!r} (one of {', '.join(ROLES)})")


def _when(when: datetime, zone: str) -> str:
    """2026-11-28 17:00 UTC, or 2026-11-28 12:00 EST (America/New_York): the zone always stated."""
    if zone == "UTC":
        return moment(when)
    local = when.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local:%Z} ({zone})"


def _customer_when(when: datetime, zone: str) -> str:
    """Saturday 28 November 2026 at 12:00 EST."""
    local = when.astimezone(ZoneInfo(zone) if zone != "UTC" else UTC)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {local:%Z}"


def _window_hours(e: Escalation) -> float:
    return (e.fix_due - e.created_at).total_seconds() / 3600


def _hours(e: Escalation) -> str:
    return _number(_window_hours(e))


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _rows(rows: list[tuple[str, str]]) -> str:
    return "\n".join(f"  {label}: {value}" for label, value in rows if value)


def _trace_excerpt(trace: str, location: str | None) -> str:
    """The trace, or for a long one its start, the lines around the owning frame, and its end."""
    lines = [clip(line.rstrip(), TRACE_LINE_CHARS) for line in trace.strip().splitlines()]
    if len(lines) <= TRACE_LINES:
        return "\n".join(f"    {line}" for line in lines)
    keep = set(range(4)) | set(range(len(lines) - 6, len(lines)))
    owning = next((i for i, line in enumerate(lines) if location and location in line), None)
    if owning is not None:
        keep |= set(range(max(owning - 3, 0), min(owning + 8, len(lines))))
    out: list[str] = []
    previous = -1
    for i in sorted(keep):
        if i > previous + 1:
            out.append(f"    … {i - previous - 1} lines left out …")
        out.append(f"    {lines[i]}")
        previous = i
    return "\n".join(out)
