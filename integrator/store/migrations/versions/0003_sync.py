"""Status sync: effect payloads, known Jira/PagerDuty state, status-page tokens, deliveries, leases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from integrator.store.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("effects") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("jira_status", sa.String(100)))
        batch.add_column(sa.Column("acknowledged_at", UtcDateTime))
        batch.add_column(sa.Column("acknowledged_by", sa.String(200)))
        batch.add_column(sa.Column("fixed_at", UtcDateTime))
        batch.add_column(sa.Column("status_token", sa.String(64)))
        batch.create_unique_constraint("uq_escalations_status_token", ["status_token"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(250), primary_key=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("until", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("deliveries")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_constraint("uq_escalations_status_token", type_="unique")
        for column in ("status_token", "fixed_at", "acknowledged_by", "acknowledged_at", "jira_status"):
            batch.drop_column(column)
    with op.batch_alter_table("effects") as batch:
        batch.drop_column("payload")
