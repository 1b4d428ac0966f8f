"""Stand-ins for every outbound port in a dry run: they send nothing and record what they would have.

Bootstrap hands these out instead of the real adapters when integrator runs dry (no credentials,
or `INTEGRATOR_DRY_RUN=true`); nothing here opens a socket. Each write records, through
`planning.record`, what the real adapter would have sent (built by the same payload functions,
with `<looked up: ...>` placeholders for what only the real system can answer); the dispatcher
stores it as the effect's planned result. Reads find nothing, and a status read directly is
"dry-run". The payload builders are imported when used, so a dry run never loads the SDKs.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from integrator.application.planning import record
from integrator.domain.escalation import Escalation, IncidentStatus, IssueStatus, Message, Page, Ticket
from integrator.domain.halt import HookCall
from integrator.settings import JiraSettings, PagerDutySettings

DRY_RUN_INCIDENT = "dry-run"
DRY_RUN_KEY = "DRY-RUN"
UNKNOWN = "dry-run"  # the status of anything read in a dry run: nothing was asked


class DryRunPager:
    def __init__(self, settings: PagerDutySettings) -> None:
        self.settings = settings

    def page(self, escalation: Escalation) -> Page:
        team = escalation.owner.team
        who = f"{escalation.owner.engineer} on service {team.pagerduty_service}"
        record(
            f"would page {escalation.owner.engineer} on PagerDuty service {team.pagerduty_service}",
            self.plan(escalation),
        )
        note = (
            f"dry-run: nothing was sent to PagerDuty; would page {who} with priority {self.settings.priority}"
        )
        return Page(incident_id=DRY_RUN_INCIDENT, url=None, assignee=None, note=note)

    def find(self, escalation: Escalation) -> Page | None:
        return None

    def add_note(self, incident_id: str, text: str) -> None:
        record("would add a note to the PagerDuty incident", {"note": text})

    def has_note(self, incident_id: str, text: str) -> bool:
        return False

    def incidents(self, service_ids: Collection[str], *, since: datetime) -> list[IncidentStatus]:
        return []

    def incident(self, incident_id: str) -> IncidentStatus:
        return IncidentStatus(incident_id=incident_id, incident_key=None, status=UNKNOWN, urgency=UNKNOWN)

    def resolve(self, incident_id: str) -> None:
        record("would resolve the incident", {"status": "resolved"})

    def raise_urgency(self, incident_id: str) -> None:
        record(
            f"would raise the incident's urgency and set its priority to {self.settings.priority}",
            {"urgency": "high", "priority": f"<looked up: {self.settings.priority}>"},
        )

    def set_title(self, incident_id: str, title: str) -> None:
        record("would retitle the PagerDuty incident", {"title": title})

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        from integrator.adapters.pagerduty.payload import planned_payload

        return planned_payload(escalation, priority=self.settings.priority)


class DryRunTracker:
    def __init__(self, settings: JiraSettings) -> None:
        self.settings = settings

    def file(self, escalation: Escalation) -> Ticket:
        text = f"would file a P1 in Jira project {escalation.owner.team.jira_project}"
        record(f"{text}, due {escalation.fix_due:%Y-%m-%d}", self.plan(escalation))
        return Ticket(key=DRY_RUN_KEY, url="")

    def find(self, escalation: Escalation) -> Ticket | None:
        return None

    def link(self, key: str, *, url: str, title: str) -> None:
        record("would link the Jira P1 and the PagerDuty incident", {"url": url, "title": title})

    def comment(self, key: str, text: str) -> None:
        record("would comment on the Jira P1", {"comment": text})

    def has_comment(self, key: str, text: str) -> bool:
        return False

    def add_label(self, key: str, label: str) -> None:
        record("would label the Jira P1", {"label": label})

    def set_summary(self, key: str, summary: str, *, label: str | None = None) -> None:
        labelled = f" and label it {label}" if label else ""
        record(f"would rewrite the Jira P1's summary{labelled}", {"summary": summary, "label": label})

    def statuses(self, keys: Collection[str]) -> list[IssueStatus]:
        return []

    def status(self, key: str) -> IssueStatus:
        return IssueStatus(key=key, status=UNKNOWN, category=UNKNOWN)

    def transition_to(self, key: str, category: str) -> IssueStatus:
        record("would move the Jira P1", {"category": category})
        return IssueStatus(key=key, status=UNKNOWN, category=UNKNOWN)

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        from integrator.adapters.jira.fields import issue_fields

        return issue_fields(escalation, self.settings)


class DryRunMailer:
    def send(self, message: Message) -> None:
        record(f"would email {message.to}", {"to": message.to, "subject": message.subject})


class DryRunChatPoster:
    def post(self, webhook_url: str, text: str) -> None:
        record("would post to the team's chat", {"text": text})


class DryRunHaltHook:
    def send(self, call: HookCall) -> None:
        action, environment = call.body.get("action"), call.body.get("environment")
        record(
            f"would {action} test environment {environment}",
            {"url": call.url, "webhook-id": call.webhook_id, "body": call.body},
        )
