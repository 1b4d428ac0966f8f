"""The sync's narrow read of every open escalation (`Watch`): no report, effect or event is loaded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, or_, select

from integrator.domain.escalation import OPEN_STATES
from integrator.domain.status import CUSTOMER_TOLD, MILESTONE, Watch, WatchedDeal, told_deals
from integrator.store import rows
from integrator.store.tables import deals, escalations, events


def read(conn: Connection) -> list[Watch]:
    """Every open escalation's `Watch`, oldest first: one narrow, streamed query of the escalations,
    one of the clock milestones already raised and the deals each customer update went to, and one
    of the linked deals' own clocks (their report time, SE and promised RCA)."""
    is_open = escalations.c.state.in_([s.value for s in OPEN_STATES])
    service = escalations.c.owner["team"]["pagerduty_service"].as_string()
    reporter = escalations.c.report["reporter"]["email"].as_string()
    columns = (escalations.c[name] for name in rows.WATCH_COLUMNS)
    query = select(*columns, service.label("service"), reporter.label("reporter"))
    query = query.where(is_open).order_by(escalations.c.created_at, escalations.c.id)
    raised, told = _raised(conn, is_open)
    linked = _linked(conn, is_open)
    found = conn.execution_options(yield_per=1000).execute(query)
    return [
        rows.watch(
            r,
            frozenset(raised.get(r.id, ())),
            linked=tuple(linked.get(r.id, ())),
            told=frozenset(told.get(r.id, ())),
        )
        for r in found
    ]


def _raised(conn: Connection, is_open: Any) -> tuple[dict[str, set[str]], dict[str, set[int]]]:
    """Per open escalation: its milestones (and CUSTOMER_TOLD) and the deals its updates went to."""
    sent = events.c.kind == CUSTOMER_TOLD
    query = (
        select(events.c.escalation_id, events.c.kind, case((sent, events.c.data["deals"])).label("deals"))
        .join(escalations, escalations.c.id == events.c.escalation_id)
        .where(is_open, or_(events.c.kind.like(f"{MILESTONE}%"), sent))
    )
    raised: dict[str, set[str]] = {}
    told: dict[str, set[int]] = {}
    for escalation_id, kind, went_to in conn.execute(query):
        raised.setdefault(escalation_id, set()).add(kind)
        if kind == CUSTOMER_TOLD:
            told.setdefault(escalation_id, set()).update(told_deals(went_to))
    return raised, told


def _linked(conn: Connection, is_open: Any) -> dict[str, list[WatchedDeal]]:
    """Per open escalation: its linked deals' clocks, in deal order (deal 1 is the escalation's row)."""
    query = (
        select(
            deals.c.escalation_id,
            deals.c.number,
            deals.c.created_at,
            deals.c.reporter,
            deals.c.report["rca_due"].as_string().label("rca_due"),
            deals.c.report["reporter"]["time_zone"].as_string().label("time_zone"),
        )
        .join(escalations, escalations.c.id == deals.c.escalation_id)
        .where(is_open, deals.c.number > 1)
        .order_by(deals.c.escalation_id, deals.c.number)
    )
    linked: dict[str, list[WatchedDeal]] = {}
    for r in conn.execute(query):
        linked.setdefault(r.escalation_id, []).append(rows.watched_deal(r))
    return linked
