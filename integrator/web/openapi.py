"""The OpenAPI document (request bodies from the domain models, bearer auth); `/docs` from packaged files."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from integrator.domain.report import FailureReport
from integrator.web.pages import Pages
from integrator.web.schemas import PreviewIn

DESCRIPTION = """\
Report a failed proof-of-concept once: integrator pages the owning engineer, files the P1 and
starts the 48-hour fix clock. Authenticate with `Authorization: Bearer <token>` (create one with
`integrator token create --name NAME`). Errors are `{"error", "message", "fields"}`.
"""
BODIES: tuple[type[BaseModel], ...] = (FailureReport, PreviewIn)


def install(app: FastAPI, *, version: str) -> None:
    """Serve an OpenAPI document whose request bodies are the models the routes validate with."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=version, description=DESCRIPTION, routes=app.routes)
            components = spec.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            for model in BODIES:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            for path, operations in spec["paths"].items():
                if path.startswith("/api/"):
                    for operation in operations.values():
                        operation["security"] = [{"bearer": []}]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def swagger_ui_files() -> Path:
    """The directory of Swagger UI's files that the `swagger-ui-bundle-v2` package ships (no CDN)."""
    vendor = Path(str(files("swagger_ui_bundle") / "vendor"))
    found = sorted(vendor.glob("swagger-ui-*"))
    if not found:
        raise FileNotFoundError(f"no Swagger UI files under {vendor}; reinstall swagger-ui-bundle-v2")
    return found[-1]


def docs_router(pages: Pages) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/docs")
    def docs(request: Request) -> Response:
        return pages.render(request, "docs.html", {})

    return routes
