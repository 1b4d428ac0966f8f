"""The web's errors and their one JSON shape, `{"error", "message", "fields"}`, handled once per class.

    IntegratorError (integrator.errors)
    ├── InvalidInput          422  a message per field; nothing stored or sent
    ├── NotFound               404
    ├── Conflict               409  an idempotency key reused for a different report
    ├── StoreUnavailable       503  the database did not answer; try again
    └── WebError               (here) a refused request
        ├── AuthRequired       401  no credentials, or a bad or revoked token
        ├── Forbidden          403  credentials may be fine; the request is not (CSRF, untrusted proxy)
        ├── TooLarge           413  a body over the size limit
        └── NotJson            415  API bodies are JSON

API paths (`/api/...`) answer JSON; pages answer HTML (and a sign-in redirect for `AuthRequired`
where signing in is possible). FastAPI's own validation errors and unknown routes get the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from integrator.errors import (
    Conflict,
    IntegratorError,
    InvalidInput,
    NotFound,
    StoreUnavailable,
    field_messages,
)

log = logging.getLogger(__name__)

Page = Callable[[Request, int, str, str], Response]
"""Renders an HTML error page: (request, status, title, message)."""


class WebError(IntegratorError):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})


class AuthRequired(WebError):
    status, code, title = 401, "unauthorized", "Sign-in required"


class Forbidden(WebError):
    status, code, title = 403, "forbidden", "Not allowed"


class TooLarge(WebError):
    status, code, title = 413, "too_large", "Too large"


class NotJson(WebError):
    status, code, title = 415, "unsupported_media_type", "Send JSON"


def problem(code: str, message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "fields": dict(fields or {})}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install(app: FastAPI, *, page: Page, sign_in_path: str | None) -> None:
    """Register one handler per error class; `sign_in_path` is where pages send the signed-out."""

    def invalid(request: Request, exc: InvalidInput) -> Response:
        message = "invalid input, nothing was stored or sent: " + "; ".join(exc.fields)
        return _answer(request, 422, problem("invalid", message, exc.fields), "Invalid input", page)

    def not_found(request: Request, exc: NotFound) -> Response:
        return _answer(request, 404, problem("not_found", str(exc)), "Not found", page)

    def unavailable(request: Request, exc: StoreUnavailable) -> Response:
        body = problem("unavailable", f"{exc}; try again shortly")
        return _answer(request, 503, body, "Try again shortly", page, {"Retry-After": "5"})

    def refused(request: Request, exc: WebError) -> Response:
        if isinstance(exc, AuthRequired) and not is_api(request) and sign_in_path:
            target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            return RedirectResponse(f"{sign_in_path}?next={target}", status_code=303)
        return _answer(request, exc.status, problem(exc.code, exc.message), exc.title, page, exc.headers)

    def conflict(request: Request, exc: Conflict) -> Response:
        body = {**problem("conflict", str(exc)), "existing": exc.existing}
        return _answer(request, 409, body, "Already used", page)

    def unreadable(request: Request, exc: RequestValidationError) -> Response:
        return invalid(request, InvalidInput(field_messages(exc.errors(), root="body", name=_field)))

    def http(request: Request, exc: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        body = problem(code, str(exc.detail))
        return _answer(request, exc.status_code, body, str(exc.detail), page, exc.headers or {})

    def crashed(request: Request, exc: Exception) -> Response:
        log.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
        body = problem("internal", "integrator failed to answer; the error is in its log")
        return _answer(request, 500, body, "Something broke", page)

    app.add_exception_handler(InvalidInput, invalid)  # type: ignore[arg-type]
    app.add_exception_handler(NotFound, not_found)  # type: ignore[arg-type]
    app.add_exception_handler(StoreUnavailable, unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(Conflict, conflict)  # type: ignore[arg-type]
    app.add_exception_handler(WebError, refused)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, unreadable)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, crashed)


def _field(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts[1:] if parts and parts[0] in ("query", "path", "body", "header") else parts)


def _answer(
    request: Request,
    status: int,
    body: dict[str, Any],
    title: str,
    page: Page,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if is_api(request) or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(body, status_code=status, headers=dict(headers or {}))
    response = page(request, status, title, body["message"])
    response.headers.update(dict(headers or {}))
    return response
