"""Tokens, sign-in sessions and remembered accounts in memory, behind the same ports as their tables."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime

from integrator.domain.accounts import Account, account_key, remembered
from integrator.domain.report import Deal
from integrator.domain.sessions import Session
from integrator.domain.tokens import Token
from integrator.errors import NotFound


@dataclass
class MemoryAccountStore:
    """Remembered accounts in memory, behind the same port as the accounts table."""

    _accounts: dict[str, Account] = field(default_factory=dict)  # by account_key
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, deal: Deal, *, escalation_id: str, at: datetime) -> None:
        """Called by `MemoryStore.add` under its lock, as the SQL store does in its transaction."""
        key = account_key(deal.account)
        with self._lock:
            after = remembered(deal, before=self._accounts.get(key), escalation_id=escalation_id, at=at)
            if after is not None:
                self._accounts[key] = after

    def find(self, prefix: str, *, limit: int) -> list[Account]:
        start = account_key(prefix)
        with self._lock:
            return [self._accounts[key] for key in sorted(self._accounts) if key.startswith(start)][:limit]

    def get(self, name: str) -> Account:
        found = self._accounts.get(account_key(name))
        if found is None:
            raise NotFound(f"no account named {name!r} has been reported")
        return found


@dataclass
class MemoryTokenStore:
    """API tokens in memory, behind the same port as the tokens table."""

    _tokens: list[tuple[Token, str]] = field(default_factory=list)  # (token, its hash)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, digest: str, *, at: datetime) -> bool:
        with self._lock:
            if any(t.name == name and t.live for t, _ in self._tokens):
                return False
            token = Token(id=len(self._tokens) + 1, name=name, created_at=at, revoked_at=None)
            self._tokens.append((token, digest))
            return True

    def find(self, digest: str) -> Token | None:
        return next((t for t, d in self._tokens if d == digest and t.live), None)

    def live(self, token_id: int) -> Token | None:
        return next((t for t, _ in self._tokens if t.id == token_id and t.live), None)

    def revoke(self, name: str, *, at: datetime) -> Token | None:
        with self._lock:
            for i, (t, d) in enumerate(self._tokens):
                if t.name == name and t.live:
                    self._tokens[i] = (replace(t, revoked_at=at), d)
                    return self._tokens[i][0]
            return None

    def all(self) -> list[Token]:
        return [t for t, _ in self._tokens]


@dataclass
class MemorySessionStore:
    """Browser sessions in memory, behind the same port as the sessions table."""

    _sessions: list[tuple[Session, str]] = field(default_factory=list)  # (session, its hash)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, token_id: int, digest: str, *, agent: str, at: datetime) -> Session:
        with self._lock:
            session = Session(len(self._sessions) + 1, token_id, agent, created_at=at, ended_at=None)
            self._sessions.append((session, digest))
            return session

    def find(self, digest: str) -> Session | None:
        return next((s for s, d in self._sessions if d == digest and s.live), None)

    def of_token(self, token_id: int) -> list[Session]:
        return [s for s, _ in self._sessions if s.token_id == token_id and s.live]

    def end(self, session_id: int, *, at: datetime) -> bool:
        with self._lock:
            for i, (s, d) in enumerate(self._sessions):
                if s.id == session_id and s.live:
                    self._sessions[i] = (replace(s, ended_at=at), d)
                    return True
            return False
