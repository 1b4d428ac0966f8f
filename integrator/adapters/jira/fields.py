"""The P1's fields as `POST /rest/api/2/issue` gets them, and an issue's status as the sync reads it."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from integrator.adapters.jira.markup import escape_wiki, noformat
from integrator.domain.escalation import Escalation, IssueStatus
from integrator.messages import facts as text
from integrator.settings import JiraSettings

DESCRIPTION_LIMIT = 32_000  # Jira refuses text fields over 32,767 characters
FACT_LIMIT = 1_000
PROSE_LIMIT = 6_000
LABELS = ("integrator", "poc-escalation")
STATUS_FIELDS = ("status", "resolution")
CATEGORIES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}  # key -> Jira's name

_PLAIN_URL = re.compile(r"^https?://[^\s\[\]|{}]+$")


def issue_status(issue: dict[str, Any]) -> IssueStatus:
    """An issue of the REST API (with fields status and resolution) as the status sync sees it."""
    fields = issue.get("fields") or {}
    status = fields.get("status") or {}
    resolution = fields.get("resolution") or {}
    return IssueStatus(
        key=str(issue["key"]),
        status=str(status.get("name") or ""),
        category=str((status.get("statusCategory") or {}).get("key") or ""),
        resolution=resolution.get("name"),
    )


def issue_fields(escalation: Escalation, settings: JiraSettings) -> dict[str, Any]:
    """The fields of the P1, exactly as `POST /rest/api/2/issue` gets them."""
    team = escalation.owner.team
    fields: dict[str, Any] = {
        "project": {"key": team.jira_project},
        "summary": text.shared_title(escalation),
        "issuetype": {"name": settings.issue_type},
        "priority": {"name": settings.priority},
        "duedate": escalation.fix_due.astimezone(UTC).date().isoformat(),
        "labels": [LABELS[0], escalation.label, LABELS[1]],
        "description": description(escalation),
    }
    if team.jira_component:
        fields["components"] = [{"name": team.jira_component}]
    return fields


def description(escalation: Escalation) -> str:
    """The P1's description in wiki markup: the deal, the failure, why this team, the clocks, the trace."""
    deal, failure = escalation.report.deal, escalation.report.failure
    arr = escape_wiki(text.compact_arr(deal))
    lines = [f"h3. Customer proof-of-concept broken: {escape_wiki(deal.account)} ({arr} ARR)"]
    for label, value in text.facts(escalation):
        is_link = label == "Escalation" and _PLAIN_URL.match(value)
        lines.append(f"*{label}:* " + (f"[{value}]" if is_link else _escaped(value, FACT_LIMIT)))
    if failure.description:
        lines += ["", "h3. What happened", _escaped(failure.description, PROSE_LIMIT)]
    lines += ["", "_Filed by integrator; status changes here flow back to the sales engineer and customer._"]
    head = "\n".join(lines)
    trace = failure.stack_trace.strip("\n")
    if not trace.strip():
        return head
    room = DESCRIPTION_LIMIT - len(head) - 200
    return f"{head}\n\nh3. Stack trace\n{noformat(_middle_out(trace, room))}"


def _escaped(value: str, limit: int) -> str:
    """`value` escaped and cut to `limit` without splitting an escape or an entity."""
    escaped = escape_wiki(value)
    if len(escaped) <= limit:
        return escaped
    return re.sub(r"(\\|&[#\w]*)$", "", escaped[: limit - 1]) + "…"


def _middle_out(trace: str, limit: int) -> str:
    """`trace` cut to about `limit` characters, keeping its start and its (usually innermost) end."""
    if len(trace) <= limit:
        return trace
    head = max(limit // 4, 0)
    tail = max(limit - head, 0)
    omitted = len(trace) - head - tail
    return f"{trace[:head]}\n… {omitted} characters left out …\n{trace[len(trace) - tail :]}"
