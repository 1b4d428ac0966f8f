"""`create_app`: one FastAPI application over the services — form, JSON API, webhooks, status pages,
health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from integrator.application.services import Services
from integrator.application.submit import Submitter
from integrator.application.sync import Syncer
from integrator.errors import ConfigError
from integrator.settings import Settings
from integrator.web import auth, openapi, problems
from integrator.web.capacity import ConcurrencyLimit
from integrator.web.loopback import LoopbackOnly
from integrator.web.metrics import Metrics
from integrator.web.pages import Pages
from integrator.web.request_id import RequestId
from integrator.web.routes import (
    api,
    customer_update,
    deals,
    form,
    halt,
    health,
    insights,
    sessions,
    status_page,
    webhooks,
)
from integrator.web.scheduler import report_stop, run_every
from integrator.web.security import BodyLimit, Csrf, SecurityHeaders

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # a long stack trace fits many times over
MIN_SECRET = 16


def create_app(
    services: Services,
    *,
    host: str = "127.0.0.1",
    page_wait: float = 3.0,
    max_body: int = MAX_BODY,
    background_workers: int = 8,
    page_workers: int = 64,  # as many as requests the server admits at once (INTEGRATOR_SERVER__MAX_REQUESTS)
    drain_seconds: float = 10.0,
    sync_every: float | None = None,
    executor: Callable[[], Executor] | None = None,
) -> FastAPI:
    """The app for `services`, served on `host`.

    `page_wait` bounds how long a submission waits for the page (never for Jira). Pages run on a
    lane of their own (`page_workers` threads); the rest on an executor from `executor` (default: a
    pool of `background_workers` threads). Each start of the app gets new ones, which its shutdown
    waits `drain_seconds` for. `sync_every` runs the sync pass in
    the process (what `serve` does); tests leave it off.
    """
    settings = services.settings
    secret = check_serving(settings, host)
    pool = executor or partial(
        ThreadPoolExecutor, max_workers=background_workers, thread_name_prefix="integrator-effects"
    )
    lane = partial(ThreadPoolExecutor, max_workers=page_workers, thread_name_prefix="integrator-pages")
    parts = _parts(services, secret, page_wait=page_wait, lanes=(lane(), pool()))
    lanes = (lane, pool)
    lifespan = _lifespan(parts.submitter, lanes, services.syncer, sync_every=sync_every, drain=drain_seconds)
    app = FastAPI(title="integrator", docs_url=None, redoc_url=None, lifespan=lifespan)
    _include_routes(app, services, parts)
    app.mount("/static", StaticFiles(packages=[("integrator.web", "static")]), name="static")
    app.mount("/docs/assets", StaticFiles(directory=openapi.swagger_ui_files()), name="docs-assets")
    sign_in = "/signin" if settings.auth.mode == "token" else None
    problems.install(app, page=parts.pages.error, sign_in_path=sign_in)
    app.add_middleware(BodyLimit, max_bytes=max_body)
    app.add_middleware(SecurityHeaders)
    if settings.auth.mode == "none":
        app.add_middleware(LoopbackOnly)  # no sign-in: refuse a rebound name before anything else
    limits = settings.server
    app.add_middleware(
        ConcurrencyLimit, max_requests=limits.max_requests, retry_after=limits.retry_after_seconds
    )
    app.add_middleware(RequestId)
    openapi.install(app, version=_version())
    return app


@dataclass(frozen=True)
class _Parts:
    """What several routers share: who is asking, the pages, the submit path, the metrics."""

    auth: auth.Authenticator
    pages: Pages
    submitter: Submitter
    metrics: Metrics
    secure: bool


def _parts(
    services: Services, secret: bytes, *, page_wait: float, lanes: tuple[Executor, Executor]
) -> _Parts:
    settings = services.settings
    secure = settings.public_url.startswith("https://")
    csrf = Csrf(secret=secret, secure=secure)
    authenticator = auth.Authenticator(
        settings.auth, tokens=services.tokens, sessions=services.sessions, secret=secret, csrf=csrf
    )
    pages = Pages(
        csrf=csrf, clock=services.clock, auth_mode=settings.auth.mode, dry_run=services.escalator.dry_run
    )
    metrics = Metrics(services.stats, services.clock)
    submitter = Submitter(
        escalator=services.escalator,
        dispatcher=services.dispatcher,
        store=services.store,
        page_lane=lanes[0],
        background=lanes[1],
        metrics=metrics,
        page_wait=page_wait,
    )
    return _Parts(authenticator, pages, submitter, metrics, secure)


def _lifespan(
    submitter: Submitter,
    lanes: tuple[Callable[[], Executor], Callable[[], Executor]],
    syncer: Syncer,
    *,
    sync_every: float | None,
    drain: float,
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Each start has its own lanes; its stop drains them (pages first: they feed the background).
        pages = submitter.page_lane = lanes[0]()
        background = submitter.background = lanes[1]()
        scheduler = asyncio.create_task(run_every(syncer, sync_every)) if sync_every else None
        if scheduler is not None:
            scheduler.add_done_callback(report_stop)
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await scheduler
            await _drain(pages, drain)
            await _drain(background, drain)

    return lifespan


def _include_routes(app: FastAPI, services: Services, parts: _Parts) -> None:
    """Each router gets the few services its routes use."""
    s = services
    api_routes = api.router(
        store=s.store, escalator=s.escalator, auth=parts.auth, submitter=parts.submitter, accounts=s.accounts
    )
    app.include_router(api_routes, prefix="/api/v1")
    app.include_router(
        insights.api_router(
            stats=s.stats, clock=s.clock, auth=parts.auth, fix_hours=s.settings.sla.fix_hours,
            public_url=s.settings.public_url,
            tell_within_minutes=s.settings.protocol.tell_customer_within_minutes,
        ),
        prefix="/api/v1",
    )  # fmt: skip
    app.include_router(
        health.router(
            stats=s.stats, registry=s.registry, catalog=s.catalog, metrics=parts.metrics, doctor=s.doctor
        )
    )
    app.include_router(
        webhooks.router(
            store=s.store,
            syncer=s.syncer,
            clock=s.clock,
            metrics=parts.metrics,
            pagerduty_secrets=s.settings.pagerduty.webhook_secrets,
            jira_secret=s.settings.jira.webhook_secret,
        )
    )
    _include_pages(app, services, parts)


def _include_pages(app: FastAPI, services: Services, parts: _Parts) -> None:
    s, who, pages, submitter = services, parts.auth, parts.pages, parts.submitter
    public_url = s.settings.public_url
    app.include_router(
        form.router(
            store=s.store, escalator=s.escalator, clock=s.clock, auth=who, pages=pages, submitter=submitter,
            public_url=public_url,
        )
    )  # fmt: skip
    app.include_router(status_page.router(store=s.store, clock=s.clock, auth=who, pages=pages))
    app.include_router(
        customer_update.router(
            store=s.store, dispatcher=s.dispatcher, clock=s.clock, auth=who, pages=pages, submitter=submitter,
            metrics=parts.metrics, public_url=public_url,
        )
    )  # fmt: skip
    app.include_router(halt.router(store=s.store, clock=s.clock, auth=who, submitter=submitter))
    app.include_router(
        insights.page_router(
            stats=s.stats, clock=s.clock, auth=who, pages=pages, fix_hours=s.settings.sla.fix_hours,
            public_url=public_url,
            tell_within_minutes=s.settings.protocol.tell_customer_within_minutes,
        )
    )  # fmt: skip
    app.include_router(deals.router(auth=who, submitter=submitter))
    app.include_router(openapi.docs_router(pages))
    if s.settings.auth.mode == "token":
        app.include_router(auth.router(who, pages, secure=parts.secure))
        app.include_router(sessions.router(who, pages))


def check_serving(settings: Settings, host: str) -> bytes:
    """Refuse what must not be served (the open demo off loopback, no secret key); the signing key."""
    auth.refuse_open_mode_off_loopback(settings.auth.mode, host)
    return _secret(settings)


def _secret(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
        if len(key) < MIN_SECRET:
            raise ConfigError(f"INTEGRATOR_SECRET_KEY: use at least {MIN_SECRET} random characters")
        return key.encode()
    if settings.auth.mode != "none":
        raise ConfigError(
            "INTEGRATOR_SECRET_KEY is required (it signs session cookies and CSRF tokens);"
            ' generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )
    return secrets.token_bytes(32)  # the local demo: sessions last as long as the process


async def _drain(background: Executor, seconds: float) -> None:
    """Let running effects finish (bounded); queued ones stay pending in the store for sync."""
    stopped = asyncio.to_thread(background.shutdown, wait=True, cancel_futures=True)
    try:
        await asyncio.wait_for(stopped, seconds)
    except TimeoutError:
        log.warning(
            "effects still running %.0f s into shutdown; sync resumes them when leases expire", seconds
        )


def _version() -> str:
    try:
        return version("integrator")
    except PackageNotFoundError:
        return "0"
