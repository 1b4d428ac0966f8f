"""The moments Insights counts, kept on each escalation's row as they happen (migration 0011).

Page sent, Economic Buyer told, Executive Sponsor told, environment halted: the first time the
effect that is the moment is recorded done. RCA delivered: the first customer update carrying it
stored on the timeline. Each statement runs in the transaction that records the outcome or event.
"""

from __future__ import annotations

from sqlalchemy import String, Update, and_, bindparam, case, func, literal_column, or_, update
from sqlalchemy.sql import ColumnElement

from integrator.domain.escalation import EffectKind
from integrator.domain.insights import CUSTOMER_UPDATE
from integrator.store.tables import UtcDateTime, effects, escalations

# Run with {"row_id", "at"} for each customer update carrying the RCA stored (`rows.insert_timeline`):
# the first is the escalation's `rca_delivered_at`.
MARK_RCA = (
    update(escalations)
    .where(escalations.c.id == bindparam("row_id"), escalations.c.rca_delivered_at.is_(None))
    .values(rca_delivered_at=bindparam("at"))
)


def _moments_of_effects() -> dict[str, ColumnElement[bool]]:
    """Which effect, once done, is which moment of its escalation (the row `MARK_DONE` updates)."""
    e, f = escalations.c, effects.c
    buyer = func.lower(e.report[("deal", "economic_buyer", "email")].as_string())
    email = f.kind == _written(EffectKind.EMAIL.value)
    return {
        "page_sent_at": and_(f.kind == _written(EffectKind.PAGE.value), f.target == _written("")),
        "buyer_told_at": and_(
            email,
            f.target.like(_written(f"{CUSTOMER_UPDATE}%")),
            func.lower(f.payload["to"].as_string()) == buyer,
        ),
        "sponsor_told_at": and_(email, f.payload["role"].as_string() == _written("executive_sponsor")),
        "halted_at": f.kind == _written(EffectKind.HALT.value),
    }


# The kinds of effect `_moments_of_effects` names: a done effect of any other kind is no moment.
KINDS = frozenset({EffectKind.PAGE, EffectKind.EMAIL, EffectKind.HALT})


def _written(constant: str) -> ColumnElement[str]:
    """A constant written into the statement rather than bound: `MARK_DONE` runs for every effect
    recorded done, and binding its constants anew each time cost more than the update itself."""
    assert "'" not in constant
    return literal_column(f"'{constant}'", String)


def _mark_done() -> Update:
    moments, now = _moments_of_effects(), bindparam("now", type_=UtcDateTime())
    e = escalations.c
    return (
        update(escalations)
        .where(
            effects.c.id == bindparam("effect_id"),
            e.id == effects.c.escalation_id,
            or_(*(and_(moment, e[name].is_(None)) for name, moment in moments.items())),
        )
        .values({name: func.coalesce(e[name], case((moment, now))) for name, moment in moments.items()})
    )


# Run with {"effect_id", "now"} for each effect recorded done (`Store.record`): sets the moment that
# effect is on its escalation's row, the first time only (a row no moment changes is not written).
MARK_DONE = _mark_done()
