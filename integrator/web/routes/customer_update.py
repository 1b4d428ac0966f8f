"""The customer update on the escalation page: a draft the Sales Engineer edits and sends, never sent alone.

`POST /escalations/{id}/customer-update` owes the email (see `integrator.updates`), puts it on the
timeline, and waits a bounded time for it to go; whatever is left runs in the background and sync.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from integrator.application.services import Services
from integrator.application.submit import Submitter
from integrator.application.updates import CustomerUpdate, next_update_number, send_customer_update
from integrator.domain.escalation import EffectKind, Escalation
from integrator.errors import InvalidReport
from integrator.messages import notify
from integrator.web.auth import Authenticator
from integrator.web.metrics import Metrics
from integrator.web.pages import Pages
from integrator.web.routes.status_page import status_url

log = logging.getLogger(__name__)


def customer_sections(
    escalation: Escalation,
    *,
    public_url: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What the escalation page needs for its "Customer update" and "Status page" sections."""
    if values is None:
        draft = notify.customer_update_draft(escalation)
        values = {
            "to": draft.to if draft else "",
            "subject": draft.subject if draft else "",
            "body": draft.body if draft else "",
            "includes_rca": "",
            "number": str(next_update_number(escalation)),
        }
    return {
        "update": values,
        "update_errors": dict(errors or {}),
        "status_url": status_url(public_url, escalation),
    }


def router(
    services: Services, *, auth: Authenticator, pages: Pages, submitter: Submitter, metrics: Metrics
) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.post("/escalations/{escalation_id}/customer-update")
    async def send(request: Request, escalation_id: str) -> Response:
        principal = await asyncio.to_thread(auth.web, request)
        form = await request.form(max_files=0, max_fields=20)
        auth.csrf.check(request, _text(form.get(auth.csrf.field)))
        values = {
            name: _text(form.get(name)) or "" for name in ("to", "subject", "body", "includes_rca", "number")
        }
        escalation = await asyncio.to_thread(services.store.get, escalation_id)
        try:
            update = CustomerUpdate.checked(
                to=values["to"],
                subject=values["subject"],
                body=values["body"],
                includes_rca=bool(values["includes_rca"]),
            )
            number = _number(values["number"])
            sent = await asyncio.to_thread(
                send_customer_update,
                services.store,
                escalation,
                update,
                number=number,
                by=principal.name,
                now=services.clock.now(),
            )
        except InvalidReport as exc:  # the page again, with the text kept and each message at its field
            return _again(request, escalation, values, exc.fields, user=principal.name)
        if sent:
            await asyncio.to_thread(_deliver, escalation_id)
        return RedirectResponse(f"/escalations/{escalation_id}#timeline", status_code=303)

    def _again(
        request: Request,
        escalation: Escalation,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        *,
        user: str,
    ) -> Response:
        from integrator.web.routes.form import effect_view

        context = {
            "e": escalation,
            "effects": [effect_view(effect) for effect in escalation.effects],
            "refresh": None,  # a reload would throw the Sales Engineer's text away
            **customer_sections(
                escalation, public_url=services.settings.public_url, values=values, errors=errors
            ),
        }
        return pages.render(request, "escalation.html", context, status=422, user=user)

    def _deliver(escalation_id: str) -> None:
        """Send the update now, waiting at most as long as a submission waits for its page."""
        future = submitter.background.submit(
            services.dispatcher.drive, escalation_id, kinds={EffectKind.EMAIL}
        )
        future.add_done_callback(_report_crash)
        concurrent.futures.wait([future], timeout=submitter.page_wait)

    def _report_crash(future: Future[Escalation]) -> None:
        # The edge of the background worker: say it and count it; the effect stays owed for sync.
        exc = None if future.cancelled() else future.exception()
        if exc is not None:
            metrics.background_errors.inc()
            log.error("sending a customer update failed; sync will retry", exc_info=exc)

    return routes


def _number(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise InvalidReport({"number": "is missing; reload the page and write the update again"})
    return number


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
