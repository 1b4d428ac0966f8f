"""The incident PagerDuty gets (`POST /incidents`), and an incident as the status sync reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from integrator.domain.escalation import Escalation, IncidentStatus
from integrator.messages import facts as text

DETAILS_LIMIT = 2_000  # per free-text field of the incident body; the page is read on a phone


def incident_payload(
    escalation: Escalation, *, user_id: str | None, priority_id: str | None
) -> dict[str, Any]:
    """The `POST /incidents` body: keyed by the escalation id, assigned to `user_id` when there is one.

    Without `user_id` the incident goes to the service's escalation policy; without `priority_id`
    it carries no priority.
    """
    incident: dict[str, Any] = {
        "type": "incident",
        "title": text.shared_title(escalation),
        "service": {"id": escalation.owner.team.pagerduty_service, "type": "service_reference"},
        "urgency": "high",
        "incident_key": escalation.id,
        "body": {"type": "incident_body", "details": details(escalation)},
    }
    if priority_id:
        incident["priority"] = {"id": priority_id, "type": "priority_reference"}
    if user_id:
        incident["assignments"] = [{"assignee": {"id": user_id, "type": "user_reference"}}]
    return {"incident": incident}


def planned_payload(escalation: Escalation, *, priority: str) -> dict[str, Any]:
    """The incident as a plan shows it, before the engineer and the `priority` are looked up."""
    return incident_payload(
        escalation,
        user_id=f"<looked up: {escalation.owner.engineer}>",
        priority_id=f"<looked up: {priority}>",
    )


def details(escalation: Escalation) -> str:
    """The incident body as plain text: what broke, for which deal, why you, and where to read more."""
    lines = [f"{label}: {text.clip(value, DETAILS_LIMIT)}" for label, value in text.facts(escalation)]
    description = escalation.report.failure.description
    if description:
        lines += ["", text.clip(description, DETAILS_LIMIT)]
    if escalation.report.failure.stack_trace.strip():
        lines += ["", f"Stack trace: in the escalation, {escalation.url}"]
    return "\n".join(lines)


def incident_status(incident: dict[str, Any]) -> IncidentStatus:
    """An incident of the REST API as the status sync sees it: who acknowledged it last, who resolved it."""
    acknowledgements = incident.get("acknowledgements") or []
    last = acknowledgements[-1] if acknowledgements else {}
    status = str(incident["status"])
    changed_by = incident.get("last_status_change_by") or {}
    return IncidentStatus(
        incident_id=str(incident["id"]),
        incident_key=incident.get("incident_key"),
        status=status,
        urgency=str(incident.get("urgency") or "high"),
        acknowledged_by=(last.get("acknowledger") or {}).get("summary"),
        acknowledged_at=_time(last.get("at")),
        resolved_by=changed_by.get("summary") if status == "resolved" else None,
        updated_at=_time(incident.get("updated_at")),
    )


def same_text(stored: str, sent: str) -> bool:
    """Whether a note PagerDuty shows is the text we sent (line endings and outer blanks aside)."""

    def normal(value: str) -> str:
        return value.replace("\r\n", "\n").strip()

    return normal(stored) == normal(sent)


def _time(value: Any) -> datetime | None:
    """A PagerDuty timestamp (ISO 8601) as an aware datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
