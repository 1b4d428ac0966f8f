"""`/healthz` (the process answers), `/readyz` (database, registry; `deep=1`: the doctor), `/metrics`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from integrator.bootstrap import Services, run_doctor
from integrator.web.metrics import Metrics


def readiness(services: Services) -> dict[str, str]:
    """Each check's verdict: "ok" or what is wrong."""
    checks = {}
    try:
        with services.store.engine.connect() as conn:  # type: ignore[attr-defined]  # the SQL store's engine, until tokens and stats have ports
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    rules = len(services.registry.rules)
    checks["registry"] = "ok" if rules else "no valid rules loaded"
    checks["catalog"] = "ok" if services.catalog.teams else "no owners loaded"
    return checks


def router(services: Services, *, metrics: Metrics) -> APIRouter:
    routes = APIRouter(tags=["operations"])

    @routes.get("/healthz", summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @routes.get(
        "/readyz",
        summary="The database answers and the registry and catalog are loaded",
        responses={503: {"description": "Not ready; each failing check says why"}},
    )
    def readyz(deep: bool = False) -> Response:
        """`deep=1` also runs `integrator doctor`'s checks (reads Jira, PagerDuty and SMTP; slower)."""
        checks = readiness(services)
        ready = all(verdict == "ok" for verdict in checks.values())
        body: dict[str, Any] = {"checks": checks}
        if deep:
            body["doctor"] = (checkup := run_doctor(services.settings)).as_dict()
            ready = ready and checkup.healthy
        body = {"status": "ready" if ready else "not ready", **body}
        return JSONResponse(body, status_code=200 if ready else 503)

    @routes.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return routes
