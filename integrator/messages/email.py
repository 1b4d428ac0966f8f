"""The emails stakeholders get, in the words their role needs (pure: builds text, sends nothing)."""

from __future__ import annotations

from datetime import datetime

from integrator.domain.escalation import Escalation, Message
from integrator.messages.audiences import check
from integrator.messages.facts import clip, full_arr, locations, person, title
from integrator.messages.wording import HEADLINES, deadlines, engaged, links, news, promises, rows, sentence

TRACE_LINES = 25  # a trace longer than this is cut to its start, the owning frame and its end
TRACE_LINE_CHARS = 300


def compose(
    escalation: Escalation, *, topic: str, role: str, to: str, now: datetime | None = None
) -> Message:
    """The email telling `to`, in `role`, about `topic`; times in the reporter's zone for the reporter.

    `now` is when it is sent (a linked deal's people are told how long the shared fix clock has
    left); without it, when that deal was reported."""
    check(topic=topic, role=role)
    reporter = escalation.report.reporter
    zone = reporter.time_zone if role == "reporter" or to.lower() == reporter.email.lower() else "UTC"
    said = news(escalation, topic, zone, now=now)
    if role == "engineer":
        parts = [said, *_for_engineer(escalation, topic, zone)]
    elif role == "reporter":
        parts = [said, *_for_reporter(escalation, topic, zone)]
    else:
        parts = [said, *_for_executive(escalation, topic, zone, role)]
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
        f"Why you: {e.owner.explain()}.",
        "The deal\n" + rows(facts),
        f"Locations\n{where}" if where else "",
        f"Stack trace (excerpt)\n{trace}" if trace else "",
        "Links\n" + rows(links(e)),
        "Deadlines\n" + rows(deadlines(e, zone)),
    ]


def _for_executive(e: Escalation, topic: str, zone: str, role: str) -> list[str]:
    failure = e.report.failure
    failed = f"What failed: {sentence(failure.title)}"
    if failure.criterion:
        failed += f" It violates the success criterion {sentence(failure.criterion)}"
    if failure.test_halted:
        failed += " The customer halted the test."
    why = f"You are a breach contact of {e.owner.team.handle}." if role == "breach_contact" else ""
    if role == "executive_escalation":
        why = (
            f"You are the executive escalation for {e.owner.team.handle}: you are told at the report,"
            " if the fix clock is breached, and when the fix is confirmed."
        )
    return [
        _deal_line(e),
        _at_risk(e) if role == "executive_escalation" else "",
        failed,
        f"Who is engaged: {engaged(e, zone)} Reported by {person(e.report.reporter)}.",
        "Promises to the customer\n" + "\n".join(f"  - {line}" for line in promises(e, zone)),
        f"Status: {e.state.value}. Everything else: {e.url}",
        why,
    ]


def _at_risk(e: Escalation) -> str:
    """For the executive escalation: the money at risk and who owns the fix, before anything else."""
    team = e.owner.team
    return (
        f"ARR at risk: {full_arr(e.report.deal)}.\n"
        f"Who owns it: {team.handle} ({team.service}); owning engineer {e.owner.engineer}."
    )


def _deal_line(e: Escalation) -> str:
    deal = e.report.deal
    ends = f", POC ends {deal.poc_ends_on.isoformat()}" if deal.poc_ends_on else ""
    return f"Deal: {deal.account}, {full_arr(deal)} ARR{ends}."


def _for_reporter(e: Escalation, topic: str, zone: str) -> list[str]:
    return [
        f"Status: {e.state.value}. {engaged(e, zone)}",
        "Promises to the customer\n" + "\n".join(f"  - {line}" for line in promises(e, zone)),
        f"Escalation page: {e.url}",
        _nudge(e, topic),
    ]


def _nudge(e: Escalation, topic: str) -> str:
    buyer = e.report.deal.economic_buyer
    if topic not in ("escalated", "acknowledged", "fixed", "rca", "breach", "tell_customer"):
        return ""
    if buyer is None or not buyer.email:
        return "Next: the report names no economic buyer's email, so no customer update is drafted."
    what = {
        "escalated": "that the failure is escalated and when they get the RCA and the fix",
        "acknowledged": "that the owning engineering lead is engaged",
        "fixed": "that the fix is deployed",
        "rca": "the root-cause analysis, which is due now (mark the update as carrying the RCA)",
        "breach": "where the fix stands now that it is overdue",
        "tell_customer": "what failed, who owns it and when they get the RCA and the fix",
    }[topic]
    return f"Next: tell {person(buyer)} {what}. A draft is ready to review and send on the escalation page."


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
