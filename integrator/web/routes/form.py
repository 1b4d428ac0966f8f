"""The Sales Engineer's pages: the report form, an escalation's live page, the list of open escalations."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from integrator.application.preview import Preview, preview_owner
from integrator.application.services import Services
from integrator.application.submit import Submitter
from integrator.domain.escalation import Effect, EffectState, State
from integrator.errors import InvalidReport
from integrator.web import reportform
from integrator.web.auth import Authenticator, Principal
from integrator.web.pages import Pages
from integrator.web.routes.customer_update import customer_sections

OPEN = (State.PENDING, State.PAGED, State.ACKNOWLEDGED)
REFRESH_SECONDS = 3


def router(services: Services, *, auth: Authenticator, pages: Pages, submitter: Submitter) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    zones = sorted(available_timezones())

    def form_page(
        request: Request,
        principal: Principal,
        values: Mapping[str, str],
        *,
        errors: Mapping[str, str] | None = None,
        preview: Preview | None = None,
        status: int = 200,
    ) -> Response:
        context: dict[str, Any] = {"values": values, "errors": errors or {}, "preview": preview}
        context.update(zones=zones, required=reportform.REQUIRED)
        return pages.render(request, "form.html", context, status=status, user=principal.name)

    @routes.get("/")
    def new_report(request: Request) -> Response:
        principal = auth.web(request)
        values = reportform.blank(now=services.clock.now(), reporter_email=principal.email or "")
        return form_page(request, principal, values)

    @routes.post("/escalations")
    async def submit(request: Request) -> Response:
        principal = await asyncio.to_thread(auth.web, request)
        form = await request.form(max_files=0, max_fields=100)
        auth.csrf.check(request, _text(form.get(auth.csrf.field)))
        values = reportform.values_from(form)
        if form.get("action") == "preview":
            preview = preview_owner(
                services.escalator,
                locations=values["failure.locations"].splitlines(),
                stack_trace=values["failure.stack_trace"],
            )
            return form_page(request, principal, values, preview=preview)
        try:
            report = reportform.report_from(values)
            escalation, _ = await asyncio.to_thread(submitter.submit, report, channel="form")
        except InvalidReport as exc:  # the form's job: show each message at its field, keep the input
            return form_page(request, principal, values, errors=exc.fields, status=422)
        return RedirectResponse(f"/escalations/{escalation.id}", status_code=303)

    @routes.get("/escalations")
    def open_escalations(request: Request) -> Response:
        principal = auth.web(request)
        found = services.store.list(states=OPEN)
        at_stake: dict[str, Any] = {}
        for e in found:
            at_stake[e.report.deal.currency] = at_stake.get(e.report.deal.currency, 0) + e.report.deal.arr
        context = {"escalations": found, "at_stake": sorted(at_stake.items())}
        return pages.render(request, "list.html", context, user=principal.name)

    @routes.get("/escalations/{escalation_id}")
    def escalation_page(request: Request, escalation_id: str) -> Response:
        principal = auth.web(request)
        escalation = services.store.get(escalation_id)
        pending = any(f.state == EffectState.PENDING for f in escalation.effects)
        context = {
            "e": escalation,
            "effects": [effect_view(effect) for effect in escalation.effects],
            "refresh": REFRESH_SECONDS if pending else None,
            **customer_sections(escalation, public_url=services.settings.public_url),
        }
        return pages.render(request, "escalation.html", context, user=principal.name)

    return routes


def effect_view(effect: Effect) -> dict[str, Any]:
    """One effect as the page shows it: delivered, planned (dry-run), pending, retrying or failed."""
    kind = effect.kind.value
    label = {"page": "Page the owner", "ticket": "File the P1", "link": "Cross-link", "notify": "Notify"}
    if effect.state == EffectState.DONE:
        status = "planned" if effect.result.get("dry_run") else "delivered"
    elif effect.state == EffectState.FAILED:
        status = "failed"
    else:
        status = "retrying" if effect.last_error else "pending"
    return {
        "kind": kind,
        "label": label.get(kind, kind) + (f" ({effect.target})" if effect.target else ""),
        "status": status,
        "attempts": effect.attempts,
        "last_error": effect.last_error,
        "next_attempt_at": effect.next_attempt_at,
    }


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
