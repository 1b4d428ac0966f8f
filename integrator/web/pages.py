"""Server-rendered pages: the Jinja2 environment, its filters, and rendering with a CSRF token."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from integrator.application.insights import duration, percent
from integrator.application.ports import Clock
from integrator.domain.deals import arr_at_risk
from integrator.domain.money import exact
from integrator.web.security import Csrf


def money(value: Decimal, currency: str) -> str:
    """`USD 480,000`, or `USD 480,000.50` when there are cents."""
    return exact(value, currency, code_first=True)


def time_left(due: datetime, now: datetime) -> str:
    """`47 h 12 min left`, or `overdue by 2 h 5 min`."""
    seconds = int((due - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    span = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"{span} left" if seconds >= 0 else f"overdue by {span}"


def local_time(value: datetime, time_zone: str = "UTC") -> str:
    """`2026-11-28 17:00 EST` in `time_zone`."""
    return value.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def link(url: str | None) -> str:
    """`url` when it is http(s), else "#": links come from outside systems and must not run script."""
    return url if url and url.startswith(("https://", "http://")) else "#"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("integrator.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money, time_left=time_left, local_time=local_time, link=link, arr_at_risk=arr_at_risk
    )
    env.filters.update(duration=duration, percent=percent)
    return env


class Pages:
    """Renders templates; every page carries this browser's CSRF token for its forms and scripts."""

    def __init__(self, *, csrf: Csrf, clock: Clock, auth_mode: str, dry_run: bool) -> None:
        self.csrf = csrf
        self.clock = clock
        self.templates = Jinja2Templates(env=environment())
        self.common = {"auth_mode": auth_mode, "dry_run": dry_run}

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        *,
        status: int = 200,
        user: str | None = None,
    ) -> Response:
        token, new_cookie = self.csrf.token(request)
        full = {**self.common, "csrf_token": token, "user": user, "now": self.clock.now(), **context}
        response = self.templates.TemplateResponse(request, name, full, status_code=status)
        response.headers["cache-control"] = "no-store"
        if new_cookie:
            response.set_cookie(
                self.csrf.cookie, new_cookie, httponly=True, samesite="lax", secure=self.csrf.secure, path="/"
            )
        return response

    def error(self, request: Request, status: int, title: str, message: str) -> Response:
        return self.render(request, "problem.html", {"title": title, "message": message}, status=status)
