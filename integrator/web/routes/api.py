"""The JSON API under /api/v1: submit, read and list escalations, preview an owner, look up accounts.

Every route authenticates first (before the body is read); errors are `problems.ErrorOut`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from integrator.application.accounts import FOUND_MAX, account_dict
from integrator.application.escalate import Escalator, parse_report
from integrator.application.present import escalation_dict, submitted_dict
from integrator.application.preview import preview_dict, preview_owner
from integrator.application.submit import Submitter
from integrator.domain.escalation import OPEN_STATES, State
from integrator.domain.report import FailureReport
from integrator.errors import InvalidInput, field_messages
from integrator.web.auth import Authenticator
from integrator.web.problems import NotJson
from integrator.web.routes.deals import unlink
from integrator.web.routes.halt import resume
from integrator.web.schemas import (
    AccountList,
    AccountOut,
    CreatedOut,
    ErrorOut,
    EscalationList,
    EscalationOut,
    OpenFilter,
    PreviewIn,
    PreviewOut,
)

if TYPE_CHECKING:
    from integrator.application.records import AccountStore
    from integrator.application.services import EscalationStore

OPEN = OPEN_STATES


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut} for code in codes}


def _json_body(schema: str) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {"requestBody": {"required": True, "content": content}}


async def read_json(request: Request) -> bytes:
    """The raw body of a JSON request (a page on another site cannot send this content type)."""
    return json_body(request, await request.body())


def json_body(request: Request, body: bytes) -> bytes:
    """`body`, if the request says it is JSON (`NotJson` otherwise)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise NotJson("send the body as JSON with `Content-Type: application/json`")
    return body


def only_params(request: Request, *known: str, repeatable: tuple[str, ...] = ()) -> None:
    """Refuse query parameters a route does not take (`?stat=open` must not quietly list everything),
    and a single-valued one given twice (`?team=a&team=b` must not quietly keep the last)."""
    unknown = [name for name in request.query_params if name not in known]
    if unknown:
        raise InvalidInput(dict.fromkeys(unknown, "is not a parameter of this route"))
    repeated = [
        name
        for name in dict.fromkeys(request.query_params)
        if name not in repeatable and len(request.query_params.getlist(name)) > 1
    ]
    if repeated:
        raise InvalidInput(dict.fromkeys(repeated, "is given more than once; give it once"))


def router(
    *,
    store: EscalationStore,
    escalator: Escalator,
    auth: Authenticator,
    submitter: Submitter,
    accounts: AccountStore,
) -> APIRouter:
    routes = APIRouter(tags=["escalations"])
    _create(routes, auth, submitter)
    _read(routes, auth, store)
    _listing(routes, auth, store)
    _preview(routes, auth, escalator)
    _accounts(routes, auth, accounts)
    _resume(routes, auth, submitter, escalator)
    _unlink(routes, auth, submitter)
    return routes


def _create(routes: APIRouter, auth: Authenticator, submitter: Submitter) -> None:
    @routes.post(
        "/escalations",
        status_code=201,
        summary="Report a failure: store it, page the owner, file the P1",
        response_model=None,
        responses={
            201: {"model": CreatedOut, "description": "Stored; the page was attempted"},
            200: {"model": CreatedOut, "description": "A repeat of an idempotency_key: the first"},
            **_errors(401, 403, 409, 413, 415, 422),
        },
        openapi_extra=_json_body("FailureReport"),
    )
    async def create(request: Request) -> Response:
        body = await request.body()  # within the body limit; read before the one trip off the loop

        def prepare() -> tuple[FailureReport, list[str]]:
            # Who asks, then what: 401 before 415 or 422. Parsing is CPU work, storing is I/O:
            # both run on the page lane, which then pages.
            auth.api(request)
            only_params(request)
            report = parse_report(json_body(request, body))
            return report, submitter.escalator.warnings(report)  # required contacts missing: 422

        report, warnings, escalation, created = await submitter.submit_with(prepare, channel="api")
        return JSONResponse(
            submitted_dict(escalation, report, warnings),  # 201 also when linked: a new deal was stored
            status_code=201 if created else 200,
            headers={"Location": f"/api/v1/escalations/{escalation.id}"},
        )


def _read(routes: APIRouter, auth: Authenticator, store: EscalationStore) -> None:
    @routes.get(
        "/escalations/{escalation_id}",
        summary="One escalation: owner, page, ticket, effects, clocks and timeline",
        response_model=None,
        responses={200: {"model": EscalationOut, "description": "The escalation"}, **_errors(401, 403, 404)},
    )
    def read(request: Request, escalation_id: str) -> Response:
        auth.api(request)
        only_params(request)
        return JSONResponse(escalation_dict(store.get(escalation_id)))


