"""The escalation page's "Resume the test environment" button, and the resume both it and the API run.

The resume is owed (see `application.halting`), then sent for as long as a submission waits for
its page; whatever is left runs in the background and in sync.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from integrator.application.halting import owe_resume
from integrator.application.ports import Clock
from integrator.application.submit import Submitter
from integrator.domain.escalation import EffectKind, Escalation
from integrator.errors import InvalidInput
from integrator.web.auth import Authenticator
from integrator.web.security import form_text

if TYPE_CHECKING:
    from integrator.application.services import EscalationStore


def resume(
    submitter: Submitter, clock: Clock, escalation_id: str, *, by: str, deal: int | None = None
) -> Escalation:
    """Owe the resume of deal `deal`'s environment, or of every halted deal's (a `Conflict` when it
    cannot be), send it for a bounded time; the escalation after."""
    store = submitter.store
    if owe_resume(store, store.get(escalation_id), by=by, now=clock.now(), deal=deal):
        return submitter.drive_briefly(escalation_id, kinds={EffectKind.RESUME})
    return store.get(escalation_id)


def router(*, store: EscalationStore, clock: Clock, auth: Authenticator, submitter: Submitter) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.post("/escalations/{escalation_id}/resume")
    async def resume_button(request: Request, escalation_id: str) -> Response:
        principal = await asyncio.to_thread(auth.web, request)
        form = await request.form(max_files=0, max_fields=10)
        auth.csrf.check_form(request, form)
        deal = deal_number(form_text(form, "deal"))
        await asyncio.to_thread(resume, submitter, clock, escalation_id, by=principal.name, deal=deal)
        return RedirectResponse(f"/escalations/{escalation_id}#halt", status_code=303)

    return routes


def deal_number(value: str | None) -> int | None:
    """The deal a resume is for: None (every halted deal) when not given, else a number ≥ 1."""
    if value is None or not value.strip() or value.strip().lower() == "all":
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise InvalidInput({"deal": "must be a deal number (1, 2, …) or all"})
    return int(value)
