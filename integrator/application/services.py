"""`Services`: the use cases and ports the entrypoints work with, built once by bootstrap, closed once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from integrator.application.dispatch import Dispatcher
from integrator.application.doctor import Checkup
from integrator.application.escalate import Escalator
from integrator.application.ports import Clock, EscalationStore
from integrator.application.records import AccountStore, StatsReader
from integrator.application.sessions import Sessions
from integrator.application.sync import Syncer
from integrator.application.tokens import Tokens
from integrator.domain.ownership import Catalog, Registry
from integrator.settings import Settings

__all__ = ["EscalationStore", "Services"]


@dataclass
class Services:
    """Everything a command or the web app may use; `close()` releases what bootstrap opened."""

    settings: Settings
    store: EscalationStore
    registry: Registry
    catalog: Catalog
    dispatcher: Dispatcher
    escalator: Escalator
    clock: Clock
    syncer: Syncer
    tokens: Tokens
    stats: StatsReader
    sessions: Sessions
    closers: Sequence[Callable[[], None]] = field(default=(), repr=False)
    doctor: Callable[[], Checkup] | None = field(default=None, repr=False)  # `integrator doctor`'s checks
    accounts: AccountStore = field(kw_only=True, repr=False)  # remembered from each account's latest report

    def close(self) -> None:
        """Release connections and clients, last opened first; the services are unusable after."""
        for close in reversed(self.closers):
            close()
