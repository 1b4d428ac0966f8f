"""A seeded history of escalations for the Insights tests, with the answer to every figure known.

Built through the store's own methods (submit, claim and record, apply) on a fake clock, so the
memory, SQLite and PostgreSQL stores hold the same history. November 2026, since the 1st:

  A  ingest    Globex   USD 480,000     Nov 2  page 2 min, ack 8 min later, buyer told 30 min,
                                               sponsor emailed 1 min, RCA 5 h (due 8 h), fixed 20 h
  B  ingest    Initech  USD 120,000     Nov 9  page 4 min, ack 30 min later, buyer told 90 min,
                                               RCA 10 h (late), fixed 60 h (late)
  C  platform  Umbrella EUR 200,000     Nov 10 page 6 min; nothing since (RCA and fix overdue)
  D  platform  Hooli    EUR 50,000.50   Nov 27 page 1 min, sponsor 2 min, RCA 2 h to the CTO
                                               (not the buyer); fix not yet due
  -  ingest    Old Co   USD 999,999     Oct 20 before the period: counted nowhere
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from integrator.application.escalate import parse_report
from integrator.application.ports import Attempt, EscalationStore
from integrator.application.updates import CustomerUpdate, next_update_number, send_customer_update
from integrator.bootstrap import Services
from integrator.domain.escalation import Changes, EffectKind, EffectState, Page, State
from tests.support import FakeClock, report_data

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 29, tzinfo=UTC)
NOW = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
INGEST, PLATFORM = "@acme/ingest", "@acme/platform"
INGEST_PATH, PLATFORM_PATH = "services/ingest/api/batch.py", "libs/auth/session.py"


@dataclass
class Seeded:
    ids: dict[str, str]


def seed_history(services: Services, clock: FakeClock) -> Seeded:
    ids = {}
    ids["old"] = _escalation(
        services, clock, datetime(2026, 10, 20, 9, tzinfo=UTC), "Old Co", "999999", "USD", INGEST_PATH
    )
    a = ids["A"] = _escalation(
        services, clock, datetime(2026, 11, 2, 10, tzinfo=UTC), "Globex", "480000", "USD", INGEST_PATH
    )
    _page(services.store, a, minutes=2)
    _ack(services.store, a, minutes=10)
    _done(services.store, a, EffectKind.EMAIL, "escalated:dana@acme.example", minutes=1)
    _update(services.store, a, to="hank@globex.example", minutes=30)
    _update(services.store, a, to="hank@globex.example", minutes=5 * 60, rca=True)
    _fix(services.store, a, hours=20)
    b = ids["B"] = _escalation(
        services, clock, datetime(2026, 11, 9, 10, tzinfo=UTC), "Initech", "120000", "USD", INGEST_PATH
    )
    _page(services.store, b, minutes=4)
    _ack(services.store, b, minutes=34)
    _update(services.store, b, to="Hank@Globex.example", minutes=90)
    _update(services.store, b, to="hank@globex.example", minutes=10 * 60, rca=True)
    _fix(services.store, b, hours=60)
    c = ids["C"] = _escalation(
        services, clock, datetime(2026, 11, 10, 12, tzinfo=UTC), "Umbrella", "200000", "EUR", PLATFORM_PATH
    )
    _page(services.store, c, minutes=6)
    d = ids["D"] = _escalation(
        services, clock, datetime(2026, 11, 27, 12, tzinfo=UTC), "Hooli", "50000.50", "EUR", PLATFORM_PATH
    )
    _page(services.store, d, minutes=1)
    _done(services.store, d, EffectKind.EMAIL, "escalated:dana@acme.example", minutes=2)
    _update(services.store, d, to="cto@hooli.example", minutes=120, rca=True)
    clock.current = NOW
    return Seeded(ids)


def _escalation(
    services: Services, clock: FakeClock, at: datetime, account: str, arr: str, currency: str, path: str
) -> str:
    clock.current = at
    data: dict[str, Any] = report_data(locations=[path])
    data["deal"].update(account=account, arr=arr, currency=currency)
    data["rca_due"] = (at + timedelta(hours=8)).isoformat()
    escalation, _ = services.escalator.submit(parse_report(data))
    return escalation.id


def _at(store: EscalationStore, escalation_id: str, **delta: float) -> datetime:
    return store.get(escalation_id).created_at + timedelta(**delta)


def _done(
    store: EscalationStore,
    escalation_id: str,
    kind: EffectKind,
    target: str = "",
    *,
    changes: Changes | None = None,
    **delta: float,
) -> None:
    """Claim and record the effect done at created_at + delta."""
    when = _at(store, escalation_id, **delta)
    effect = store.get(escalation_id).effect(kind, target)
    assert effect is not None, (kind, target)
    (claimed,) = store.claim([effect.id], now=when, lease_until=when + timedelta(minutes=1))
    attempt = Attempt(escalation_id, claimed.id, EffectState.DONE, result={}, changes=changes or Changes())
    store.record([attempt], now=when)


def _page(store: EscalationStore, escalation_id: str, *, minutes: float) -> None:
    page = Page(incident_id=f"P{escalation_id[:6]}", url=None, assignee=None)
    _done(
        store, escalation_id, EffectKind.PAGE, changes=Changes(state=State.PAGED, page=page), minutes=minutes
    )


def _ack(store: EscalationStore, escalation_id: str, *, minutes: float) -> None:
    when = _at(store, escalation_id, minutes=minutes)
    store.apply(escalation_id, now=when, changes=Changes(state=State.ACKNOWLEDGED, acknowledged_at=when))


def _fix(store: EscalationStore, escalation_id: str, *, hours: float) -> None:
    when = _at(store, escalation_id, hours=hours)
    store.apply(escalation_id, now=when, changes=Changes(state=State.FIXED, fixed_at=when))


def _update(
    store: EscalationStore, escalation_id: str, *, to: str, minutes: float, rca: bool = False
) -> None:
    """A customer update the Sales Engineer sends at created_at + minutes, sent (done) at once."""
    when = _at(store, escalation_id, minutes=minutes)
    escalation = store.get(escalation_id)
    number = next_update_number(escalation)
    update = CustomerUpdate.checked(to=to, subject="Update", body="Where we are", includes_rca=rca)
    send_customer_update(store, escalation, update, number=number, by="priya", now=when)
    _done(store, escalation_id, EffectKind.EMAIL, f"customer-update:{number}", minutes=minutes)
