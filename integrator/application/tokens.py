"""API tokens: created with a name, shown once, stored only as a SHA-256 hash, revocable by name."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from integrator.application.ports import Clock
from integrator.errors import IntegratorError, NotFound
from integrator.store.tables import tokens

PREFIX = "itk_"  # makes a leaked token easy to recognise (and to grep for)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._+-]{0,99}$")


class TokenNameRefused(IntegratorError):
    """The name cannot be given to a new token (malformed, or a live token has it)."""


@dataclass(frozen=True)
class Token:
    """What is known about a token; the token itself is not kept."""

    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


class Tokens:
    """The tokens table; every method is one transaction."""

    def __init__(self, engine: Engine, *, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def create(self, name: str) -> str:
        """A new token named `name`; the returned plaintext exists nowhere else."""
        if not _NAME.match(name):
            raise TokenNameRefused(
                f"token name {name!r}: use 1-100 letters, digits or @ . _ + -,"
                " starting with a letter or digit"
            )
        plaintext = PREFIX + secrets.token_urlsafe(32)
        row = {"name": name, "hash": digest(plaintext), "created_at": self.clock.now()}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(tokens).values(row))
        except IntegrityError as exc:
            raise TokenNameRefused(
                f"a live token is named {name!r}; revoke it first (`integrator token revoke {name}`)"
            ) from exc
        return plaintext

    def verify(self, plaintext: str) -> Token | None:
        """The live token whose plaintext this is, else None."""
        if not plaintext.startswith(PREFIX):
            return None
        query = select(tokens).where(tokens.c.hash == digest(plaintext), tokens.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _token(row) if row else None

    def live(self, token_id: int) -> Token | None:
        """The token with this id while it is not revoked (a session lives only as long as its token)."""
        query = select(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _token(row) if row else None

    def revoke(self, name: str) -> Token:
        """Revoke the live token named `name`; its sessions end with it."""
        now = self.clock.now()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(tokens)
                .where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
                .returning(*tokens.c)
            ).first()
        if done is None:
            raise NotFound(f"no live token named {name!r}")
        return _token(done)

    def list(self) -> list[Token]:
        """Every token ever issued, oldest first, revoked ones included."""
        with self.engine.connect() as conn:
            return [_token(r) for r in conn.execute(select(tokens).order_by(tokens.c.id))]


def _token(row: Row[object]) -> Token:
    return Token(id=row.id, name=row.name, created_at=row.created_at, revoked_at=row.revoked_at)
