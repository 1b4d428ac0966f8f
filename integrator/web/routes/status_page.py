"""The customer's status page, `/status/{token}`, and the Sales Engineer's share and revoke buttons.

Each deal of an escalation has its own page and token (its customer never sees another deal's
account, ARR, people or updates). The page is reached by an unguessable token alone (no sign-in),
so it shows only what the customer may see: what failed and the criterion it broke, where things
stand, the customer-safe timeline, and the RCA and fix promises. No ARR, no names or emails of our
people, no stack trace, no link into Jira or PagerDuty. A revoked or unknown token is a plain 404.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from integrator.application.ports import Clock
from integrator.application.updates import revoke_status_page, share_status_page
from integrator.domain.clocks import promises
from integrator.domain.escalation import State
from integrator.errors import InvalidInput
from integrator.messages.customer import customer_timeline
from integrator.web.auth import Authenticator
from integrator.web.pages import Pages

if TYPE_CHECKING:
    from integrator.application.services import EscalationStore

PRIVATE = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",  # the token is in the URL: never hand it to another site
    "x-robots-tag": "noindex, nofollow",
}
STANDING = {
    State.PENDING: "Reported: we are reaching the engineering team that owns this",
    State.PAGED: "The owning engineering team has been alerted",
    State.ACKNOWLEDGED: "The owning engineering lead is on it",
    State.FIXED: "Fixed",
    State.CLOSED: "Closed",
}


def router(*, store: EscalationStore, clock: Clock, auth: Authenticator, pages: Pages) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    _customer_status(routes, store, clock, pages)
    _share_and_revoke(routes, store, clock, auth)
    return routes


def _customer_status(routes: APIRouter, store: EscalationStore, clock: Clock, pages: Pages) -> None:
    def private(request: Request, name: str, context: dict[str, Any], status: int) -> Response:
        # Rendered without the CSRF cookie pages.render sets: a customer has no form to post.
        full = {"now": clock.now(), **context}
        response = pages.templates.TemplateResponse(request, name, full, status_code=status)
        response.headers.update(PRIVATE)
        return response

    @routes.get("/status/{token}")
    async def customer_status(request: Request, token: str) -> Response:
        escalation = await asyncio.to_thread(store.by_status_token, token)
        if escalation is None:
            return private(request, "status_gone.html", {}, 404)
        context = {
            "e": escalation,
            "standing": STANDING[escalation.state],
            "timeline": customer_timeline(escalation),
            "promises": promises(escalation, now=clock.now()),
        }
        return private(request, "status.html", context, 200)


def _deal_number(value: object) -> int:
    """The deal a share or revoke button is for (deal 1 when the form names none)."""
    if value is None or value == "":
        return 1
    if not isinstance(value, str) or not value.strip().isdigit() or int(value) < 1:
        raise InvalidInput({"deal": "must be a deal number (1, 2, …)"})
    return int(value)


def _share_and_revoke(routes: APIRouter, store: EscalationStore, clock: Clock, auth: Authenticator) -> None:
    async def change(request: Request, escalation_id: str, *, share: bool) -> Response:
        principal = await asyncio.to_thread(auth.web, request)
        form = await request.form(max_files=0, max_fields=10)
        auth.csrf.check_form(request, form)
        deal = _deal_number(form.get("deal"))
        escalation = await asyncio.to_thread(store.get, escalation_id)
        action = share_status_page if share else revoke_status_page
        await asyncio.to_thread(action, store, escalation, by=principal.name, now=clock.now(), deal=deal)
        shown = f"?deal={deal}" if deal > 1 else ""
        return RedirectResponse(f"/escalations/{escalation_id}{shown}#status-page", status_code=303)

    @routes.post("/escalations/{escalation_id}/status-page")
    async def share(request: Request, escalation_id: str) -> Response:
        return await change(request, escalation_id, share=True)

    @routes.post("/escalations/{escalation_id}/status-page/revoke")
    async def revoke(request: Request, escalation_id: str) -> Response:
        return await change(request, escalation_id, share=False)
