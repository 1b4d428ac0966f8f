"""The stable JSON shape of an escalation, shared by the CLI's --json and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrator.application.disclosure import disclosure
from integrator.domain.escalation import Escalation
from integrator.domain.fingerprint import Fingerprint
from integrator.domain.halt import halt_status


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def fingerprint_dict(f: Fingerprint | None) -> dict[str, Any] | None:
    """The failure's fingerprint and what it is taken from; None when the report had no trace."""
    if f is None:
        return None
    return {
        "id": f.id,
        "exception": f.exception,
        "frames": list(f.frames),
        "team": f.team,
        "text": f.describe(),
    }


def escalation_dict(e: Escalation) -> dict[str, Any]:
    report = e.report
    return {
        "id": e.id,
        "url": e.url,
        "state": e.state.value,
        "dry_run": e.dry_run,
        "created_at": _time(e.created_at),
        "rca_due": _time(e.rca_due),
        "fix_due": _time(e.fix_due),
        "acknowledged_at": _time(e.acknowledged_at),
        "acknowledged_by": e.acknowledged_by,
        "fixed_at": _time(e.fixed_at),
        "account": report.deal.account,
        "arr": str(report.deal.arr),
        "currency": report.deal.currency,
        "title": report.failure.title,
        "reporter": report.reporter.email,
        "idempotency_key": report.idempotency_key,
        "owner": {
            "team": e.owner.team.handle,
            "service": e.owner.team.service,
            "engineer": e.owner.engineer,
            "location": e.owner.location,
            "line": e.owner.line,
            "pattern": e.owner.pattern,
            "explanation": e.owner.explain(),
        },
        "fingerprint": fingerprint_dict(e.fingerprint),
        "pagerduty": {
            "incident_id": e.page.incident_id if e.page else None,
            "url": e.page.url if e.page else None,
            "state": e.pagerduty_state,
            "assignee": e.page.assignee if e.page else None,
            "note": e.page.note if e.page else None,
        },
        "jira": {
            "key": e.ticket.key if e.ticket else None,
            "url": e.ticket.url if e.ticket else None,
            "state": e.jira_state,
            "status": e.jira_status,
        },
        "effects": [
            {
                "kind": f.kind.value,
                "target": f.target,
                "state": f.state.value,
                "attempts": f.attempts,
                "last_error": f.last_error,
                "next_attempt_at": _time(f.next_attempt_at),
            }
            for f in e.effects
        ],
        "timeline": [{"at": _time(ev.at), "kind": ev.kind, "text": ev.text} for ev in e.timeline],
        "halt": halt_dict(e),
        "disclosure": [row.as_dict() for row in disclosure(e)],
    }


def halt_dict(e: Escalation) -> dict[str, Any] | None:
    """`{state, at, environment}` of the environment's halt (see `HaltStatus`); None when none was asked."""
    status = halt_status(e)
    if status is None:
        return None
    return {"state": status.state, "at": _time(status.at), "environment": status.environment}
