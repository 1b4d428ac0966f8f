"""Browser sessions: begun with a token; ended by signing out, from another session, or by revocation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from integrator.application.ports import Clock
from integrator.application.records import SessionStore
from integrator.application.tokens import Tokens
from integrator.domain.sessions import Session
from integrator.domain.tokens import Token

LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class Signed:
    """Who a live session belongs to: the session and the token it signed in with."""

    session: Session
    token: Token


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Sessions:
    """Sessions over a `SessionStore`; the secret handed out is kept only as its hash."""

    def __init__(self, store: SessionStore, *, tokens: Tokens, clock: Clock) -> None:
        self.store = store
        self.tokens = tokens
        self.clock = clock

    def begin(self, plaintext: str, *, agent: str) -> str | None:
        """A new session's secret for a live token's plaintext, else None (nothing kept)."""
        token = self.tokens.verify(plaintext.strip())
        if token is None:
            return None
        secret = secrets.token_urlsafe(32)
        self.store.add(token.id, _digest(secret), agent=agent[:200], at=self.clock.now())
        return secret

    def resume(self, secret: str) -> Signed | None:
        """The live session with this secret while its token lives and it is under 7 days old."""
        session = self.store.find(_digest(secret))
        if session is None or self.clock.now() - session.created_at > LIFETIME:
            return None
        token = self.tokens.live(session.token_id)
        return Signed(session, token) if token else None

    def others(self, signed: Signed) -> list[Session]:
        """The live sessions signed in with the same token, this one included, oldest first."""
        return self.store.of_token(signed.token.id)

    def end(self, signed: Signed, session_id: int) -> bool:
        """End one of the sessions of `signed`'s token (its own included); False when none such lives."""
        if session_id not in {s.id for s in self.others(signed)}:
            return False
        return self.store.end(session_id, at=self.clock.now())
