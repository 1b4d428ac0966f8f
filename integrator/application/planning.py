"""What a dry run would have sent: the stand-ins record it here, the dispatcher puts it on the record.

Dry-run is decided once, in bootstrap, by handing every outbound port a stand-in that sends
nothing. A stand-in reports what it would have sent with `record`; the dispatcher runs each
effect inside `recording()` and, when anything was recorded, stores the effect as done with a
"planned" result instead of what the handler would have claimed. Handlers never ask whether
they run dry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

_journal: ContextVar[list[Planned] | None] = ContextVar("integrator_planned", default=None)


@dataclass(frozen=True)
class Planned:
    """One thing a stand-in did not send: in words ("would page alice@…") and as it would have gone."""

    text: str
    would_send: Any


def record(text: str, would_send: Any) -> None:
    """Note what was not sent; outside `recording()` (a preview, a test) it is simply dropped."""
    journal = _journal.get()
    if journal is not None:
        journal.append(Planned(text, would_send))


@contextmanager
def recording() -> Iterator[list[Planned]]:
    """Collect what the stand-ins record while the block runs (this thread, this task only)."""
    token = _journal.set([])
    try:
        journal = _journal.get()
        assert journal is not None
        yield journal
    finally:
        _journal.reset(token)
