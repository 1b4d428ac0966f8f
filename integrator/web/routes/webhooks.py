"""`POST /webhooks/pagerduty` and `POST /webhooks/jira`: signed news that one escalation changed.

No session, token or CSRF: the HMAC signature over the raw body is the credential, and a request
without a valid one (or with no secret configured) gets 401 and changes nothing. A verified
delivery is remembered by what it says (the event id in the signed body, or a hash of the body),
so a redelivery, under any delivery id, answers 200 and does nothing; a new one about an
escalation integrator knows schedules a re-fetch of that escalation alone (`Syncer.sync_one`) after
the 202. The scheduled sync remains the backstop for anything a webhook misses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from integrator.application.ports import Clock
from integrator.application.sync import Syncer
from integrator.domain.escalation import Escalation
from integrator.web import signatures
from integrator.web.metrics import Metrics
from integrator.web.problems import problem

if TYPE_CHECKING:
    from integrator.application.services import EscalationStore

log = logging.getLogger(__name__)


class _Deliveries:
    """What every webhook does once its signature is checked: dedupe, find the escalation, re-fetch it."""

    def __init__(self, *, store: EscalationStore, syncer: Syncer, clock: Clock, metrics: Metrics) -> None:
        self.store = store
        self.syncer = syncer
        self.clock = clock
        self.metrics = metrics

    async def accept(
        self,
        request: Request,
        tasks: BackgroundTasks,
        *,
        source: str,
        verified: Callable[[bytes], bool],
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
        except signatures.MalformedPayload as exc:
            return JSONResponse(problem("invalid", f"the {source} webhook's {exc}"), status_code=400)
        delivery = signatures.delivery_id(source, body)
        now = self.clock.now()
        if not await asyncio.to_thread(self.store.first_delivery, delivery, now=now):
            return JSONResponse({"status": "duplicate", "escalation": None}, status_code=200)
        escalation = await asyncio.to_thread(find, about) if about else None
        if escalation is None:
            return JSONResponse({"status": "ignored", "escalation": None}, status_code=202)
        tasks.add_task(self.resync, escalation.id)
        return JSONResponse({"status": "accepted", "escalation": escalation.id}, status_code=202)

    def resync(self, escalation_id: str) -> None:
        # The edge of a background job: say it and count it; the scheduled sync retries.
        try:
            self.syncer.sync_one(escalation_id)
        except Exception:
            self.metrics.background_errors.inc()
            log.exception(
                "webhook re-fetch of escalation %s failed; the scheduled sync will retry", escalation_id
            )


def router(
    *,
    store: EscalationStore,
    syncer: Syncer,
    clock: Clock,
    metrics: Metrics,
    pagerduty_secrets: Sequence[SecretStr],
    jira_secret: SecretStr | None,
) -> APIRouter:
    routes = APIRouter(prefix="/webhooks", include_in_schema=False)
    deliveries = _Deliveries(store=store, syncer=syncer, clock=clock, metrics=metrics)
    _pagerduty(routes, deliveries, [s.get_secret_value() for s in pagerduty_secrets])
    _jira(routes, deliveries, jira_secret.get_secret_value() if jira_secret else None)
    return routes


class _WarnOnce:
    """A warning logged the first time it applies, not on every request (a flood would drown the log)."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.said = False

    def __call__(self) -> None:
        if not self.said:
            self.said = True
            log.warning("%s (logged once; every such request gets 401)", self.message)


def _pagerduty(routes: APIRouter, deliveries: _Deliveries, secrets: list[str]) -> None:
    unconfigured = _WarnOnce("PagerDuty webhook refused: INTEGRATOR_PAGERDUTY__WEBHOOK_SECRETS is not set")

    @routes.post("/pagerduty")
    async def pagerduty(request: Request, tasks: BackgroundTasks) -> Response:
        if not secrets:
            unconfigured()
        return await deliveries.accept(
            request,
            tasks,
            source="pagerduty",
            verified=lambda body: signatures.verify_pagerduty(
                body, request.headers.get("x-pagerduty-signature"), secrets
            ),
            subject=signatures.pagerduty_incident_id,
            find=deliveries.store.by_incident,
        )


def _jira(routes: APIRouter, deliveries: _Deliveries, secret: str | None) -> None:
    unconfigured = _WarnOnce("Jira webhook refused: INTEGRATOR_JIRA__WEBHOOK_SECRET is not set")

    @routes.post("/jira")
    async def jira(request: Request, tasks: BackgroundTasks) -> Response:
        if not secret:
            unconfigured()
        return await deliveries.accept(
            request,
            tasks,
            source="jira",
            verified=lambda body: signatures.verify_jira(
                body, request.headers.get("x-hub-signature"), secret
            ),
            subject=signatures.jira_issue_key,
            find=deliveries.store.by_issue,
        )
