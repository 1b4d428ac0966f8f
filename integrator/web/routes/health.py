"""`/healthz` (the process answers), `/readyz` (database and registry usable), `/metrics` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from integrator.application.ports import StatsReader
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


def router(*, stats: StatsReader, registry: Registry, catalog: Catalog, metrics: Metrics) -> APIRouter:
    routes = APIRouter(tags=["operations"])

    @routes.get("/healthz", summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @routes.get(
        "/readyz",
        summary="The database answers and the registry and catalog are loaded",
        responses={503: {"description": "Not ready; each failing check says why"}},
    )
    def readyz() -> Response:
        checks = readiness(stats, registry, catalog)
        ready = all(verdict == "ok" for verdict in checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    @routes.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return routes
