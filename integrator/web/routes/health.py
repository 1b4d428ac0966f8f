"""`/healthz` (the process answers), `/readyz` (database, registry; `deep=1`: the doctor), `/metrics`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from integrator.application.doctor import Checkup
from integrator.application.records import StatsReader
from integrator.domain.ownership import Catalog, Registry
from integrator.errors import StoreUnavailable
from integrator.web.metrics import Metrics


def readiness(stats: StatsReader, registry: Registry, catalog: Catalog) -> dict[str, str]:
    """Each check's verdict: "ok" or what is wrong."""
    checks = {}
    try:
        stats.ping()
        checks["database"] = "ok"
    except StoreUnavailable as exc:
        checks["database"] = f"unreachable: {exc}"
    checks["registry"] = "ok" if registry.rules else "no valid rules loaded"
    checks["catalog"] = "ok" if catalog.teams else "no owners loaded"
    return checks


def router(
    *,
    stats: StatsReader,
    registry: Registry,
    catalog: Catalog,
    metrics: Metrics,
    doctor: Callable[[], Checkup] | None = None,
) -> APIRouter:
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
        checks = readiness(stats, registry, catalog)
        ready = all(verdict == "ok" for verdict in checks.values())
        body: dict[str, Any] = {"checks": checks}
        if deep and doctor is not None:
            body["doctor"] = (checkup := doctor()).as_dict()
            ready = ready and checkup.healthy
        body = {"status": "ready" if ready else "not ready", **body}
        return JSONResponse(body, status_code=200 if ready else 503)

    @routes.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return routes
