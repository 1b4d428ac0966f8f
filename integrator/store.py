"""Persistence of escalations, their effects and timelines, and the leases that make effects run once."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from integrator.errors import NotFound
from integrator.model import (
    Effect,
    EffectKind,
    EffectState,
    Escalation,
    Event,
    FailureReport,
    Owner,
    Page,
    State,
    Team,
    Ticket,
)
from integrator.tables import effects, escalations, events


class Store:
    """Escalations in a SQL database; every method is one transaction."""

    def __init__(self, engine: Engine, *, public_url: str) -> None:
        self.engine = engine
        self.public_url = public_url.rstrip("/")

    # -- writing ---------------------------------------------------------------------------------

    def add(
        self,
        escalation: Escalation,
        *,
        owed: Sequence[tuple[EffectKind, str]],
        event: Event,
    ) -> tuple[Escalation, bool]:
        """Store a new escalation with the effects it owes; (the first one, False) on a repeated key."""
        now = escalation.created_at
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(escalations).values(_escalation_row(escalation)))
                conn.execute(
                    insert(effects),
                    [
                        {
                            "escalation_id": escalation.id,
                            "kind": kind.value,
                            "target": target,
                            "state": EffectState.PENDING.value,
                            "attempts": 0,
                            "result": {},
                            "created_at": now,
                            "updated_at": now,
                        }
                        for kind, target in owed
                    ],
                )
                _insert_events(conn, escalation.id, [event])
        except IntegrityError:
            key = escalation.report.idempotency_key
            first = self.find_by_key(key) if key else None
            if first is None:
                raise
            return first, False
        return self.get(escalation.id), True

    def owe(self, escalation_id: str, owed: Iterable[tuple[EffectKind, str]], *, now: datetime) -> None:
        """Add effects to an existing escalation; ones it already owes are left as they are."""
        with self.engine.begin() as conn:
            have = {
                (r.kind, r.target)
                for r in conn.execute(
                    select(effects.c.kind, effects.c.target).where(effects.c.escalation_id == escalation_id)
                )
            }
            rows = [
                {
                    "escalation_id": escalation_id,
                    "kind": kind.value,
                    "target": target,
                    "state": EffectState.PENDING.value,
                    "attempts": 0,
                    "result": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for kind, target in owed
                if (kind.value, target) not in have
            ]
            if rows:
                conn.execute(insert(effects), rows)

    def claim(self, effect_id: int, *, now: datetime, lease_until: datetime) -> Effect | None:
        """Take a due effect for this worker until `lease_until`; None when it is not due or taken."""
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(effects)
                .where(
                    effects.c.id == effect_id,
                    effects.c.state == EffectState.PENDING.value,
                    or_(effects.c.lease_until.is_(None), effects.c.lease_until <= now),
                    or_(effects.c.next_attempt_at.is_(None), effects.c.next_attempt_at <= now),
                )
                .values(lease_until=lease_until, attempts=effects.c.attempts + 1, updated_at=now)
            )
            if claimed.rowcount != 1:
                return None
            row = conn.execute(select(effects).where(effects.c.id == effect_id)).one()
            return _effect(row)

    def finish(
        self,
        effect_id: int,
        *,
        now: datetime,
        state: EffectState,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        escalation_changes: Mapping[str, Any] | None = None,
        timeline: Sequence[Event] = (),
    ) -> None:
        """Record what an effect's attempt came to, with what it changed, in one transaction."""
        with self.engine.begin() as conn:
            escalation_id = conn.execute(
                select(effects.c.escalation_id).where(effects.c.id == effect_id)
            ).scalar_one()
            values: dict[str, Any] = {
                "state": state.value,
                "last_error": error,
                "next_attempt_at": next_attempt_at,
                "lease_until": None,
                "updated_at": now,
            }
            if result is not None:
                values["result"] = dict(result)
            conn.execute(update(effects).where(effects.c.id == effect_id).values(**values))
            if escalation_changes:
                conn.execute(
                    update(escalations)
                    .where(escalations.c.id == escalation_id)
                    .values(**escalation_changes, updated_at=now)
                )
            _insert_events(conn, escalation_id, timeline)

    def update(
        self, escalation_id: str, *, now: datetime, changes: Mapping[str, Any], timeline: Sequence[Event] = ()
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(escalations).where(escalations.c.id == escalation_id).values(**changes, updated_at=now)
            )
            _insert_events(conn, escalation_id, timeline)

    def record(self, escalation_id: str, event: Event) -> None:
        with self.engine.begin() as conn:
            _insert_events(conn, escalation_id, [event])

    # -- reading ---------------------------------------------------------------------------------

    def get(self, escalation_id: str) -> Escalation:
        found = self._load(escalations.c.id == escalation_id)
        if not found:
            raise NotFound(f"no escalation {escalation_id!r}")
        return found[0]

    def find_by_key(self, idempotency_key: str) -> Escalation | None:
        found = self._load(escalations.c.idempotency_key == idempotency_key)
        return found[0] if found else None

    def list(self, *, states: Collection[State] | None = None, limit: int = 200) -> list[Escalation]:
        """Newest first."""
        where = escalations.c.state.in_([s.value for s in states]) if states else None
        return self._load(where, limit=limit)

    def due_effects(self, *, now: datetime, limit: int = 500) -> list[tuple[str, int]]:
        """(escalation id, effect id) of pending effects past their backoff and lease, oldest first."""
        query = (
            select(effects.c.escalation_id, effects.c.id)
            .where(
                effects.c.state == EffectState.PENDING.value,
                or_(effects.c.next_attempt_at.is_(None), effects.c.next_attempt_at <= now),
                or_(effects.c.lease_until.is_(None), effects.c.lease_until <= now),
            )
            .order_by(effects.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(r.escalation_id, r.id) for r in conn.execute(query)]

    def pending_effects(self) -> list[tuple[str, Effect]]:
        """(escalation id, effect) of every effect still pending, soonest retry first."""
        query = (
            select(effects)
            .where(effects.c.state == EffectState.PENDING.value)
            .order_by(effects.c.next_attempt_at, effects.c.id)
        )
        with self.engine.connect() as conn:
            return [(r.escalation_id, _effect(r)) for r in conn.execute(query)]

    def count_effects(self) -> dict[str, int]:
        """Effects by state, for metrics and health."""
        query = select(effects.c.state, func.count()).group_by(effects.c.state)
        with self.engine.connect() as conn:
            return dict(conn.execute(query).tuples())

    def _load(self, where: Any, *, limit: int = 200) -> list[Escalation]:
        query = select(escalations).order_by(escalations.c.created_at.desc(), escalations.c.id).limit(limit)
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            ids = [r.id for r in rows]
            effect_rows = conn.execute(
                select(effects).where(effects.c.escalation_id.in_(ids)).order_by(effects.c.id)
            ).all()
            event_rows = conn.execute(
                select(events).where(and_(events.c.escalation_id.in_(ids))).order_by(events.c.id)
            ).all()
        by_id: dict[str, tuple[list[Effect], list[Event]]] = {i: ([], []) for i in ids}
        for r in effect_rows:
            by_id[r.escalation_id][0].append(_effect(r))
        for r in event_rows:
            by_id[r.escalation_id][1].append(Event(at=r.at, kind=r.kind, text=r.text, data=r.data))
        return [_escalation(r, *by_id[r.id], public_url=self.public_url) for r in rows]


def _insert_events(conn: Connection, escalation_id: str, timeline: Sequence[Event]) -> None:
    if timeline:
        conn.execute(
            insert(events),
            [
                {"escalation_id": escalation_id, "at": e.at, "kind": e.kind, "text": e.text, "data": e.data}
                for e in timeline
            ],
        )


def _escalation_row(e: Escalation) -> dict[str, Any]:
    return {
        "id": e.id,
        "idempotency_key": e.report.idempotency_key,
        "state": e.state.value,
        "dry_run": e.dry_run,
        "report": e.report.model_dump(mode="json"),
        "owner": asdict(e.owner),
        "created_at": e.created_at,
        "updated_at": e.created_at,
        "fix_due": e.fix_due,
        "rca_due": e.rca_due,
    }


def _owner(data: dict[str, Any]) -> Owner:
    team = dict(data["team"])
    team["breach_contacts"] = tuple(team.get("breach_contacts", ()))
    return Owner(**{**data, "team": Team(**team)})


def _effect(r: Row[Any]) -> Effect:
    return Effect(
        id=r.id,
        kind=EffectKind(r.kind),
        state=EffectState(r.state),
        attempts=r.attempts,
        last_error=r.last_error,
        next_attempt_at=r.next_attempt_at,
        target=r.target,
        result=dict(r.result or {}),
    )


def _escalation(
    r: Row[Any], effect_list: list[Effect], timeline: list[Event], *, public_url: str
) -> Escalation:
    page = (
        Page(incident_id=r.pd_incident_id, url=r.pd_url, assignee=r.pd_assignee, note=r.pd_note or "")
        if r.pd_incident_id
        else None
    )
    ticket = Ticket(key=r.jira_key, url=r.jira_url or "") if r.jira_key else None
    return Escalation(
        id=r.id,
        state=State(r.state),
        dry_run=r.dry_run,
        report=FailureReport.model_validate(r.report),
        owner=_owner(r.owner),
        created_at=r.created_at,
        fix_due=r.fix_due,
        rca_due=r.rca_due,
        url=f"{public_url}/escalations/{r.id}",
        page=page,
        pagerduty_state=r.pd_state,
        ticket=ticket,
        jira_state=r.jira_state,
        effects=tuple(effect_list),
        timeline=tuple(timeline),
    )
