"""API tokens: a name and the SHA-256 of the token, never the token itself."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from integrator.store.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime),
        sa.UniqueConstraint("hash", name="uq_tokens_hash"),
    )
    op.create_index(
        "uq_tokens_live_name",
        "tokens",
        ["name"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_tokens_live_name", table_name="tokens")
    op.drop_table("tokens")
