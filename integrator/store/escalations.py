"""Persistence of escalations, their effects and timelines, and the leases that make effects run once."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from integrator.application.ports import PRUNE_BATCH, REPLAY_WINDOW, Attempt
from integrator.domain.escalation import (
    OPEN_STATES,
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
from integrator.domain.owner import Owner, Team
from integrator.domain.report import FailureReport
from integrator.domain.status import MILESTONE, Watch
from integrator.errors import AlreadyRecorded, NotFound
from integrator.store.errors import translated
from integrator.store.tables import deliveries, effects, escalations, events, leases


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
        owed: Sequence[Owed],
        event: Event,
    ) -> tuple[Escalation, bool]:
        """Store a new escalation with the effects it owes; (the first one, False) on a repeated key."""
        try:
            with translated(), self.engine.begin() as conn:
                conn.execute(insert(escalations).values(_escalation_row(escalation)))
                _insert_effects(conn, escalation.id, owed, now=escalation.created_at)
                _insert_events(conn, escalation.id, [event])
        except AlreadyRecorded:
            key = escalation.report.idempotency_key
            first = self.find_by_key(key) if key else None
            if first is None:
                raise
            return first, False
        return self.get(escalation.id), True

    def apply(
        self,
        escalation_id: str,
        *,
        now: datetime,
        changes: Changes | None = None,
        owed: Iterable[Owed] = (),
        timeline: Sequence[Event] = (),
        only_if_new: bool = False,
    ) -> builtins.list[Owed]:
        """Change an escalation, owe new effects and extend its timeline, in one transaction.

        Effects it owes already ((kind, target) seen before) are skipped: each is owed once, ever.
        Returns the effects that were new.
        """
        with translated(), self.engine.begin() as conn:
            have = {
                (r.kind, r.target)
                for r in conn.execute(
                    select(effects.c.kind, effects.c.target).where(effects.c.escalation_id == escalation_id)
                )
            }
            new = list(
                {(o.kind.value, o.target): o for o in owed if (o.kind.value, o.target) not in have}.values()
            )
            if only_if_new and not new:
                return new
            _insert_effects(conn, escalation_id, new, now=now)
            if changes:
                conn.execute(
                    update(escalations)
                    .where(escalations.c.id == escalation_id)
                    .values(**_columns(changes), updated_at=now)
                )
            _insert_events(conn, escalation_id, timeline)
        return new

    def claim(
        self, effect_ids: Sequence[int], *, now: datetime, lease_until: datetime
    ) -> builtins.list[Effect]:
        """Take the due and free ones of these effects until `lease_until`, in one transaction."""
        due = (
            effects.c.id.in_(list(effect_ids)),
            effects.c.state == EffectState.PENDING.value,
            or_(effects.c.lease_until.is_(None), effects.c.lease_until <= now),
            or_(effects.c.next_attempt_at.is_(None), effects.c.next_attempt_at <= now),
        )
        with translated(), self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Rows another worker holds are about to be taken: skip them, don't wait.
                locked = select(effects.c.id).where(*due).with_for_update(skip_locked=True)
                due = (effects.c.id.in_(list(conn.execute(locked).scalars())), *due[1:])
            # The conditional UPDATE is the claim itself (atomic on SQLite's single writer too).
            claimed = conn.execute(
                update(effects)
                .where(*due)
                .values(lease_until=lease_until, attempts=effects.c.attempts + 1, updated_at=now)
                .returning(*effects.c)
            )
            return sorted((_effect(row) for row in claimed), key=lambda e: e.id)

    def extend(self, held: Mapping[int, int], *, until: datetime) -> None:
        """Renew the leases of effects this worker still holds (same attempt, still pending)."""
        if not held:
            return
        mine = (
            effects.c.id == bindparam("effect_id"),
            effects.c.attempts == bindparam("attempt"),
            effects.c.state == EffectState.PENDING.value,
        )
        with translated(), self.engine.begin() as conn:
            conn.execute(
                update(effects).where(*mine).values(lease_until=until),
                [{"effect_id": i, "attempt": n} for i, n in held.items()],
            )

    def record(self, attempts: Sequence[Attempt], *, now: datetime) -> None:
        """Record attempts (each effect's new state, what it changed, its timeline) in one transaction."""
        with translated(), self.engine.begin() as conn:
            for a in attempts:
                values: dict[str, Any] = {
                    "state": a.state.value,
                    "last_error": a.error,
                    "next_attempt_at": a.next_attempt_at,
                    "lease_until": None,
                    "updated_at": now,
                }
                if a.result is not None:
                    values["result"] = dict(a.result)
                conn.execute(update(effects).where(effects.c.id == a.effect_id).values(**values))
                if a.changes:
                    conn.execute(
                        update(escalations)
                        .where(escalations.c.id == a.escalation_id)
                        .values(**_columns(a.changes), updated_at=now)
                    )
                _insert_events(conn, a.escalation_id, a.timeline)

    def take_lease(self, name: str, *, holder: str, now: datetime, until: datetime) -> bool:
        """Hold the named lease until `until`; False while another holder's lease runs."""
        with translated(), self.engine.begin() as conn:
            exists = select(leases.c.name).where(leases.c.name == name)
            if conn.dialect.name == "postgresql":
                exists = exists.with_for_update(skip_locked=True)
                if conn.execute(exists).first() is None:
                    inserted = conn.execute(
                        pg_insert(leases)
                        .values(name=name, holder=holder, until=until)
                        .on_conflict_do_nothing(index_elements=["name"])
                        .returning(leases.c.name)
                    )
                    return inserted.first() is not None  # None: another worker inserted it first
            elif conn.execute(exists).first() is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(leases).values(name=name, holder=holder, until=until))
                except IntegrityError:
                    return False  # another worker created it a moment ago, and holds it
                return True
            taken = conn.execute(
                update(leases)
                .where(leases.c.name == name, or_(leases.c.until <= now, leases.c.holder == holder))
                .values(holder=holder, until=until)
            )
            return taken.rowcount == 1

    def release_lease(self, name: str, *, holder: str) -> None:
        with translated(), self.engine.begin() as conn:
            conn.execute(
                update(leases)
                .where(leases.c.name == name, leases.c.holder == holder)
                .values(until=datetime(1970, 1, 1, tzinfo=UTC))
            )

    def first_delivery(self, delivery_id: str, *, now: datetime) -> bool:
        """Remember a webhook delivery, forgetting a bounded batch of expired ones; False on a redelivery."""
        expired = (
            select(deliveries.c.id).where(deliveries.c.received_at < now - REPLAY_WINDOW).limit(PRUNE_BATCH)
        )
        try:
            with translated(), self.engine.begin() as conn:
                conn.execute(delete(deliveries).where(deliveries.c.id.in_(expired.scalar_subquery())))
                conn.execute(insert(deliveries).values(id=delivery_id[:250], received_at=now))
        except AlreadyRecorded:
            return False
        return True

    def share_status(self, escalation_id: str, token: str | None, *, now: datetime, event: Event) -> None:
        """Set (or, with None, revoke) the customer status page's token."""
        with translated(), self.engine.begin() as conn:
            conn.execute(
                update(escalations)
                .where(escalations.c.id == escalation_id)
                .values(status_token=token, updated_at=now)
            )
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

    def recent(
        self, *, states: Collection[State] | None = None, limit: int = 200
    ) -> builtins.list[Escalation]:
        """Newest first."""
        where = escalations.c.state.in_([s.value for s in states]) if states else None
        return self._load(where, limit=limit)

    def by_status_token(self, token: str) -> Escalation | None:
        found = self._load(escalations.c.status_token == token) if token else []
        return found[0] if found else None

    def by_incident(self, incident_id: str) -> Escalation | None:
        found = self._load(escalations.c.pd_incident_id == incident_id)
        return found[0] if found else None

    def by_issue(self, key: str) -> Escalation | None:
        found = self._load(escalations.c.jira_key == key)
        return found[0] if found else None

    def watching(self) -> builtins.list[Watch]:
        """What the sync needs of every open escalation, oldest first: one narrow, streamed query
        (no report, effect or event is read), and one for the clock milestones already raised."""
        is_open = escalations.c.state.in_([s.value for s in OPEN_STATES])
        service = escalations.c.owner["team"]["pagerduty_service"].as_string()
        query = select(*(escalations.c[name] for name in _WATCH_COLUMNS), service.label("service"))
        query = query.where(is_open).order_by(escalations.c.created_at, escalations.c.id)
        milestones = (
            select(events.c.escalation_id, events.c.kind)
            .join(escalations, escalations.c.id == events.c.escalation_id)
            .where(is_open, events.c.kind.like(f"{MILESTONE}%"))
        )
        with translated(), self.engine.connect() as conn:
            raised: dict[str, set[str]] = {}
            for escalation_id, kind in conn.execute(milestones):
                raised.setdefault(escalation_id, set()).add(kind)
            rows = conn.execution_options(yield_per=1000).execute(query)
            return [_watch(r, frozenset(raised.get(r.id, ()))) for r in rows]

    def load(self, ids: Collection[str]) -> builtins.list[Escalation]:
        """These escalations (any order); ones that do not exist are left out."""
        return self._load(escalations.c.id.in_(list(ids)), limit=len(ids) or 1)

    def due_escalations(self, *, now: datetime) -> builtins.list[str]:
        """Ids of escalations with a pending effect past its backoff and lease, oldest effect first."""
        return list(dict.fromkeys(escalation_id for escalation_id, _ in self.due_effects(now=now)))

    def due_effects(self, *, now: datetime) -> builtins.list[tuple[str, int]]:
        """(escalation id, effect id) of pending effects past their backoff and lease, oldest first."""
        query = (
            select(effects.c.escalation_id, effects.c.id)
            .where(
                effects.c.state == EffectState.PENDING.value,
                or_(effects.c.next_attempt_at.is_(None), effects.c.next_attempt_at <= now),
                or_(effects.c.lease_until.is_(None), effects.c.lease_until <= now),
            )
            .order_by(effects.c.id)
        )
        with translated(), self.engine.connect() as conn:
            return [(r.escalation_id, r.id) for r in conn.execute(query)]

    def pending_effects(self) -> builtins.list[tuple[str, Effect]]:
        """(escalation id, effect) of every effect still pending, soonest retry first."""
        query = (
            select(effects)
            .where(effects.c.state == EffectState.PENDING.value)
            .order_by(effects.c.next_attempt_at.asc().nulls_last(), effects.c.id)
        )
        with translated(), self.engine.connect() as conn:
            return [(r.escalation_id, _effect(r)) for r in conn.execute(query)]

    def _load(self, where: Any, *, limit: int = 200) -> builtins.list[Escalation]:
        """Escalations with their effects and timelines.

        Effects are read before the escalations' rows: an effect and what it changed are committed
        together, so an effect seen done always comes with the page or ticket it made, even when
        another worker commits between the statements.
        """
        query = (
            select(escalations.c.id).order_by(escalations.c.created_at.desc(), escalations.c.id).limit(limit)
        )
        if where is not None:
            query = query.where(where)
        with translated(), self.engine.connect() as conn:
            ids = list(conn.execute(query).scalars())
            effect_rows = conn.execute(
                select(effects).where(effects.c.escalation_id.in_(ids)).order_by(effects.c.id)
            ).all()
            rows = {r.id: r for r in conn.execute(select(escalations).where(escalations.c.id.in_(ids)))}
            event_rows = conn.execute(
                select(events).where(events.c.escalation_id.in_(ids)).order_by(events.c.id)
            ).all()
        by_id: dict[str, tuple[list[Effect], list[Event]]] = {i: ([], []) for i in ids}
        for r in effect_rows:
            by_id[r.escalation_id][0].append(_effect(r))
        for r in event_rows:
            by_id[r.escalation_id][1].append(Event(at=r.at, kind=r.kind, text=r.text, data=r.data))
        return [_escalation(rows[i], *by_id[i], public_url=self.public_url) for i in ids]


