"""The database schema (SQLAlchemy Core); Alembic migrations in integrator/migrations follow it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from integrator.domain.accounts import ROLES


class UtcDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and gives them back aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json: Any = JSON()

# What Insights reads of each escalation of a period besides its time and team (store/insights.py):
# its two indexes hold these too, so it counts from the index alone, never reading the wide rows.
INSIGHTS_COVERS = (
    "state",
    "currency",
    "arr_cents",
    "fix_due",
    "rca_due",
    "fixed_at",
    "acknowledged_at",
    "page_sent_at",
    "buyer_told_at",
    "sponsor_told_at",
    "rca_delivered_at",
    "halted_at",
    "id",
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("idempotency_key", String(200), unique=True, nullable=True),
    Column("state", String(20), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("report", Json, nullable=False),
    Column("owner", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("fix_due", UtcDateTime, nullable=False),
    Column("rca_due", UtcDateTime, nullable=False),
    Column("pd_incident_id", String(64)),
    Column("pd_url", Text),
    Column("pd_assignee", String(64)),
    Column("pd_note", Text),
    Column("pd_state", String(32)),
    Column("jira_key", String(64)),
    Column("jira_url", Text),
    Column("jira_state", String(64)),
    Column("jira_status", String(100)),
    Column("acknowledged_at", UtcDateTime),
    Column("acknowledged_by", String(200)),
    Column("fixed_at", UtcDateTime),
    Column("status_token", String(64), unique=True),
    Column("fingerprint", String(16)),  # the failure's fingerprint id; NULL without a trace
    Column("fingerprint_parts", Json),  # {exception, frames, team}: what the id was taken from
    # Copies of report and owner fields, for Insights to filter and sum in the database (migration 0009).
    Column("team", String(200)),
    Column("account", String(200)),
    Column("arr_cents", BigInteger),
    Column("currency", String(3)),
    # When the moments Insights counts happened (migration 0011), each written once, by the outcome
    # or event that is the moment (see store/moments.py); NULL until then.
    Column("page_sent_at", UtcDateTime),  # the page effect (target "") done
    Column("buyer_told_at", UtcDateTime),  # the first customer update to the Economic Buyer's address sent
    Column("sponsor_told_at", UtcDateTime),  # the first email to the Executive Sponsor sent
    Column("rca_delivered_at", UtcDateTime),  # the first customer update carrying the RCA sent
    Column("halted_at", UtcDateTime),  # the customer's test environment halted (the halt effect done)
    Index("ix_escalations_state", "state"),
    Index("ix_escalations_fingerprint", "fingerprint"),
    # The period's escalations, of every team or of one, with what Insights reads (migration 0011).
    Index("ix_escalations_insights", "created_at", "team", *INSIGHTS_COVERS),
    Index("ix_escalations_team_insights", "team", "created_at", *INSIGHTS_COVERS),
)

effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", String(32), ForeignKey("escalations.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("target", String(320), nullable=False, default=""),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", UtcDateTime),
    Column("lease_until", UtcDateTime),
    Column("result", Json, nullable=False),
    Column("payload", Json, nullable=False, default=dict),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("escalation_id", "kind", "target", name="uq_effects_escalation_kind_target"),
    Index("ix_effects_due", "state", "next_attempt_at"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", String(32), ForeignKey("escalations.id"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("data", Json, nullable=False),
    Index("ix_events_escalation", "escalation_id", "id"),
)

# Webhook deliveries already applied (PagerDuty's X-Webhook-Id, Jira's delivery id), for dedupe.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(250), primary_key=True),  # "<source>:<delivery id>"
    Column("received_at", UtcDateTime, nullable=False, index=True),  # pruned by age
)

# Named leases (the status-sync pass): one holder at a time, until the lease runs out.
leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("until", UtcDateTime, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),  # SHA-256 of the token; never the token
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)
# One live token per name; a revoked name can be issued again.
Index(
    "uq_tokens_live_name",
    tokens.c.name,
    unique=True,
    sqlite_where=tokens.c.revoked_at.is_(None),
    postgresql_where=tokens.c.revoked_at.is_(None),
)

# Browser sessions: the SHA-256 of the secret in the signed cookie, never the secret.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_id", Integer, ForeignKey("tokens.id"), nullable=False, index=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("agent", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
)

# Accounts as their latest report left them (domain/accounts.py), offered back on the next report.
# `name_key` (the name case-folded) tells accounts apart and serves prefix search as a range
# (`>= prefix`, `< prefix's successor`): byte order on PostgreSQL (collation "C"), as on SQLite.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name_key", String(200).with_variant(String(200, collation="C"), "postgresql"), nullable=False),
    Column("name", Text, nullable=False),
    Column("arr", String(32), nullable=False),  # the Decimal as text: exact on SQLite too
    Column("currency", String(3), nullable=False),
    Column("poc_ends_on", Date),
    *(Column(f"{role}_{part}", Text) for role in ROLES for part in ("name", "email")),
    Column("escalation_id", String(32), ForeignKey("escalations.id"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("name_key", name="uq_accounts_name_key"),
)

# The deals of an escalation (domain/deals.py): deal 1 is the first report, the next ones are later
# reports of the same failure linked to it. A linked deal's idempotency key finds it again.
deals = Table(
    "deals",
    metadata,
    Column("escalation_id", String(32), ForeignKey("escalations.id"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("report", Json, nullable=False),
    Column("account", Text, nullable=False),
    Column("arr", String(32), nullable=False),  # the Decimal as text: exact on SQLite too
    Column("currency", String(3), nullable=False),
    Column("reporter", String(320), nullable=False),
    Column("idempotency_key", String(200), unique=True, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status_token", String(64), unique=True),  # a linked deal's status page (migration 0012)
)
