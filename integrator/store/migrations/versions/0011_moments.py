"""Insights moments: when each escalation's page was sent, its Economic Buyer and Executive Sponsor
told, its RCA delivered and the customer's environment halted, kept on its row (and filled in for the
escalations stored so far), in the indexes Insights reads."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from integrator.store.tables import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

MOMENTS = ("page_sent_at", "buyer_told_at", "sponsor_told_at", "rca_delivered_at", "halted_at")
DONE = "done"
COVERS = (
    "state",
    "currency",
    "arr_cents",
    "fix_due",
    "rca_due",
    "fixed_at",
    "acknowledged_at",
    *MOMENTS,
    "id",
)

_escalations = sa.table(
    "escalations",
    sa.column("id", sa.String),
    sa.column("report", sa.JSON),
    *(sa.column(name, UtcDateTime) for name in MOMENTS),
)
_effects = sa.table(
    "effects",
    sa.column("escalation_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("target", sa.String),
    sa.column("state", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("updated_at", UtcDateTime),
)
_events = sa.table(
    "events",
    sa.column("escalation_id", sa.String),
    sa.column("at", UtcDateTime),
    sa.column("kind", sa.String),
    sa.column("data", sa.JSON),
)


def upgrade() -> None:
    for name in MOMENTS:
        op.add_column("escalations", sa.Column(name, UtcDateTime))
    _backfill()
    # Insights finds the period's escalations (of one team) and reads all it counts in the index:
    # these replace the indexes on (created_at) and (team, created_at) they begin with.
    op.drop_index("ix_escalations_team_created_at", table_name="escalations")
    op.drop_index("ix_escalations_created_at", table_name="escalations")
    op.create_index("ix_escalations_insights", "escalations", ["created_at", "team", *COVERS])
    op.create_index("ix_escalations_team_insights", "escalations", ["team", "created_at", *COVERS])


def _backfill() -> None:
    """Each moment of the escalations stored so far, from their effects and timelines: one UPDATE a column.

    The same rules the store writes them by (store/moments.py): the first
    time the page effect was done, a customer update to the Economic Buyer's address was sent, an
    email to the Executive Sponsor was sent, an update carrying the RCA was sent, the halt was done.
    """
    e, f, v = _escalations.c, _effects.c, _events.c
    mine = (f.escalation_id == e.id, f.state == DONE)
    email = (*mine, f.kind == "email")
    buyer = sa.func.lower(e.report[("deal", "economic_buyer", "email")].as_string())
    found: dict[str, tuple[Any, tuple[Any, ...]]] = {
        "page_sent_at": (f.updated_at, (*mine, f.kind == "page", f.target == "")),
        "buyer_told_at": (
            f.updated_at,
            (*email, f.target.like("customer-update:%"), sa.func.lower(f.payload["to"].as_string()) == buyer),
        ),
        "sponsor_told_at": (f.updated_at, (*email, f.payload["role"].as_string() == "executive_sponsor")),
        "halted_at": (f.updated_at, (*mine, f.kind == "halt")),
        "rca_delivered_at": (
            v.at,
            (v.escalation_id == e.id, v.kind == "customer_update_sent", v.data["rca"].as_boolean()),
        ),
    }
    conn = op.get_bind()
    for name, (at, where) in found.items():
        first = sa.select(sa.func.min(at)).where(*where).scalar_subquery()
        conn.execute(sa.update(_escalations).where(sa.exists().where(*where)).values({name: first}))


def downgrade() -> None:
    op.drop_index("ix_escalations_team_insights", table_name="escalations")
    op.drop_index("ix_escalations_insights", table_name="escalations")
    op.create_index("ix_escalations_created_at", "escalations", ["created_at"])
    op.create_index("ix_escalations_team_created_at", "escalations", ["team", "created_at"])
    # ALTER TABLE ... DROP COLUMN on SQLite too (3.35+), once no index holds the column: copying the
    # table, as a batch does, would drop it under the effects and events that refer to it.
    for name in reversed(MOMENTS):
        op.drop_column("escalations", name)
