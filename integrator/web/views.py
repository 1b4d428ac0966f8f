"""What the escalation page shows: its effects as people read them, the customer update and the status link.

The form routes and the customer-update routes both render that page; both take its context from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrator.application.disclosure import Told, customer_told, disclosure, reminded_kind
from integrator.application.updates import next_update_number
from integrator.domain.deals import arr_at_risk
from integrator.domain.escalation import Effect, EffectState, Escalation, status_page_url
from integrator.domain.halt import halt_status
from integrator.messages.customer import customer_update_draft

REFRESH_SECONDS = 3
LABELS = {"page": "Page the owner", "ticket": "File the P1", "link": "Cross-link"}
LABELS |= {"halt": "Halt the test environment", "resume": "Resume the test environment"}
LABELS |= {"title": "Retitle the incident", "summary": "Rewrite the P1's summary"}


def escalation_page(
    escalation: Escalation,
    *,
    public_url: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    deal: int = 1,
) -> dict[str, Any]:
    """The context of `escalation.html`; with `values`, the update form as the Sales Engineer left it,
    else a draft to deal `deal`'s customer.

    The page refreshes itself while effects are pending, unless it holds the Sales Engineer's text.
    """
    pending = any(f.state == EffectState.PENDING for f in escalation.effects)
    return {
        "e": escalation,
        "disclosure": disclosure(escalation),
        "reminder": reminder(escalation),
        "effects": [effect_view(effect) for effect in escalation.effects],
        "refresh": REFRESH_SECONDS if pending and values is None else None,
        "halts": [(d, status) for d in escalation.deals if (status := halt_status(escalation, d.number))],
        "arr_at_risk": arr_at_risk(escalation.deals),
        **customer_sections(escalation, public_url=public_url, values=values, errors=errors, deal=deal),
    }


def reminder(escalation: Escalation) -> str | None:
    """The reminder to tell the customer, shown on the page while the Economic Buyer is not told."""
    kind = reminded_kind(escalation.seen_as)
    reminded = next((event for event in escalation.timeline if event.kind == kind), None)
    if reminded is None or customer_told(escalation).state in (Told.TOLD, Told.PLANNED):
        return None
    return f"{reminded.text}. Send the customer update below."


def effect_view(effect: Effect) -> dict[str, Any]:
    """One effect as the page shows it: delivered, planned (dry-run), pending, retrying or failed."""
    kind = effect.kind.value
    if effect.state == EffectState.DONE:
        status = "planned" if effect.result.get("dry_run") else "delivered"
    elif effect.state == EffectState.FAILED:
        status = "failed"
    else:
        status = "retrying" if effect.last_error else "pending"
    return {
        "kind": kind,
        "label": LABELS.get(kind, kind) + (f" ({effect.target})" if effect.target else ""),
        "status": status,
        "attempts": effect.attempts,
        "last_error": effect.last_error,
        "next_attempt_at": effect.next_attempt_at,
    }


def customer_sections(
    escalation: Escalation,
    *,
    public_url: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    deal: int = 1,
) -> dict[str, Any]:
    """What the escalation page needs for its "Customer update" and "Status page" sections: the
    update drafted to deal `deal`'s customer (deal 1's when it has no such deal)."""
    if values is None:
        deal = deal if escalation.deal(deal) is not None else 1
        draft = customer_update_draft(escalation.for_deal(deal))
        values = {
            "to": draft.to if draft else "",
            "subject": draft.subject if draft else "",
            "body": draft.body if draft else "",
            "includes_rca": "",
            "number": str(next_update_number(escalation)),
            "deal": str(deal),
        }
    return {
        "update": values,
        "update_errors": dict(errors or {}),
        "status_url": status_url(public_url, escalation),
        "status_pages": [(d, status_url(public_url, escalation, d.number)) for d in escalation.deals],
    }


def status_url(public_url: str, escalation: Escalation, deal: int = 1) -> str | None:
    """The link deal `deal`'s customer gets, while that deal's page is shared."""
    found = escalation.deal(deal)
    token = found.status_token if found else None
    return status_page_url(public_url, token) if token else None
