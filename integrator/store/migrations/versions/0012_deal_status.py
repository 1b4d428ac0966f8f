"""Each linked deal's own customer status page: a nullable, unique token on its row in `deals`
(deal 1's stays the escalation's `status_token`)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("status_token", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_deals_status_token", ["status_token"])


def downgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.drop_constraint("uq_deals_status_token", type_="unique")
        batch.drop_column("status_token")
