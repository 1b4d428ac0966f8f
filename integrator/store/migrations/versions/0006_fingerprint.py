"""The failure fingerprint of each escalation: its id (indexed, to find open escalations of one
failure) and the parts it was taken from (to show what matched)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no constraint) works on SQLite too, without copying the table.
    op.add_column("escalations", sa.Column("fingerprint", sa.String(16)))
    op.add_column("escalations", sa.Column("fingerprint_parts", sa.JSON()))
    op.create_index("ix_escalations_fingerprint", "escalations", ["fingerprint"])


def downgrade() -> None:
    op.drop_index("ix_escalations_fingerprint", table_name="escalations")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("fingerprint_parts")
        batch.drop_column("fingerprint")
