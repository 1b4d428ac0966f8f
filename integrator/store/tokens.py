"""The tokens table: API tokens by name and hash, behind `records.TokenStore`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, Select, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from integrator.domain.tokens import Token
from integrator.store.errors import translated
from integrator.store.tables import tokens

# Every API request looks its token up: built once.
_BY_HASH = select(tokens).where(tokens.c.hash == bindparam("digest"), tokens.c.revoked_at.is_(None))


class SqlTokenStore:
    """Every method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, name: str, digest: str, *, at: datetime) -> bool:
        row = {"name": name, "hash": digest, "created_at": at}
        with translated():
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(tokens).values(row))
            except IntegrityError:  # the unique index on live names
                return False
        return True

    def find(self, digest: str) -> Token | None:
        with translated(), self.engine.connect() as conn:
            row = conn.execute(_BY_HASH, {"digest": digest}).first()
        return _token(row) if row else None

    def live(self, token_id: int) -> Token | None:
        query = select(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
        return self._first(query)

    def revoke(self, name: str, *, at: datetime) -> Token | None:
        change = (
            update(tokens)
            .where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(*tokens.c)
        )
        with translated(), self.engine.begin() as conn:
            row = conn.execute(change).first()
        return _token(row) if row else None

    def all(self) -> list[Token]:
        with translated(), self.engine.connect() as conn:
            return [_token(r) for r in conn.execute(select(tokens).order_by(tokens.c.id))]

    def _first(self, query: Select[Any]) -> Token | None:
        with translated(), self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _token(row) if row else None


def _token(row: Row[object]) -> Token:
    return Token(id=row.id, name=row.name, created_at=row.created_at, revoked_at=row.revoked_at)
