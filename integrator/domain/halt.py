"""Halting and resuming a customer's test environment: the catalog's hooks, the requests, the state (no I/O).

A halt (or resume) is an effect like the page: owed with its request decided once (the
`webhook-id` and body below), so every retry sends the same message, and signed at send time
by the adapter with the Standard Webhooks scheme.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from integrator.domain.escalation import EffectKind, EffectState

if TYPE_CHECKING:
    from integrator.domain.escalation import Effect, Escalation

VARIABLE_PREFIX = "env:"  # a catalog secret names an environment variable; it is never written in the file
HALTED = "halted"


@dataclass(frozen=True)
class Environment:
    """A customer's test environment the catalog names, and how to halt it (when it can be)."""

    name: str
    halt_url: str | None = None
    secret_variable: str | None = None  # the environment variable holding the `whsec_…` secret


@dataclass(frozen=True)
class HookCall:
    """One signed request to an environment's hook: where, with which secret, and what."""

    url: str
    secret_variable: str
    webhook_id: str  # the same on every retry of one action: the receiver's deduplication key
    body: dict[str, Any]

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> HookCall:
        return cls(
            url=str(payload["url"]),
            secret_variable=str(payload["secret_variable"]),
            webhook_id=str(payload["webhook_id"]),
            body=dict(payload["body"]),
        )

    def payload(self) -> dict[str, Any]:
        """What the effect stores: everything but the secret, which stays in the environment."""
        return {
            "url": self.url,
            "secret_variable": self.secret_variable,
            "webhook_id": self.webhook_id,
            "body": self.body,
        }


def hook_call(escalation: Escalation, environment: Environment, action: str, *, at: datetime) -> HookCall:
    """The request that halts (`action="halt"`) or resumes the escalation's environment, decided now."""
    # Both are there: checked when the report was accepted (or taken from the halt being resumed).
    assert environment.halt_url
    assert environment.secret_variable
    body = {
        "type": f"poc.environment.{action}",
        "action": action,
        "escalation_id": escalation.id,
        "account": escalation.report.deal.account,
        "environment": environment.name,
        "timestamp": at.isoformat(),
    }
    return HookCall(
        url=environment.halt_url,
        secret_variable=environment.secret_variable,
        webhook_id=f"msg_{secrets.token_hex(12)}",
        body=body,
    )


@dataclass(frozen=True)
class HaltStatus:
    """Where the environment's halt stands, as the page, the JSON and the customer draft show it.

    `state`: `pending` (owed, not yet confirmed; retried), `halted` (the hook confirmed),
    `planned` (dry-run: nothing sent), `failed` (gave up or refused); after a resume is asked:
    `resuming`, `resumed`, `resume_planned`, `resume_failed`. `at`: when the hook confirmed.
    """

    environment: str
    state: str
    at: datetime | None = None

    @property
    def resumable(self) -> bool:
        """A halt that went out (or was planned) and has not been resumed yet."""
        return self.state in (HALTED, "planned")


def hook_target(deal: int) -> str:
    """The effect target of one deal's halt and resume: "" for deal 1 (as before deals), `deal-N`."""
    return "" if deal == 1 else f"deal-{deal}"


def halt_status(escalation: Escalation, deal: int | None = None) -> HaltStatus | None:
    """The halt of one deal's environment (by default the deal the escalation is seen as, see
    `Escalation.for_deal`); None when that deal's report asked no halt."""
    number = escalation.seen_as if deal is None else deal
    target = hook_target(number)
    halt = escalation.effect(EffectKind.HALT, target)
    if halt is None:
        return None
    asked = escalation.deal(number)
    body = halt.payload.get("body") or {}
    environment = str(body.get("environment") or (asked.report.failure.environment if asked else ""))
    resume = escalation.effect(EffectKind.RESUME, target)
    if resume is not None:
        return HaltStatus(environment, *_state(resume, "resumed", prefix="resume_", pending="resuming"))
    return HaltStatus(environment, *_state(halt, HALTED, prefix="", pending="pending"))


def _state(effect: Effect, done: str, *, prefix: str, pending: str) -> tuple[str, datetime | None]:
    if effect.state == EffectState.PENDING:
        return pending, None
    if effect.state == EffectState.FAILED:
        return f"{prefix}failed", None
    if effect.result.get("dry_run"):
        return f"{prefix}planned", None
    at = effect.result.get("at")
    return done, datetime.fromisoformat(at) if isinstance(at, str) else None
