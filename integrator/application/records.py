"""The ports of the records kept beside the escalations: API tokens, browser sessions, accounts,
and the store's counts (health, metrics, Insights). Implemented in `integrator/store/`; store
methods raise `errors.StoreUnavailable` or `NotFound`, as in `ports`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from integrator.domain.accounts import Account
from integrator.domain.insights import InsightFacts, InsightsQuery
from integrator.domain.sessions import Session
from integrator.domain.tokens import Token


class TokenStore(Protocol):
    """Where API tokens are kept: by name and SHA-256 hash, never the token itself."""

    def add(self, name: str, digest: str, *, at: datetime) -> bool:
        """Keep a new live token; False (nothing kept) when a live token already has the name."""
        ...

    def find(self, digest: str) -> Token | None:
        """The live token with this hash, if any."""
        ...

    def live(self, token_id: int) -> Token | None:
        """The token with this id while it is not revoked."""
        ...

    def revoke(self, name: str, *, at: datetime) -> Token | None:
        """Revoke the live token named `name`; None when there is none."""
        ...

    def all(self) -> list[Token]:
        """Every token ever issued, oldest first, revoked ones included."""
        ...


class AccountStore(Protocol):
    """Accounts as their latest report left them; the escalation store remembers them on `add`."""

    def find(self, prefix: str, *, limit: int) -> list[Account]:
        """Accounts whose name starts with `prefix`, in any case, ordered by name; at most `limit`."""
        ...

    def get(self, name: str) -> Account:
        """The account of that name, in any case; `NotFound` names it when none was reported."""
        ...


class SessionStore(Protocol):
    """Where browser sessions are kept: by the SHA-256 of the cookie's secret, never the secret."""

    def add(self, token_id: int, digest: str, *, agent: str, at: datetime) -> Session:
        """Keep a new live session signed in with the token `token_id`."""
        ...

    def find(self, digest: str) -> Session | None:
        """The live session with this hash, if any."""
        ...

    def of_token(self, token_id: int) -> list[Session]:
        """The live sessions signed in with the token, oldest first."""
        ...

    def end(self, session_id: int, *, at: datetime) -> bool:
        """End the session; False when it was not live."""
        ...


@dataclass(frozen=True)
class StoreCounts:
    """What the store holds, counted: escalations by state, effects by (kind, state), the oldest due."""

    escalations: Mapping[str, int]
    effects: Mapping[tuple[str, str], int]
    oldest_due: datetime | None  # when the longest-waiting due effect became due; None when none is


class StatsReader(Protocol):
    """Read-only numbers about the store, for health checks, metrics and Insights."""

    def ping(self) -> None:
        """Return when the database answers; `errors.StoreUnavailable` when it does not."""
        ...

    def counts(self, *, now: datetime) -> StoreCounts:
        """The counts as of now (effects due at or before `now` are the ones waiting)."""
        ...

    def insights(self, query: InsightsQuery) -> InsightFacts:
        """What the Insights page shows of the period, counted and ranked by the store itself."""
        ...
