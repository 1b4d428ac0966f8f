"""The composition root: settings → adapters → services. Entrypoints call it; nothing else builds."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable

from integrator.adapters.dryrun import DryRunPager, DryRunTracker
from integrator.application.configuration import load_catalog, load_registry
from integrator.application.dispatch import Dispatcher
from integrator.application.escalate import Escalator
from integrator.application.ports import ChatPoster, Clock, Mailer, Pager, SystemClock, Tracker
from integrator.application.retrying import RetryPolicy
from integrator.application.services import Services
from integrator.application.sync import Syncer
from integrator.application.tokens import Tokens
from integrator.domain.ownership import Catalog
from integrator.settings import Settings
from integrator.store.db import connect, migrate
from integrator.store.escalations import Store
from integrator.store.stats import SqlStats
from integrator.store.tokens import SqlTokenStore

__all__ = ["Services", "build"]  # what the entrypoints take from here


def ca_bundle() -> str | bool:
    """The CA bundle named by the standard variables, else the system's default trust."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or True


def build_pager(settings: Settings) -> Pager:
    if settings.dry_run or not settings.pagerduty.configured:
        return DryRunPager(settings.pagerduty)
    from integrator.adapters.pagerduty import PagerDutyPager

    return PagerDutyPager(settings.pagerduty, verify=ca_bundle())


def build_tracker(settings: Settings) -> Tracker:
    if settings.dry_run or not settings.jira.configured:
        return DryRunTracker(settings.jira)
    from integrator.adapters.jira import JiraTracker

    return JiraTracker(settings.jira, verify=ca_bundle())


def build_mailer(settings: Settings) -> Mailer | None:
    """SMTP when a host and a sender are set; otherwise None, and email stays in dry-run."""
    if settings.dry_run or not settings.smtp.configured:
        return None
    from integrator.adapters.smtp import SmtpMailer

    bundle = ca_bundle()
    context = ssl.create_default_context(cafile=bundle) if isinstance(bundle, str) else None
    return SmtpMailer(settings.smtp, ssl_context=context)


def build_chat(settings: Settings, catalog: Catalog) -> ChatPoster | None:
    """Posts to the teams' chat webhooks from the catalog; None (dry-run) when none has one."""
    if settings.dry_run or not any(team.chat_webhook for team in catalog.teams.values()):
        return None
    from integrator.adapters.chat import HttpChatPoster

    return HttpChatPoster(verify=ca_bundle())


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    pager: Pager | None = None,
    tracker: Tracker | None = None,
    mailer: Mailer | None = None,
    chat: ChatPoster | None = None,
) -> Services:
    """Everything the entrypoints need, wired once; the database is migrated to the newest schema.

    `Services.close()` disposes of the engine and closes the clients built here (not ones handed in).
    """
    clock = clock or SystemClock()
    catalog = load_catalog(settings)
    registry = load_registry(settings.registry)
    engine = connect(settings.database_url)
    closers: list[Callable[[], None]] = [engine.dispose]
    migrate(engine)
    store = Store(engine, public_url=settings.public_url)
    if pager is None:
        pager = build_pager(settings)
        closers += _closer(pager)
    if tracker is None:
        tracker = build_tracker(settings)
        closers += _closer(tracker)
    dispatcher = Dispatcher(
        store=store,
        pager=pager,
        tracker=tracker,
        clock=clock,
        retry=retry or RetryPolicy(),
        mailer=mailer or build_mailer(settings),
        chat=chat or build_chat(settings, catalog),
    )
    escalator = Escalator(
        store=store,
        dispatcher=dispatcher,
        registry=registry,
        catalog=catalog,
        clock=clock,
        fix_hours=settings.sla.fix_hours,
        source_roots=settings.source_roots,
        public_url=settings.public_url,
    )
    syncer = Syncer(store, dispatcher, clock, resolve_page_on_fix=settings.sync.resolve_page_on_fix)
    tokens = Tokens(SqlTokenStore(engine), clock=clock)
    stats = SqlStats(engine)
    return Services(
        settings, store, registry, catalog, dispatcher, escalator, clock, syncer, tokens, stats, closers
    )


def _closer(client: object) -> list[Callable[[], None]]:
    """The client's `close`, when it has one (the SDK sessions do; the dry-run stand-ins do not)."""
    close = getattr(client, "close", None)
    return [close] if callable(close) else []
