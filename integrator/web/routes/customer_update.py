"""The customer update on the escalation page: a draft the Sales Engineer edits and sends, never sent alone.

`POST /escalations/{id}/customer-update` owes the email (see `application.updates`), puts it on the
timeline, and waits a bounded time for it to go; whatever is left runs in the background and sync.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from integrator.application.dispatch import Dispatcher
from integrator.application.ports import Clock
from integrator.application.submit import Submitter
from integrator.application.updates import CustomerUpdate, send_customer_update
from integrator.domain.escalation import EffectKind, Escalation
from integrator.errors import InvalidInput
from integrator.web.auth import Authenticator, Principal
from integrator.web.metrics import Metrics
from integrator.web.pages import Pages
from integrator.web.security import form_text
from integrator.web.views import escalation_page

if TYPE_CHECKING:
    from integrator.application.services import EscalationStore

log = logging.getLogger(__name__)
FIELDS = ("to", "subject", "body", "includes_rca", "number", "deal")


class _Updates:
    """The route's collaborators: it checks and owes the update, then sends it for a bounded time."""

    def __init__(
        self,
        *,
        store: EscalationStore,
        dispatcher: Dispatcher,
        clock: Clock,
        submitter: Submitter,
        metrics: Metrics,
    ) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.clock = clock
        self.submitter = submitter
        self.metrics = metrics

    def owe(self, escalation: Escalation, values: Mapping[str, str], principal: Principal) -> bool:
        """Put the update on the timeline and owe its email; whether it was new (not a repeat)."""
        update = CustomerUpdate.checked(
            to=values["to"],
            subject=values["subject"],
            body=values["body"],
            includes_rca=bool(values["includes_rca"]),
            deal=values["deal"] or 1,  # a form from before deals: the first deal's customer
        )
        return send_customer_update(
            self.store,
            escalation,
            update,
            number=_number(values["number"]),
            by=principal.name,
            now=self.clock.now(),
        )

    def deliver(self, escalation_id: str) -> None:
        """Send the update now, waiting at most as long as a submission waits for its page."""
        future = self.submitter.background.submit(
            self.dispatcher.drive, escalation_id, kinds={EffectKind.EMAIL}
        )
        future.add_done_callback(self._report_crash)
        concurrent.futures.wait([future], timeout=self.submitter.page_wait)

    def _report_crash(self, future: Future[Escalation]) -> None:
        # The edge of the background worker: say it and count it; the effect stays owed for sync.
        exc = None if future.cancelled() else future.exception()
        if exc is not None:
            self.metrics.background_errors.inc()
            log.error("sending a customer update failed; sync will retry", exc_info=exc)


def router(
    *,
    store: EscalationStore,
    dispatcher: Dispatcher,
    clock: Clock,
    auth: Authenticator,
    pages: Pages,
    submitter: Submitter,
    metrics: Metrics,
    public_url: str,
) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    updates = _Updates(store=store, dispatcher=dispatcher, clock=clock, submitter=submitter, metrics=metrics)

    @routes.post("/escalations/{escalation_id}/customer-update")
    async def send(request: Request, escalation_id: str) -> Response:
        principal = await asyncio.to_thread(auth.web, request)
        form = await request.form(max_files=0, max_fields=20)
        auth.csrf.check_form(request, form)
        values = {name: form_text(form, name) or "" for name in FIELDS}
        escalation = await asyncio.to_thread(store.get, escalation_id)
        try:
            sent = await asyncio.to_thread(updates.owe, escalation, values, principal)
        except InvalidInput as exc:  # the page again, with the text kept and each message at its field
            context = escalation_page(escalation, public_url=public_url, values=values, errors=exc.fields)
            return pages.render(request, "escalation.html", context, status=422, user=principal.name)
        if sent:
            await asyncio.to_thread(updates.deliver, escalation_id)
        return RedirectResponse(f"/escalations/{escalation_id}#timeline", status_code=303)

    return routes


def _number(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise InvalidInput({"number": "is missing; reload the page and write the update again"})
    return number
