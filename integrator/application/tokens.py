"""API tokens: created with a name, shown once, kept only as a SHA-256 hash, revocable by name."""

from __future__ import annotations

import hashlib
import re
import secrets

from integrator.application.ports import Clock
from integrator.application.records import TokenStore
from integrator.domain.tokens import Token
from integrator.errors import IntegratorError, NotFound

PREFIX = "itk_"  # makes a leaked token easy to recognise (and to grep for)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._+-]{0,99}$")


class TokenNameRefused(IntegratorError):
    """The name cannot be given to a new token (malformed, or a live token has it)."""


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


class Tokens:
    """Issuing, checking and revoking tokens over a `TokenStore`."""

    def __init__(self, store: TokenStore, *, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def create(self, name: str) -> str:
        """A new token named `name`; the returned plaintext exists nowhere else."""
        if not _NAME.match(name):
            raise TokenNameRefused(
                f"token name {name!r}: use 1-100 letters, digits or @ . _ + -,"
                " starting with a letter or digit"
            )
        plaintext = PREFIX + secrets.token_urlsafe(32)
        if not self.store.add(name, digest(plaintext), at=self.clock.now()):
            raise TokenNameRefused(
                f"a live token is named {name!r}; revoke it first (`integrator token revoke {name}`)"
            )
        return plaintext

    def verify(self, plaintext: str) -> Token | None:
        """The live token whose plaintext this is, else None."""
        if not plaintext.startswith(PREFIX):
            return None
        return self.store.find(digest(plaintext))

    def live(self, token_id: int) -> Token | None:
        """The token with this id while it is not revoked (a session lives only as long as its token)."""
        return self.store.live(token_id)

    def revoke(self, name: str) -> Token:
        """Revoke the live token named `name`; its sessions end with it."""
        revoked = self.store.revoke(name, at=self.clock.now())
        if revoked is None:
            raise NotFound(f"no live token named {name!r}")
        return revoked

    def list(self) -> list[Token]:
        """Every token ever issued, oldest first, revoked ones included."""
        return self.store.all()
