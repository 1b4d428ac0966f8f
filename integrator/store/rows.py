"""Rows and domain values, both ways: what the store writes for an escalation and reads back."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, update
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.expression import Executable

from integrator.application.ports import Attempt, Hold
from integrator.domain.clocks import delivers_rca
from integrator.domain.deals import EscalatedDeal, promised_rca
from integrator.domain.escalation import (
    Changes,
    Effect,
    EffectKind,
    EffectState,
    Escalation,
    Event,
    Owed,
    Page,
    State,
    Ticket,
    escalation_url,
    status_page_url,
)
from integrator.domain.fingerprint import Fingerprint
from integrator.domain.owner import Owner, Team
from integrator.domain.report import FailureReport
from integrator.domain.status import Watch, WatchedDeal
from integrator.store import moments
from integrator.store.tables import deals, effects, escalations, events

# Built once: the store's hottest statements, executed with parameters.
_INSERT_ESCALATION = insert(escalations)
_INSERT_DEAL = insert(deals)
# In any order: one statement on SQLite too (an ordered RETURNING there is a statement per row);
# the rows are put back in the order owed by (kind, target), unique within an escalation.
_INSERT_EFFECTS = insert(effects).returning(*effects.c)
_INSERT_EVENTS = insert(events)


def insert_escalation(
    conn: Connection,
    e: Escalation,
    owed: Sequence[Owed],
    timeline: Sequence[Event],
    *,
    hold: Hold | None = None,
) -> builtins.list[Effect]:
    """A new escalation's rows: itself, its first deal, what it owes and its timeline."""
    report = e.report.model_dump(mode="json")
    conn.execute(_INSERT_ESCALATION, escalation_row(e, report))
    conn.execute(_INSERT_DEAL, deal_row(e.id, EscalatedDeal(1, e.report, e.created_at), report))
    owing = insert_effects(conn, e.id, owed, now=e.created_at, hold=hold)
    insert_events(conn, e.id, timeline)
    return owing


def insert_effects(
    conn: Connection, escalation_id: str, owed: Sequence[Owed], *, now: datetime, hold: Hold | None = None
) -> builtins.list[Effect]:
    """Insert the owed effects (those `hold` names already claimed); what was inserted, with the ids
    the database gave them, in order."""
    if not owed:
        return []
    kinds = hold.kinds if hold else frozenset()
    inserted = conn.execute(
        _INSERT_EFFECTS,
        [
            {
                "escalation_id": escalation_id,
                "kind": o.kind.value,
                "target": o.target,
                "state": EffectState.PENDING.value,
                "attempts": 1 if o.kind in kinds else 0,
                "lease_until": hold.until if hold and o.kind in kinds else None,
                "result": {},
                "payload": o.payload,
                "created_at": now,
                "updated_at": now,
            }
            for o in owed
        ],
    )
    made = {(row.kind, row.target): effect(row) for row in inserted}
    return [made[o.kind.value, o.target] for o in owed]


def insert_events(conn: Connection, escalation_id: str, timeline: Sequence[Event]) -> None:
    insert_timeline(conn, [(escalation_id, e) for e in timeline])


def insert_timeline(conn: Connection, timeline: Sequence[tuple[str, Event]]) -> None:
    """Append (escalation id, event) pairs, in one statement; an RCA delivered is marked on its row."""
    if timeline:
        conn.execute(
            _INSERT_EVENTS,
            [
                {"escalation_id": i, "at": e.at, "kind": e.kind, "text": e.text, "data": e.data}
                for i, e in timeline
            ],
        )
        delivered = [{"row_id": i, "at": e.at} for i, e in timeline if delivers_rca(e)]
        if delivered:
            conn.execute(moments.MARK_RCA, delivered)


_FINISH = (
    update(effects)
    .where(effects.c.id == bindparam("effect_id"))
    .values(
        state=bindparam("new_state"),
        last_error=bindparam("error"),
        next_attempt_at=bindparam("next_at"),
        lease_until=None,
        updated_at=bindparam("now"),
    )
)
_FINISH_WITH_RESULT = _FINISH.values(result=bindparam("outcome"))


