"""One pass of the scheduled sync: drive due effects, then report what is still pending.

The status pull (Jira and PagerDuty news flowing to each other) and the SLA clocks join this
pass with the status-sync work; today a pass re-drives every due effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrator.bootstrap import Services


@dataclass(frozen=True)
class Pending:
    escalation_id: str
    kind: str
    next_attempt_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class PassSummary:
    driven: int
    pending: tuple[Pending, ...]

    def lines(self) -> list[str]:
        lines = [f"Drove {self.driven} escalation(s) with due effects."]
        for p in self.pending:
            when = (
                f"next attempt {p.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC" if p.next_attempt_at else "due now"
            )
            lines.append(f"  pending: {p.escalation_id} {p.kind}, {when}: {p.last_error or 'not tried yet'}")
        if not self.pending:
            lines.append("Nothing pending.")
        return lines


def run_pass(services: Services) -> PassSummary:
    driven = services.dispatcher.drive_due()
    pending = tuple(
        Pending(escalation_id, f.kind.value, f.next_attempt_at, f.last_error)
        for escalation_id, f in services.store.pending_effects()
    )
    return PassSummary(driven=driven, pending=pending)
