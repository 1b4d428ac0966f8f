"""The Sales Engineer's pages: the report form, an escalation's live page, the list of open escalations."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from integrator.application.disclosure import customer_told
from integrator.application.escalate import Escalator
from integrator.application.ports import Clock
from integrator.application.preview import Preview, preview_owner
from integrator.application.submit import Submitter
from integrator.domain.deals import arr_at_risk
from integrator.domain.escalation import OPEN_STATES
from integrator.errors import InvalidInput
from integrator.web import reportform
from integrator.web.auth import Authenticator, Principal
from integrator.web.pages import Pages
from integrator.web.views import escalation_page

if TYPE_CHECKING:
    from integrator.application.services import EscalationStore

OPEN = OPEN_STATES
CONFIRMED = "contacts_confirmed"  # the Sales Engineer read the contact warnings and submits anyway
MATCH_SEEN = "match_seen"  # the escalation of the same failure the Sales Engineer was shown
SEPARATE = "separate"  # checked: "this is a different failure", never added to that escalation


class _FormPage:
    """Renders the report form with the Sales Engineer's values, messages per field and an owner preview."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.zones = sorted(available_timezones())

    def __call__(
        self,
        request: Request,
        principal: Principal,
        values: Mapping[str, str],
        *,
        errors: Mapping[str, str] | None = None,
        preview: Preview | None = None,
        warnings: list[str] | None = None,
        match: tuple[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        context: dict[str, Any] = {"values": values, "errors": errors or {}, "preview": preview}
        context["warnings"] = warnings or []
        context["match"] = match  # (escalation id, notice)
        context.update(zones=self.zones, required=reportform.REQUIRED, label_of=reportform.label)
        return self.pages.render(request, "form.html", context, status=status, user=principal.name)


def router(
    *,
    store: EscalationStore,
    escalator: Escalator,
    clock: Clock,
    auth: Authenticator,
    pages: Pages,
    submitter: Submitter,
    public_url: str,
) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    form_page = _FormPage(pages)
    _new_report(routes, auth, clock, form_page)
    _submit(routes, auth, escalator, submitter, form_page)
    _open_escalations(routes, auth, pages, store)
    _escalation_page(routes, auth, pages, store, public_url)
    return routes


def _new_report(routes: APIRouter, auth: Authenticator, clock: Clock, form_page: _FormPage) -> None:
    @routes.get("/")
    def new_report(request: Request) -> Response:
        principal = auth.web(request)
        values = reportform.blank(now=clock.now(), reporter_email=principal.email or "")
        return form_page(request, principal, values)


def _submit(
    routes: APIRouter, auth: Authenticator, escalator: Escalator, submitter: Submitter, form_page: _FormPage
) -> None:
    @routes.post("/escalations")
    async def submit(request: Request) -> Response:
        principal = await asyncio.to_thread(auth.web, request)
        form = await request.form(max_files=0, max_fields=100)
        auth.csrf.check_form(request, form)
        values = reportform.values_from(form)
        if form.get("action") == "preview":
            preview = await asyncio.to_thread(  # trace parsing is CPU work: off the event loop
                preview_owner,
                escalator,
                locations=values["failure.locations"].splitlines(),
                stack_trace=values["failure.stack_trace"],
            )
            return form_page(request, principal, values, preview=preview)
        try:
            report = await asyncio.to_thread(reportform.report_from, values)
            if form.get(SEPARATE) == "yes":
                report = report.model_copy(update={"link": False})
            warnings = escalator.warnings(report)
            match = None if form.get(MATCH_SEEN) else await asyncio.to_thread(escalator.match, report)
            shown = (match.id, escalator.notice(match)) if match else None
            # Stop and tell, and stop and show the match: both before anything is sent.
            if (warnings and form.get(CONFIRMED) != "yes") or shown:
                return form_page(request, principal, values, warnings=warnings, match=shown)
            escalation, _ = await submitter.submit_async(report, channel="form")
        except InvalidInput as exc:  # the form's job: show each message at its field, keep the input
            return form_page(request, principal, values, errors=exc.fields, status=422)
        return RedirectResponse(f"/escalations/{escalation.id}", status_code=303)


def _open_escalations(routes: APIRouter, auth: Authenticator, pages: Pages, store: EscalationStore) -> None:
    @routes.get("/escalations")
    def open_escalations(request: Request) -> Response:
        principal = auth.web(request)
        found = store.recent(states=OPEN)
        at_stake: dict[str, Any] = {}
        for e in found:
            for a in arr_at_risk(e.deals):
                at_stake[a.currency] = at_stake.get(a.currency, 0) + a.amount
        context = {"escalations": found, "at_stake": sorted(at_stake.items()), "customer_told": customer_told}
        return pages.render(request, "list.html", context, user=principal.name)


def _escalation_page(
    routes: APIRouter, auth: Authenticator, pages: Pages, store: EscalationStore, public_url: str
) -> None:
    @routes.get("/escalations/{escalation_id}")
    def escalation(request: Request, escalation_id: str, deal: int = 1) -> Response:
        """The escalation; `?deal=N` drafts the customer update for deal N's customer."""
        principal = auth.web(request)
        context = escalation_page(store.get(escalation_id), public_url=public_url, deal=deal)
        return pages.render(request, "escalation.html", context, user=principal.name)