def recorded(attempts: Sequence[Attempt], *, now: datetime) -> builtins.list[tuple[Executable, Any]]:
    """The statements that record attempts (all but their timelines), with their parameters, in order:
    each effect's new state (one statement for those with a result, one for those without), the
    moments the done ones are, and what each attempt changed on its escalation."""
    finish = [(finished(a, now=now), a.result is not None) for a in attempts]
    statements: builtins.list[tuple[Executable, Any]] = [
        (statement, batch)
        for statement, with_result in ((_FINISH_WITH_RESULT, True), (_FINISH, False))
        if (batch := [f for f, has_result in finish if has_result == with_result])
    ]
    done = [
        {"effect_id": a.effect_id, "now": now}
        for a in attempts
        if a.state == EffectState.DONE and (a.kind is None or a.kind in moments.KINDS)
    ]
    if done:
        statements.append((moments.MARK_DONE, done))
    for a in attempts:
        if a.changes:
            changed = columns(a.changes)
            values = {f"new_{c}": v for c, v in changed.items()}
            statements.append(
                (changing(frozenset(changed)), {"which": a.escalation_id, "now": now, **values})
            )
    return statements


def finished(attempt: Attempt, *, now: datetime) -> dict[str, Any]:
    """The parameters that record an attempt's effect (see `_FINISH`)."""
    values = {
        "effect_id": attempt.effect_id,
        "new_state": attempt.state.value,
        "error": attempt.error,
        "next_at": attempt.next_attempt_at,
        "now": now,
    }
    return values | ({"outcome": dict(attempt.result)} if attempt.result is not None else {})


def escalation_row(e: Escalation, report: dict[str, Any] | None = None) -> dict[str, Any]:
    """The escalations row (`report`: the report as JSON, when the caller has it already)."""
    report = e.report.model_dump(mode="json") if report is None else report
    owner = asdict(e.owner)
    return {
        "id": e.id,
        "idempotency_key": e.report.idempotency_key,
        "state": e.state.value,
        "dry_run": e.dry_run,
        "report": report,
        "owner": owner,
        "created_at": e.created_at,
        "updated_at": e.created_at,
        "fix_due": e.fix_due,
        "rca_due": e.rca_due,
        **fingerprint_columns(e.fingerprint),
        **insight_columns(report, owner),
    }


def insight_columns(report: dict[str, Any], owner: dict[str, Any]) -> dict[str, Any]:
    """The copies Insights filters and sums by: the owner team, the account, its ARR in cents.

    The first report's deal; Insights adds the deals linked later from the `deals` table.
    """
    deal = report["deal"]
    return {
        "team": owner["team"]["handle"],
        "account": deal["account"][:200],
        "arr_cents": int((Decimal(str(deal["arr"])) * 100).to_integral_value()),
        "currency": deal.get("currency", "USD"),
    }


def fingerprint_columns(f: Fingerprint | None) -> dict[str, Any]:
    """The fingerprint's id (indexed, for lookups) and its parts (for showing what matched)."""
    if f is None:
        return {"fingerprint": None, "fingerprint_parts": None}
    parts = {"exception": f.exception, "frames": list(f.frames), "team": f.team}
    return {"fingerprint": f.id, "fingerprint_parts": parts}


def _fingerprint(r: Row[Any]) -> Fingerprint | None:
    if not r.fingerprint:
        return None
    parts = r.fingerprint_parts or {}
    return Fingerprint(
        id=r.fingerprint,
        exception=parts.get("exception"),
        frames=tuple(parts.get("frames", ())),
        team=parts.get("team", ""),
    )


_PAGE_COLUMNS = {
    "incident_id": "pd_incident_id",
    "url": "pd_url",
    "assignee": "pd_assignee",
    "note": "pd_note",
}
_RENAMED = {"pagerduty_state": "pd_state"}


def columns(changes: Changes) -> dict[str, Any]:
    """The escalations row's columns a `Changes` sets."""
    values: dict[str, Any] = {}
    for name, value in changes.fields().items():
        if name == "page":
            values |= {column: getattr(value, attr) for attr, column in _PAGE_COLUMNS.items()}
        elif name == "ticket":
            values |= {"jira_key": value.key, "jira_url": value.url}
        elif name == "state":
            values["state"] = value.value
        else:
            values[_RENAMED.get(name, name)] = value
    return values


@functools.cache
def changing(columns: frozenset[str]) -> Update:
    """The UPDATE that sets these columns of one escalation (`new_<column>`), built once per set."""
    values: dict[str, Any] = {c: bindparam(f"new_{c}") for c in sorted(columns)}
    values["updated_at"] = bindparam("now")
    return update(escalations).where(escalations.c.id == bindparam("which")).values(values)