def _listing(routes: APIRouter, auth: Authenticator, store: EscalationStore) -> None:
    @routes.get(
        "/escalations",
        summary="Escalations, newest first; `state=open` for those not yet fixed",
        response_model=None,
        responses={200: {"model": EscalationList, "description": "The list"}, **_errors(401, 403, 422)},
    )
    def listing(
        request: Request,
        state: Annotated[list[OpenFilter] | None, Query(description="repeatable; `open` = not fixed")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> Response:
        auth.api(request)
        only_params(request, "state", "limit", repeatable=("state",))
        wanted: set[State] = set()
        for name in state or []:
            wanted |= OPEN if name == "open" else {State(name)}
        found = store.recent(states=wanted or None, limit=limit)
        return JSONResponse({"escalations": [escalation_dict(e) for e in found]})


def _resume(routes: APIRouter, auth: Authenticator, submitter: Submitter, escalator: Escalator) -> None:
    @routes.post(
        "/escalations/{escalation_id}/resume",
        summary="Resume the customer's test environment integrator halted, once the escalation is fixed",
        response_model=None,
        responses={
            200: {"model": EscalationOut, "description": "The resume is owed; `halt.state` says how it went"},
            **_errors(401, 403, 404, 409, 422),
        },
    )
    async def resume_environment(
        request: Request,
        escalation_id: str,
        deal: Annotated[
            int | None, Query(ge=1, description="the deal whose environment to resume; default every halted")
        ] = None,
    ) -> Response:
        principal = await asyncio.to_thread(auth.api, request)
        only_params(request, "deal")
        escalation = await asyncio.to_thread(
            resume, submitter, escalator.clock, escalation_id, by=principal.name, deal=deal
        )
        return JSONResponse(escalation_dict(escalation))


def _unlink(routes: APIRouter, auth: Authenticator, submitter: Submitter) -> None:
    @routes.post(
        "/escalations/{escalation_id}/deals/{deal}/unlink",
        status_code=201,
        summary="A linked deal was a different failure: make it an escalation of its own (page, P1)",
        response_model=None,
        responses={
            201: {"model": EscalationOut, "description": "The deal's own escalation; its page was attempted"},
            **_errors(401, 403, 404, 422),
        },
    )
    async def unlink_deal(request: Request, escalation_id: str, deal: int) -> Response:
        principal = await asyncio.to_thread(auth.api, request)
        only_params(request)
        new = await asyncio.to_thread(unlink, submitter, escalation_id, deal, by=principal.name)
        return JSONResponse(
            escalation_dict(new), status_code=201, headers={"Location": f"/api/v1/escalations/{new.id}"}
        )


def _preview(routes: APIRouter, auth: Authenticator, escalator: Escalator) -> None:
    @routes.post(
        "/owners/preview",
        summary="Who would be paged for these locations or this stack trace, and which line decided",
        response_model=None,
        responses={
            200: {"model": PreviewOut, "description": "The owner"},
            **_errors(401, 403, 413, 415, 422),
        },
        openapi_extra=_json_body("PreviewIn"),
        tags=["owners"],
    )
    async def preview(request: Request) -> Response:
        await asyncio.to_thread(auth.api, request)
        only_params(request)
        try:
            asked = PreviewIn.model_validate_json(await read_json(request))
        except ValidationError as exc:
            raise InvalidInput(field_messages(exc.errors(), root="body")) from exc
        found = await asyncio.to_thread(
            preview_owner, escalator, locations=asked.locations, stack_trace=asked.stack_trace
        )
        return JSONResponse(preview_dict(found))


def _accounts(routes: APIRouter, auth: Authenticator, accounts: AccountStore) -> None:
    @routes.get(
        "/accounts",
        summary="Accounts already reported whose name starts with `prefix` (any case), by name",
        response_model=None,
        responses={200: {"model": AccountList, "description": "The accounts"}, **_errors(401, 403, 422)},
        tags=["accounts"],
    )
    def find(
        request: Request,
        prefix: Annotated[str, Query(max_length=200, description="the start of the name")] = "",
        limit: Annotated[int, Query(ge=1, le=FOUND_MAX)] = 20,
    ) -> Response:
        auth.api(request)
        only_params(request, "prefix", "limit")
        return JSONResponse({"accounts": [account_dict(a) for a in accounts.find(prefix, limit=limit)]})

    @routes.get(
        "/accounts/{name}",
        summary="One account as its latest report left it: ARR, currency, POC end date, contacts",
        response_model=None,
        responses={200: {"model": AccountOut, "description": "The account"}, **_errors(401, 403, 404)},
        tags=["accounts"],
    )
    def read(request: Request, name: str) -> Response:
        auth.api(request)
        only_params(request)
        return JSONResponse(account_dict(accounts.get(name)))
