"""Insights: the page (`/insights`), its charts (SVG images), the same figures at `/api/v1/insights`.

All three take `since`, `until` (dates or ISO times; default the 90 days up to now) and `team`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from integrator.application.insights import (
    MEASURE_NAMES,
    Insights,
    insights_dict,
    parse_day,
    read_insights,
)
from integrator.application.ports import Clock
from integrator.application.records import StatsReader
from integrator.domain.insights import Measure
from integrator.errors import InvalidInput, NotFound
from integrator.web import charts
from integrator.web.auth import Authenticator
from integrator.web.pages import Pages
from integrator.web.routes.api import only_params
from integrator.web.schemas import ErrorOut

PARAMS = ("since", "until", "team")
Since = Annotated[str | None, Query(description="first day (2026-09-01) or ISO time; default 90 days ago")]
Until = Annotated[str | None, Query(description="end, not included (a date or ISO time); default now")]
Team = Annotated[str | None, Query(description="one owner team's handle, e.g. @acme/ingest")]


class _Reader:
    """Reads the report for a request's period and team."""

    def __init__(
        self, stats: StatsReader, clock: Clock, *, fix_hours: float, public_url: str, tell_within_minutes: int
    ) -> None:
        self.stats, self.clock, self.fix_hours, self.public_url = stats, clock, fix_hours, public_url
        self.tell_within_minutes = tell_within_minutes

    def __call__(self, request: Request, since: str | None, until: str | None, team: str | None) -> Insights:
        only_params(request, *PARAMS)
        return read_insights(
            self.stats,
            now=self.clock.now(),
            since=parse_day(since, "since") if since else None,
            until=parse_day(until, "until") if until else None,
            team=(team or "").strip() or None,
            fix_hours=self.fix_hours,
            public_url=self.public_url,
            tell_within_minutes=self.tell_within_minutes,
        )


def api_router(
    *,
    stats: StatsReader,
    clock: Clock,
    auth: Authenticator,
    fix_hours: float,
    public_url: str,
    tell_within_minutes: int,
) -> APIRouter:
    routes = APIRouter(tags=["insights"])
    read = _Reader(
        stats, clock, fix_hours=fix_hours, public_url=public_url, tell_within_minutes=tell_within_minutes
    )

    @routes.get(
        "/insights",
        summary="What POC failures cost, how fast each team answered, whether promises were kept",
        response_model=None,
        responses={
            200: {"description": "Counts, ARR at risk, response percentiles, promises, protocol, weeks"},
            **{code: {"model": ErrorOut} for code in (401, 403, 422)},
        },
    )
    def insights(request: Request, since: Since = None, until: Until = None, team: Team = None) -> Response:
        auth.api(request)
        return JSONResponse(insights_dict(read(request, since, until, team)))

    return routes


def page_router(
    *,
    stats: StatsReader,
    clock: Clock,
    auth: Authenticator,
    pages: Pages,
    fix_hours: float,
    public_url: str,
    tell_within_minutes: int,
) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    read = _Reader(
        stats, clock, fix_hours=fix_hours, public_url=public_url, tell_within_minutes=tell_within_minutes
    )

    @routes.get("/insights")
    def page(
        request: Request, since: str | None = None, until: str | None = None, team: str | None = None
    ) -> Response:
        principal = auth.web(request)
        try:
            report = read(request, since, until, team)
        except InvalidInput as exc:
            return pages.error(request, 422, "Insights", "; ".join(f"{k} {v}" for k, v in exc.fields.items()))
        context = _context(report, request)
        return pages.render(request, "insights.html", context, user=principal.name)

    @routes.get("/insights/charts/{name}.svg")
    def chart(
        request: Request,
        name: str,
        since: str | None = None,
        until: str | None = None,
        team: str | None = None,
    ) -> Response:
        auth.web(request)
        draw = charts.CHARTS.get(name)
        if draw is None:
            raise NotFound(f"no chart {name!r}")
        svg = draw(read(request, since, until, team))
        return Response(svg, media_type="image/svg+xml", headers={"cache-control": "no-store"})

    return routes


def _context(report: Insights, request: Request) -> dict[str, Any]:
    query = str(request.url.query)
    return {
        "report": report,
        "query": report.query,
        "measures": list(Measure),
        "measure_names": MEASURE_NAMES,
        "chart_query": f"?{query}" if query else "",
        "form": {k: request.query_params.get(k, "") for k in PARAMS},
    }
