"""`Services`: the use cases and ports the entrypoints work with, built once by bootstrap, closed once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from integrator.application.dispatch import Dispatcher
from integrator.application.escalate import Escalator
from integrator.application.ports import Clock, StatsReader
from integrator.application.sync import Syncer
from integrator.application.tokens import Tokens
from integrator.domain.ownership import Catalog, Registry
from integrator.settings import Settings

if TYPE_CHECKING:
    # The concrete store stands in for the port (`ports.EscalationStore`) until the application has it;
    # the web layer names it by this alias only.
    from integrator.store.escalations import Store as EscalationStore


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
    closers: Sequence[Callable[[], None]] = field(default=(), repr=False)

    def close(self) -> None:
        """Release connections and clients, last opened first; the services are unusable after."""
        for close in reversed(self.closers):
            close()
