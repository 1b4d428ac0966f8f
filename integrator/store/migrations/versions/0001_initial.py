"""Escalations, their effects and their timeline."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from integrator.store.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("owner", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("fix_due", UtcDateTime, nullable=False),
        sa.Column("rca_due", UtcDateTime, nullable=False),
        sa.Column("pd_incident_id", sa.String(64)),
        sa.Column("pd_url", sa.Text),
        sa.Column("pd_assignee", sa.String(64)),
        sa.Column("pd_note", sa.Text),
        sa.Column("pd_state", sa.String(32)),
        sa.Column("jira_key", sa.String(64)),
        sa.Column("jira_url", sa.Text),
        sa.Column("jira_state", sa.String(64)),
        sa.UniqueConstraint("idempotency_key", name="uq_escalations_idempotency_key"),
    )
    op.create_index("ix_escalations_state", "escalations", ["state"])
    op.create_table(
        "effects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "escalation_id",
            sa.String(32),
            sa.ForeignKey("escalations.id", name="fk_effects_escalation_id_escalations"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(320), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", UtcDateTime),
        sa.Column("lease_until", UtcDateTime),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("escalation_id", "kind", "target", name="uq_effects_escalation_kind_target"),
    )
    op.create_index("ix_effects_due", "effects", ["state", "next_attempt_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "escalation_id",
            sa.String(32),
            sa.ForeignKey("escalations.id", name="fk_events_escalation_id_escalations"),
            nullable=False,
        ),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_escalation", "events", ["escalation_id", "id"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("effects")
    op.drop_table("escalations")
