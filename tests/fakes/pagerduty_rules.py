"""PagerDuty's rules for writes: who is asking, what a new incident may be, and status changes.

Each refusal is an `Invalid` with PagerDuty's reasons, answered as 400 "Invalid Input Provided".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tests.fakes.pagerduty_model import PdIncident
from tests.fakes.world import PdEscalationPolicy, PdPriority, PdService, PdUser

DEDUP = "Open incident with matching dedup key already exists on this service"


class Invalid(Exception):
    def __init__(self, *reasons: str) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def requester(users: Mapping[str, PdUser], from_header: str | None) -> PdUser:
    """The user the `From` header names: every write needs one, and it must be a user of the account."""
    email = (from_header or "").strip().casefold()
    if not email:
        raise Invalid('You must specify a user\'s email address in the "From" header to perform this action')
    user = next((u for u in users.values() if u.email.casefold() == email), None)
    if user is None:
        raise Invalid(f"The user in the From header ({email}) was not found in this account")
    return user


def new_incident(
    body: Any,
    *,
    number: int,
    now: datetime,
    users: Mapping[str, PdUser],
    services: Mapping[str, PdService],
    escalation_policies: Mapping[str, PdEscalationPolicy],
    priorities: Sequence[PdPriority],
    existing: Sequence[PdIncident],
) -> PdIncident:
    """The incident `{"incident": {...}}` asks for: one assignee at most, or the service's on-call."""
    wanted = body.get("incident") if isinstance(body, dict) else None
    if not isinstance(wanted, dict) or wanted.get("type") != "incident":
        raise Invalid("Incident type must be 'incident'")
    title = wanted.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Invalid("Title cannot be empty")
    service = services.get(str((wanted.get("service") or {}).get("id")))
    if service is None:
        raise Invalid("Service not found")
    assignees = [str((a.get("assignee") or {}).get("id")) for a in wanted.get("assignments") or []]
    if len(assignees) > 1:
        raise Invalid("An incident may have only one assignee")
    if any(user_id not in users for user_id in assignees):
        raise Invalid("Assignee not found")
    if assignees and wanted.get("escalation_policy"):
        raise Invalid("Assignments cannot be specified if an escalation policy is given")
    priority = None
    if wanted.get("priority"):
        priority = next((p for p in priorities if p.id == wanted["priority"].get("id")), None)
        if priority is None:
            raise Invalid("Priority not found")
    key = wanted.get("incident_key")
    if key is not None and any(i.open and i.incident_key == key and i.service == service for i in existing):
        raise Invalid(DEDUP)
    return PdIncident(
        id=f"Q{number:04d}ACMEINC",
        number=number,
        title=title,
        service=service,
        created_at=now,
        urgency=wanted.get("urgency") or "high",
        incident_key=key,
        assignee_ids=assignees or [escalation_policies[service.escalation_policy].on_call],
        assigned_via="direct_assignment" if assignees else "escalation_policy",
        priority=priority,
        details=(wanted.get("body") or {}).get("details"),
    )


def set_status(incident: PdIncident, status: str, by_user_id: str | None, now: datetime) -> None:
    """Acknowledge or resolve; by a user, or (None) by the service itself."""
    incident.status = status
    incident.last_status_change_at = now
    incident.last_status_change_by = by_user_id
    if status == "acknowledged" and by_user_id is not None:
        incident.acknowledgements.append((by_user_id, now))
    if status == "resolved":
        incident.resolved_at = now


def change(
    incident: PdIncident, wanted: Any, by: PdUser, now: datetime, priorities: Sequence[PdPriority] = ()
) -> None:
    """One incident update of `PUT /incidents[/{id}]`: status, urgency, title, priority (by id)."""
    if not isinstance(wanted, dict):
        raise Invalid("incident is required")
    if wanted.get("priority"):
        priority = next((p for p in priorities if p.id == (wanted["priority"] or {}).get("id")), None)
        if priority is None:
            raise Invalid("Priority not found")
        incident.priority = priority
    status = wanted.get("status")
    if status is not None:
        if status not in ("acknowledged", "resolved"):
            raise Invalid(f"Status cannot be changed to '{status}'")
        if not incident.open:
            raise Invalid("Incident is already resolved")
        set_status(incident, status, by.id, now)
    if wanted.get("urgency") in ("high", "low"):
        incident.urgency = wanted["urgency"]
    if isinstance(wanted.get("title"), str):
        incident.title = wanted["title"]
