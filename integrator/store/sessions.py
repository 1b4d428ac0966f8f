"""The sessions table: browser sessions by the hash of their cookie's secret (`records.SessionStore`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, Row, insert, select, update

from integrator.domain.sessions import Session
from integrator.store.errors import translated
from integrator.store.tables import sessions


class SqlSessionStore:
    """Every method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, token_id: int, digest: str, *, agent: str, at: datetime) -> Session:
        row = {"token_id": token_id, "hash": digest, "agent": agent[:200], "created_at": at}
        with translated(), self.engine.begin() as conn:
            added = conn.execute(insert(sessions).values(row).returning(*sessions.c)).one()
        return _session(added)

    def find(self, digest: str) -> Session | None:
        query = select(sessions).where(sessions.c.hash == digest, sessions.c.ended_at.is_(None))
        with translated(), self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _session(row) if row else None

    def of_token(self, token_id: int) -> list[Session]:
        query = (
            select(sessions)
            .where(sessions.c.token_id == token_id, sessions.c.ended_at.is_(None))
            .order_by(sessions.c.id)
        )
        with translated(), self.engine.connect() as conn:
            return [_session(r) for r in conn.execute(query)]

    def end(self, session_id: int, *, at: datetime) -> bool:
        change = (
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
            .values(ended_at=at)
        )
        with translated(), self.engine.begin() as conn:
            return conn.execute(change).rowcount == 1


def _session(row: Row[object]) -> Session:
    return Session(
        id=row.id, token_id=row.token_id, agent=row.agent, created_at=row.created_at, ended_at=row.ended_at
    )
