"""Unlinking a deal: the escalation page's button and the API both run `unlink` here.

The deal becomes an escalation of its own (stored with its page and P1 owed in one commit); its
effects are then driven on the background lane for as long as a submission waits for its page,
and whatever is left runs in sync.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from integrator.application.submit import Submitter
from integrator.domain.escalation import EffectKind, Escalation
from integrator.web.auth import Authenticator

RETITLE = frozenset({EffectKind.TITLE, EffectKind.SUMMARY})


def unlink(submitter: Submitter, escalation_id: str, number: int, *, by: str) -> Escalation:
    """Make deal `number` its own escalation and send its page for a bounded time; the new escalation."""
    new = submitter.escalator.unlink(escalation_id, number, by=by)
    # The escalation it left: its title and summary lose the deal's ARR (in the background).
    submitter.start(escalation_id, kinds=RETITLE)
    return submitter.drive_briefly(new.id, page_lane=True)


def router(*, auth: Authenticator, submitter: Submitter) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.post("/escalations/{escalation_id}/deals/{number}/unlink")
    async def unlink_button(request: Request, escalation_id: str, number: int) -> Response:
        principal = await asyncio.to_thread(auth.web, request)
        form = await request.form(max_files=0, max_fields=10)
        auth.csrf.check_form(request, form)
        new = await asyncio.to_thread(unlink, submitter, escalation_id, number, by=principal.name)
        return RedirectResponse(f"/escalations/{new.id}", status_code=303)

    return routes
