"""Stand-ins for PagerDuty and Jira when they are not configured (or dry-run is asked for): send nothing.

`plan` shows exactly what the real adapter would send, built by the same functions; lookups that
only the real system can answer appear as `<looked up: ...>` placeholders. The payload builders
are imported when used, so a dry run never loads the SDKs. Reads find nothing (no note, no
comment, no incident) and a status read directly is `"dry-run"`; writes do nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from integrator.domain.escalation import Escalation, IncidentStatus, IssueStatus, Page, Ticket
from integrator.settings import JiraSettings, PagerDutySettings

DRY_RUN_INCIDENT = "dry-run"
DRY_RUN_KEY = "DRY-RUN"
UNKNOWN = "dry-run"  # the status of anything read in a dry run: nothing was asked


class DryRunPager:
    dry_run = True

    def __init__(self, settings: PagerDutySettings) -> None:
        self.settings = settings

    def page(self, escalation: Escalation) -> Page:
        team = escalation.owner.team
        note = (
            f"dry-run: nothing was sent to PagerDuty; would page {escalation.owner.engineer}"
            f" on service {team.pagerduty_service} with priority {self.settings.priority}"
        )
        return Page(incident_id=DRY_RUN_INCIDENT, url=None, assignee=None, note=note)

    def find(self, escalation: Escalation) -> Page | None:
        return None

    def add_note(self, incident_id: str, text: str) -> None:
        return None

    def has_note(self, incident_id: str, text: str) -> bool:
        return False

    def incidents(self, service_ids: Collection[str], *, since: datetime) -> list[IncidentStatus]:
        return []

    def incident(self, incident_id: str) -> IncidentStatus:
        return IncidentStatus(incident_id=incident_id, incident_key=None, status=UNKNOWN, urgency=UNKNOWN)

    def resolve(self, incident_id: str) -> None:
        return None

    def raise_urgency(self, incident_id: str) -> None:
        return None

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        from integrator.adapters.pagerduty.payload import planned_payload

        return planned_payload(escalation, priority=self.settings.priority)


class DryRunTracker:
    dry_run = True

    def __init__(self, settings: JiraSettings) -> None:
        self.settings = settings

    def file(self, escalation: Escalation) -> Ticket:
        return Ticket(key=DRY_RUN_KEY, url="")

    def find(self, escalation: Escalation) -> Ticket | None:
        return None

    def link(self, key: str, *, url: str, title: str) -> None:
        return None

    def comment(self, key: str, text: str) -> None:
        return None

    def has_comment(self, key: str, text: str) -> bool:
        return False

    def statuses(self, keys: Collection[str]) -> list[IssueStatus]:
        return []

    def status(self, key: str) -> IssueStatus:
        return IssueStatus(key=key, status=UNKNOWN, category=UNKNOWN)

    def transition_to(self, key: str, category: str) -> IssueStatus:
        return IssueStatus(key=key, status=UNKNOWN, category=UNKNOWN)

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        from integrator.adapters.jira.fields import issue_fields

        return issue_fields(escalation, self.settings)
