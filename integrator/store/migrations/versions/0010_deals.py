"""The deals of each escalation: the first report is deal 1, a later report of the same failure
(same fingerprint, not yet fixed) is the next one."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from integrator.store.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deals",
        sa.Column("escalation_id", sa.String(32), sa.ForeignKey("escalations.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("arr", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reporter", sa.String(320), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("escalation_id", "number", name="pk_deals"),
        sa.UniqueConstraint("idempotency_key", name="uq_deals_idempotency_key"),
    )


def downgrade() -> None:
    op.drop_table("deals")
