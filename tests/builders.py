"""Valid domain values for tests, each field overridable: `make_report(failure={"title": ...})`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from integrator.domain.escalation import Escalation, State
from integrator.domain.owner import Owner, Team
from integrator.domain.report import FailureReport

CREATED_AT = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
PUBLIC_URL = "https://integrator.acme.example"

DEAL: dict[str, Any] = {
    "account": "Globex",
    "arr": 480_000,
    "currency": "USD",
    "poc_ends_on": "2026-12-05",
    "economic_buyer": {"name": "Hank Scorpio", "email": "hank@globex.example"},
    "executive_sponsor": {"name": "Dana Whitfield", "email": "dana@acme.example"},
    "account_executive": {"name": "Sam Carter", "email": "sam@acme.example"},
}
FAILURE: dict[str, Any] = {
    "title": "Batch ingest drops rows",
    "description": "Nightly batch of 2M rows arrives with 1.2% missing.",
    "criterion": "MSP-3: zero data loss",
    "observed": "1.2% of rows missing after the 02:00 batch",
    "locations": ["services/ingest/api/batch.py"],
    "environment": "customer VPC, eu-west-1",
    "test_halted": True,
}
REPORTER: dict[str, Any] = {"name": "Priya Natarajan", "email": "priya@acme.example", "time_zone": "UTC"}


def make_report(
    *,
    deal: dict[str, Any] | None = None,
    failure: dict[str, Any] | None = None,
    reporter: dict[str, Any] | None = None,
    **fields: Any,
) -> FailureReport:
    """A complete report; `deal`, `failure` and `reporter` entries replace the defaults one by one."""
    return FailureReport.model_validate(
        {
            "deal": {**DEAL, **(deal or {})},
            "failure": {**FAILURE, **(failure or {})},
            "reporter": {**REPORTER, **(reporter or {})},
            **fields,
        }
    )


def make_team(**fields: Any) -> Team:
    defaults: dict[str, Any] = {
        "handle": "@acme/ingest",
        "service": "ingest-api",
        "jira_project": "ING",
        "jira_component": "ingest-api",
        "pagerduty_service": "PING001",
        "senior_engineer": "alice@acme.example",
        "breach_contacts": ("vp-eng@acme.example",),
    }
    return Team(**{**defaults, **fields})


def make_owner(*, team: Team | None = None, **fields: Any) -> Owner:
    team = team or make_team()
    defaults: dict[str, Any] = {
        "engineer": team.senior_engineer,
        "location": "services/ingest/api/batch.py",
        "line": 3,
        "pattern": "/services/ingest/",
    }
    return Owner(team=team, **{**defaults, **fields})


def make_escalation(
    *, report: FailureReport | None = None, owner: Owner | None = None, **fields: Any
) -> Escalation:
    """An escalation of `report` (default `make_report()`), owned by @acme/ingest, paging alice."""
    escalation_id = fields.pop("id", "e5c0ffee1234")
    escalation = Escalation(
        id=escalation_id,
        state=State.PENDING,
        dry_run=False,
        report=report or make_report(),
        owner=owner or make_owner(),
        created_at=CREATED_AT,
        fix_due=CREATED_AT + timedelta(hours=48),
        rca_due=CREATED_AT + timedelta(hours=2),
        url=f"{PUBLIC_URL}/escalations/{escalation_id}",
    )
    return replace(escalation, **fields)
