"""`POST /webhooks/pagerduty` and `POST /webhooks/jira`: signed news that one escalation changed.

No session, token or CSRF: the HMAC signature over the raw body is the credential, and a request
without a valid one (or with no secret configured) gets 401 and changes nothing. A verified
delivery is remembered by its id, so a redelivery answers 200 and does nothing; a new one about an
escalation integrator knows schedules a re-fetch of that escalation alone (`Syncer.sync_one`) after
the 202. The scheduled sync remains the backstop for anything a webhook misses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse

from integrator.bootstrap import Services
from integrator.domain.escalation import Escalation
from integrator.web import signatures as webhooks
from integrator.web.metrics import Metrics
from integrator.web.problems import problem

log = logging.getLogger(__name__)


def router(services: Services, *, metrics: Metrics) -> APIRouter:
    routes = APIRouter(prefix="/webhooks", include_in_schema=False)

    def resync(escalation_id: str) -> None:
        # The edge of a background job: say it and count it; the scheduled sync retries.
        try:
            services.syncer.sync_one(escalation_id)
        except Exception:
            metrics.background_errors.inc()
            log.exception(
                "webhook re-fetch of escalation %s failed; the scheduled sync will retry", escalation_id
            )

    async def accept(
        request: Request,
        tasks: BackgroundTasks,
        *,
        source: str,
        verified: Callable[[bytes], bool],
        delivery_header: str,
        subject: Callable[[bytes], str | None],
        find: Callable[[str], Escalation | None],
    ) -> Response:
        body = await request.body()
        if not verified(body):
            return JSONResponse(
                problem("unauthorized", f"the {source} webhook's signature is missing or does not match"),
                status_code=401,
            )
        try:
            about = subject(body)
        except webhooks.MalformedPayload as exc:
            return JSONResponse(problem("invalid", f"the {source} webhook's {exc}"), status_code=400)
        delivery = webhooks.delivery_id(source, body)
        now = services.clock.now()
        if not await asyncio.to_thread(services.store.first_delivery, delivery, now=now):
            return JSONResponse({"status": "duplicate", "escalation": None}, status_code=200)
        escalation = await asyncio.to_thread(find, about) if about else None
        if escalation is None:
            return JSONResponse({"status": "ignored", "escalation": None}, status_code=202)
        tasks.add_task(resync, escalation.id)
        return JSONResponse({"status": "accepted", "escalation": escalation.id}, status_code=202)

    @routes.post("/pagerduty")
    async def pagerduty(request: Request, tasks: BackgroundTasks) -> Response:
        secrets = [s.get_secret_value() for s in services.settings.pagerduty.webhook_secrets]
        if not secrets:
            log.warning("PagerDuty webhook refused: INTEGRATOR_PAGERDUTY__WEBHOOK_SECRETS is not set")
        return await accept(
            request,
            tasks,
            source="pagerduty",
            verified=lambda body: webhooks.verify_pagerduty(
                body, request.headers.get("x-pagerduty-signature"), secrets
            ),
            delivery_header="x-webhook-id",
            subject=webhooks.pagerduty_incident_id,
            find=services.store.by_incident,
        )

    @routes.post("/jira")
    async def jira(request: Request, tasks: BackgroundTasks) -> Response:
        configured = services.settings.jira.webhook_secret
        secret = configured.get_secret_value() if configured else None
        if not secret:
            log.warning("Jira webhook refused: INTEGRATOR_JIRA__WEBHOOK_SECRET is not set")
        return await accept(
            request,
            tasks,
            source="jira",
            verified=lambda body: webhooks.verify_jira(body, request.headers.get("x-hub-signature"), secret),
            delivery_header="x-atlassian-webhook-identifier",
            subject=webhooks.jira_issue_key,
            find=services.store.by_issue,
        )

    return routes
