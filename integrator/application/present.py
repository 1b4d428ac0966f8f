"""The stable JSON shape of an escalation, shared by the CLI's --json and the API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from integrator.application.disclosure import disclosure
from integrator.domain.deals import arr_at_risk
from integrator.domain.escalation import Escalation
from integrator.domain.fingerprint import Fingerprint
from integrator.domain.halt import halt_status
from integrator.domain.report import FailureReport


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _amount(value: Decimal) -> str:
    """An amount as exact text: "480000" for 480,000 however it was written, cents when there are any."""
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value)


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
        "deals": [
            {
                "deal": d.number,
                "account": d.account,
                "arr": _amount(d.arr),
                "currency": d.currency,
                "reporter": d.reporter,
                "criterion": d.report.failure.criterion,
                "title": d.report.failure.title,
                "created_at": _time(d.created_at),
                "rca_due": _time(d.rca_due),
                "halt": halt_dict(e, d.number),
                "status_url": d.status_url,
            }
            for d in e.deals
        ],
        "arr_at_risk": [{"currency": a.currency, "amount": _amount(a.amount)} for a in arr_at_risk(e.deals)],
    }


def submitted_dict(e: Escalation, report: FailureReport, warnings: list[str]) -> dict[str, Any]:
    """The answer to a report: the escalation, its warnings, and which deal the report became
    (`linked`: added to an open escalation of the same failure instead of paging again)."""
    deal = e.deal_of(report)
    number = deal.number if deal else 1
    return {**escalation_dict(e), "warnings": warnings, "linked": number > 1, "deal": number}


def halt_dict(e: Escalation, deal: int = 1) -> dict[str, Any] | None:
    """`{state, at, environment}` of one deal's environment halt (see `HaltStatus`); None when that
    deal's report asked none."""
    status = halt_status(e, deal)
    if status is None:
        return None
    return {"state": status.state, "at": _time(status.at), "environment": status.environment}
