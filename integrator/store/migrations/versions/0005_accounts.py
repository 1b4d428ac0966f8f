"""Accounts remembered from their latest report: contacts, ARR, currency, POC end date."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from integrator.store.tables import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROLES = ("economic_buyer", "executive_sponsor", "account_executive")


def upgrade() -> None:
    # The unique constraint's index serves prefix search as a range; "C" makes it byte order on PostgreSQL.
    key = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name_key", key, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("arr", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("poc_ends_on", sa.Date),
        *(sa.Column(f"{role}_{part}", sa.Text) for role in ROLES for part in ("name", "email")),
        sa.Column("escalation_id", sa.String(32), sa.ForeignKey("escalations.id"), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("name_key", name="uq_accounts_name_key"),
    )


def downgrade() -> None:
    op.drop_table("accounts")