WATCH_COLUMNS = (
    "id",
    "state",
    "created_at",
    "fix_due",
    "rca_due",
    "pd_incident_id",
    "pd_url",
    "pd_assignee",
    "pd_note",
    "pd_state",
    "jira_key",
    "jira_url",
    "jira_state",
    "jira_status",
    "acknowledged_at",
    "fixed_at",
)


def watch(
    r: Any,
    raised: frozenset[str],
    *,
    linked: tuple[WatchedDeal, ...] = (),
    told: frozenset[int] = frozenset(),
) -> Watch:
    return Watch(
        id=r.id,
        state=State(r.state),
        created_at=r.created_at,
        fix_due=r.fix_due,
        rca_due=r.rca_due,
        pagerduty_service=r.service,
        page=_page(r),
        pagerduty_state=r.pd_state,
        ticket=_ticket(r),
        jira_state=r.jira_state,
        jira_status=r.jira_status,
        acknowledged_at=r.acknowledged_at,
        fixed_at=r.fixed_at,
        raised=raised,
        reporter=r.reporter or "",
        linked=linked,
        told=told,
    )


def watched_deal(r: Any) -> WatchedDeal:
    """A linked deal's clocks from its row: its RCA as its report promises it, else by default."""
    stated = datetime.fromisoformat(r.rca_due) if r.rca_due else None
    stated = stated.replace(tzinfo=UTC) if stated is not None and stated.tzinfo is None else stated
    rca_due = promised_rca(r.created_at, stated, r.time_zone or "UTC")
    return WatchedDeal(number=r.number, created_at=r.created_at, reporter=r.reporter, rca_due=rca_due)


def _page(r: Row[Any]) -> Page | None:
    if not r.pd_incident_id:
        return None
    return Page(incident_id=r.pd_incident_id, url=r.pd_url, assignee=r.pd_assignee, note=r.pd_note or "")


def _ticket(r: Row[Any]) -> Ticket | None:
    return Ticket(key=r.jira_key, url=r.jira_url or "") if r.jira_key else None


def _owner(data: dict[str, Any]) -> Owner:
    team = dict(data["team"])
    team["breach_contacts"] = tuple(team.get("breach_contacts", ()))
    team["executive_escalation"] = tuple(team.get("executive_escalation", ()))
    return Owner(**{**data, "team": Team(**team)})


def effect(r: Row[Any]) -> Effect:
    return Effect(
        id=r.id,
        kind=EffectKind(r.kind),
        state=EffectState(r.state),
        attempts=r.attempts,
        last_error=r.last_error,
        next_attempt_at=r.next_attempt_at,
        target=r.target,
        result=dict(r.result or {}),
        payload=dict(r.payload or {}),
    )


def escalation(
    r: Row[Any], effect_list: list[Effect], timeline: list[Event], *, public_url: str
) -> Escalation:
    page, ticket = _page(r), _ticket(r)
    return Escalation(
        id=r.id,
        state=State(r.state),
        dry_run=r.dry_run,
        report=FailureReport.stored(r.report),
        owner=_owner(r.owner),
        created_at=r.created_at,
        fix_due=r.fix_due,
        rca_due=r.rca_due,
        url=escalation_url(public_url, r.id),
        page=page,
        pagerduty_state=r.pd_state,
        ticket=ticket,
        jira_state=r.jira_state,
        jira_status=r.jira_status,
        acknowledged_at=r.acknowledged_at,
        acknowledged_by=r.acknowledged_by,
        fixed_at=r.fixed_at,
        status_token=r.status_token,
        status_url=status_page_url(public_url, r.status_token) if r.status_token else None,
        effects=tuple(effect_list),
        timeline=tuple(timeline),
        fingerprint=_fingerprint(r),
    )


def deal_row(
    escalation_id: str, deal: EscalatedDeal, report_json: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The deals row (`report_json`: the deal's report as JSON, when the caller has it already)."""
    report = deal.report
    return {
        "escalation_id": escalation_id,
        "number": deal.number,
        "report": report.model_dump(mode="json") if report_json is None else report_json,
        "account": deal.account,
        "arr": str(deal.arr),
        "currency": deal.currency,
        "reporter": deal.reporter,
        "idempotency_key": report.idempotency_key,
        "created_at": deal.created_at,
    }


def deal(r: Row[Any], *, public_url: str) -> EscalatedDeal:
    token = r.status_token
    return EscalatedDeal(
        number=r.number,
        report=FailureReport.stored(r.report),
        created_at=r.created_at,
        status_token=token,
        status_url=status_page_url(public_url, token) if token else None,
    )
