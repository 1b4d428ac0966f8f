"""Insights: team, account, ARR (cents) and currency copied out of the JSON, and the indexes it filters by."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from integrator.store.rows import insight_columns

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1000

_escalations = sa.table(
    "escalations",
    sa.column("id", sa.String),
    sa.column("report", sa.JSON),
    sa.column("owner", sa.JSON),
    sa.column("team", sa.String),
    sa.column("account", sa.String),
    sa.column("arr_cents", sa.BigInteger),
    sa.column("currency", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("team", sa.String(200)))
        batch.add_column(sa.Column("account", sa.String(200)))
        batch.add_column(sa.Column("arr_cents", sa.BigInteger))
        batch.add_column(sa.Column("currency", sa.String(3)))
    _backfill()
    op.create_index("ix_escalations_created_at", "escalations", ["created_at"])
    op.create_index("ix_escalations_team_created_at", "escalations", ["team", "created_at"])


def _backfill() -> None:
    """Fill the new columns of the escalations stored so far, a batch at a time, as `Store.add` does."""
    conn = op.get_bind()
    e = _escalations
    update = (
        sa.update(e)
        .where(e.c.id == sa.bindparam("row_id"))
        .values(
            team=sa.bindparam("team"),
            account=sa.bindparam("account"),
            arr_cents=sa.bindparam("arr_cents"),
            currency=sa.bindparam("currency"),
        )
    )
    after = ""
    while True:
        rows = conn.execute(
            sa.select(e.c.id, e.c.report, e.c.owner).where(e.c.id > after).order_by(e.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(update, [{"row_id": r.id, **insight_columns(r.report, r.owner)} for r in rows])
        after = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_escalations_team_created_at", table_name="escalations")
    op.drop_index("ix_escalations_created_at", table_name="escalations")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("currency")
        batch.drop_column("arr_cents")
        batch.drop_column("account")
        batch.drop_column("team")