def _insert_effects(conn: Connection, escalation_id: str, owed: Sequence[Owed], *, now: datetime) -> None:
    if owed:
        conn.execute(
            insert(effects),
            [
                {
                    "escalation_id": escalation_id,
                    "kind": o.kind.value,
                    "target": o.target,
                    "state": EffectState.PENDING.value,
                    "attempts": 0,
                    "result": {},
                    "payload": o.payload,
                    "created_at": now,
                    "updated_at": now,
                }
                for o in owed
            ],
        )


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


_PAGE_COLUMNS = {
    "incident_id": "pd_incident_id",
    "url": "pd_url",
    "assignee": "pd_assignee",
    "note": "pd_note",
}
_RENAMED = {"pagerduty_state": "pd_state"}


def _columns(changes: Changes) -> dict[str, Any]:
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


_WATCH_COLUMNS = (
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


def _watch(r: Any, raised: frozenset[str]) -> Watch:
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
    )


def _page(r: Row[Any]) -> Page | None:
    if not r.pd_incident_id:
        return None
    return Page(incident_id=r.pd_incident_id, url=r.pd_url, assignee=r.pd_assignee, note=r.pd_note or "")


def _ticket(r: Row[Any]) -> Ticket | None:
    return Ticket(key=r.jira_key, url=r.jira_url or "") if r.jira_key else None


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
        payload=dict(r.payload or {}),
    )


def _escalation(
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
    )
