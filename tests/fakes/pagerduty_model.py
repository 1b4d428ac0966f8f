"""The fake PagerDuty's state (incidents and their notes) and how REST API v2 renders what it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.fakes.world import PdEscalationPolicy, PdPriority, PdService, PdUser

WEB = "https://acme-data.pagerduty.com"


@dataclass
class PdNote:
    id: str
    user_id: str
    content: str
    created_at: datetime


@dataclass
class PdIncident:
    id: str
    number: int
    title: str
    service: PdService
    created_at: datetime
    status: str = "triggered"  # "triggered", "acknowledged" or "resolved"
    urgency: str = "high"
    incident_key: str | None = None
    assignee_ids: list[str] = field(default_factory=list)
    assigned_via: str = "escalation_policy"
    priority: PdPriority | None = None
    details: Any = None  # the body's details; the API does not show them back (no include[]=body)
    last_status_change_at: datetime | None = None
    last_status_change_by: str | None = None  # a user id; None: the service
    acknowledgements: list[tuple[str, datetime]] = field(default_factory=list)
    resolved_at: datetime | None = None
    notes: list[PdNote] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status != "resolved"


def pd_time(moment: datetime) -> str:
    """PagerDuty's timestamp format: ISO 8601 in UTC with a `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Render:
    """REST API v2 JSON with `self` links into the fake at `base`."""

    def __init__(self, base: str, users: dict[str, PdUser]) -> None:
        self.base = base
        self.users = users

    def _reference(self, kind: str, plural: str, item_id: str, summary: str) -> dict[str, Any]:
        return {
            "id": item_id,
            "type": f"{kind}_reference",
            "summary": summary,
            "self": f"{self.base}/{plural}/{item_id}",
            "html_url": f"{WEB}/{plural}/{item_id}",
        }

    def user_reference(self, user_id: str) -> dict[str, Any]:
        user = self.users.get(user_id)
        return self._reference("user", "users", user_id, user.name if user else user_id)

    def service_reference(self, service: PdService) -> dict[str, Any]:
        return self._reference("service", "services", service.id, service.name)

    def service(self, service: PdService) -> dict[str, Any]:
        return {
            **self.service_reference(service),
            "type": "service",
            "name": service.name,
            "description": f"The {service.name} service.",
            "status": "active",
            "escalation_policy": self._reference(
                "escalation_policy",
                "escalation_policies",
                service.escalation_policy,
                service.escalation_policy,
            ),
        }

    def escalation_policy(self, policy: PdEscalationPolicy) -> dict[str, Any]:
        return {
            **self._reference("escalation_policy", "escalation_policies", policy.id, policy.name),
            "type": "escalation_policy",
            "name": policy.name,
            "num_loops": 0,
            "escalation_rules": [
                {
                    "id": f"R{policy.id}",
                    "escalation_delay_in_minutes": 30,
                    "targets": [self.user_reference(policy.on_call)],
                }
            ],
        }

    def user(self, user: PdUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "type": "user",
            "summary": user.name,
            "self": f"{self.base}/users/{user.id}",
            "html_url": f"{WEB}/users/{user.id}",
            "name": user.name,
            "email": user.email,
            "time_zone": "Europe/Paris",
            "color": "green",
            "role": "user",
            "avatar_url": f"https://secure.gravatar.com/avatar/{user.id.lower()}.png?d=mm&r=PG",
            "description": None,
            "invitation_sent": False,
            "job_title": user.job_title,
            "teams": [],
            "contact_methods": [],
            "notification_rules": [],
        }

    def priority(self, priority: PdPriority) -> dict[str, Any]:
        return {
            "id": priority.id,
            "type": "priority",
            "summary": priority.name,
            "self": f"{self.base}/priorities/{priority.id}",
            "name": priority.name,
            "description": priority.description,
        }

    def incident(self, incident: PdIncident) -> dict[str, Any]:
        changed_at = incident.last_status_change_at or incident.created_at
        if incident.last_status_change_by:
            changed_by = self.user_reference(incident.last_status_change_by)
        else:
            changed_by = self.service_reference(incident.service)
        rendered: dict[str, Any] = {
            "id": incident.id,
            "type": "incident",
            "summary": f"[#{incident.number}] {incident.title}",
            "self": f"{self.base}/incidents/{incident.id}",
            "html_url": f"{WEB}/incidents/{incident.id}",
            "incident_number": incident.number,
            "title": incident.title,
            "created_at": pd_time(incident.created_at),
            "updated_at": pd_time(changed_at),
            "status": incident.status,
            "service": self.service_reference(incident.service),
            "assignments": [
                {"at": pd_time(incident.created_at), "assignee": self.user_reference(user_id)}
                for user_id in (incident.assignee_ids if incident.open else [])
            ],
            "assigned_via": incident.assigned_via,
            "last_status_change_at": pd_time(changed_at),
            "last_status_change_by": changed_by,
            "alert_counts": {"all": 0, "triggered": 0, "resolved": 0},
            "is_mergeable": True,
            "escalation_policy": self._reference(
                "escalation_policy",
                "escalation_policies",
                incident.service.escalation_policy,
                f"{incident.service.name} escalation policy",
            ),
            "teams": [],
            "pending_actions": [],
            "acknowledgements": [
                {"at": pd_time(at), "acknowledger": self.user_reference(user_id)}
                for user_id, at in incident.acknowledgements
            ],
            "urgency": incident.urgency,
        }
        if incident.incident_key is not None:
            rendered["incident_key"] = incident.incident_key
        if incident.priority is not None:
            rendered["priority"] = self.priority(incident.priority)
        if incident.resolved_at is not None:
            rendered["resolved_at"] = pd_time(incident.resolved_at)
        return rendered

    def note(self, note: PdNote) -> dict[str, Any]:
        return {
            "id": note.id,
            "user": self.user_reference(note.user_id),
            "channel": {"summary": "The PagerDuty website or APIs"},
            "content": note.content,
            "created_at": pd_time(note.created_at),
        }
