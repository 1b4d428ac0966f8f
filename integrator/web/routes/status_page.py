"""The customer's status page, `/status/{token}`, and the Sales Engineer's share and revoke buttons.

The page is reached by an unguessable token alone (no sign-in), so it shows only what the
customer may see: what failed and the criterion it broke, where things stand, the customer-safe
timeline, and the RCA and fix promises. No ARR, no names or emails of our people, no stack trace,
no link into Jira or PagerDuty. A revoked or unknown token is a plain 404.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from integrator.application.services import Services
from integrator.application.updates import promises, revoke_status_page, share_status_page
from integrator.domain.escalation import Escalation, State, status_page_url
from integrator.messages import notify
from integrator.web.auth import Authenticator
from integrator.web.pages import Pages

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


def status_url(public_url: str, escalation: Escalation) -> str | None:
    """The link the customer gets, while the page is shared."""
    return status_page_url(public_url, escalation.status_token) if escalation.status_token else None


def router(services: Services, *, auth: Authenticator, pages: Pages) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def private(request: Request, name: str, context: dict[str, Any], status: int) -> Response:
        # Rendered without the CSRF cookie pages.render sets: a customer has no form to post.
        full = {"now": services.clock.now(), **context}
        response = pages.templates.TemplateResponse(request, name, full, status_code=status)
        response.headers.update(PRIVATE)
        return response

    @routes.get("/status/{token}")
    async def customer_status(request: Request, token: str) -> Response:
        escalation = await asyncio.to_thread(services.store.by_status_token, token)
        if escalation is None:
            return private(request, "status_gone.html", {}, 404)
        now = services.clock.now()
        context = {
            "e": escalation,
            "standing": STANDING[escalation.state],
            "timeline": notify.customer_timeline(escalation),
            "promises": promises(escalation, now=now),
        }
        return private(request, "status.html", context, 200)

    @routes.post("/escalations/{escalation_id}/status-page")
    async def share(request: Request, escalation_id: str) -> Response:
        return await _change(request, escalation_id, share=True)

    @routes.post("/escalations/{escalation_id}/status-page/revoke")
    async def revoke(request: Request, escalation_id: str) -> Response:
        return await _change(request, escalation_id, share=False)

    async def _change(request: Request, escalation_id: str, *, share: bool) -> Response:
        principal = await asyncio.to_thread(auth.web, request)
        form = await request.form(max_files=0, max_fields=10)
        csrf = form.get(auth.csrf.field)
        auth.csrf.check(request, csrf if isinstance(csrf, str) else None)
        escalation = await asyncio.to_thread(services.store.get, escalation_id)
        change = share_status_page if share else revoke_status_page
        await asyncio.to_thread(
            change, services.store, escalation, by=principal.name, now=services.clock.now()
        )
        return RedirectResponse(f"/escalations/{escalation_id}#status-page", status_code=303)

    return routes
