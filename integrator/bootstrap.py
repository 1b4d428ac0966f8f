"""The composition root: settings → adapters → services. Entrypoints call it; nothing else builds."""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from integrator import logs
from integrator.adapters.dryrun import DryRunChatPoster, DryRunMailer, DryRunPager, DryRunTracker
from integrator.application.dispatch import Dispatcher
from integrator.application.doctor import Checkup, Unconfigured, examine
from integrator.application.escalate import Escalator
from integrator.application.handlers import Handlers
from integrator.application.ports import (
    ChatPoster,
    Clock,
    EscalationStore,
    Mailer,
    Pager,
    SystemClock,
    Tracker,
    WiringCheck,
)
from integrator.application.retrying import RetryPolicy
from integrator.application.sync import Syncer
from integrator.domain.ownership import Catalog, Registry, RegistryTooLarge
from integrator.errors import ConfigError
from integrator.settings import Settings
from integrator.store.db import connect, migrate
from integrator.store.escalations import Store


@dataclass
class Services:
    settings: Settings
    store: EscalationStore
    registry: Registry
    catalog: Catalog
    dispatcher: Dispatcher
    escalator: Escalator
    clock: Clock
    syncer: Syncer


def load_settings() -> Settings:
    """Settings from the environment and .env, or a `ConfigError` naming each bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "INTEGRATOR_" + "__".join(str(p) for p in error["loc"]).upper()
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from exc


def configure_logging(level: int = logging.WARNING) -> None:
    """The process's log lines (`INTEGRATOR_LOG_FORMAT`) from `level` up, every configured secret masked.

    A command's own output says what it did, so it logs warnings only; `serve` logs from INFO.
    Settings that do not load give text lines: the command itself then reports what is wrong.
    """
    try:
        settings = Settings()
    except ValidationError:
        logs.configure("text", level=level)
        return
    logs.configure(settings.log_format, secrets=logs.secret_values(settings), level=level)


def read_text(path: Path, setting: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot read {path} ({exc.strerror})") from exc


def load_catalog(settings: Settings) -> Catalog:
    return Catalog.parse(read_text(settings.catalog, "INTEGRATOR_CATALOG"))


def load_registry(path: Path, catalog: Catalog | None = None) -> Registry:
    text = read_text(path, "INTEGRATOR_REGISTRY")
    try:
        return Registry.parse(text, known_owners=catalog.handles if catalog else None)
    except RegistryTooLarge as exc:
        raise ConfigError(f"INTEGRATOR_REGISTRY: {path}: {exc}") from exc


def ca_bundle() -> str | bool:
    """The CA bundle named by the standard variables, else the system's default trust."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or True


def build_store(settings: Settings) -> Store:
    """The SQL store at `INTEGRATOR_DATABASE_URL`, migrated to the newest schema."""
    engine = connect(settings.database_url)
    migrate(engine)
    return Store(engine, public_url=settings.public_url)


def runs_dry(settings: Settings, *, pager: Pager | None = None, tracker: Tracker | None = None) -> bool:
    """Whether nothing may leave the process: asked for, or PagerDuty or Jira has no credentials.

    Decided here, once: a dry run hands every outbound port (pager, tracker, mailer, chat) a
    stand-in that records instead of sending. Ports handed in (tests) count as configured.
    """
    return (
        settings.dry_run
        or (pager is None and not settings.pagerduty.configured)
        or (tracker is None and not settings.jira.configured)
    )


def build_pager(settings: Settings, *, dry: bool) -> Pager:
    if dry:
        return DryRunPager(settings.pagerduty)
    from integrator.adapters.pagerduty.client import PagerDutyPager

    return PagerDutyPager(settings.pagerduty, verify=ca_bundle())


def build_tracker(settings: Settings, *, dry: bool) -> Tracker:
    if dry:
        return DryRunTracker(settings.jira)
    from integrator.adapters.jira.client import JiraTracker

    return JiraTracker(settings.jira, verify=ca_bundle())


def build_mailer(settings: Settings, *, dry: bool) -> Mailer:
    """SMTP when a host and a sender are set and the run is not dry; otherwise the stand-in."""
    if dry or not settings.smtp.configured:
        return DryRunMailer()
    from integrator.adapters.smtp import SmtpMailer

    bundle = ca_bundle()
    context = ssl.create_default_context(cafile=bundle) if isinstance(bundle, str) else None
    return SmtpMailer(settings.smtp, ssl_context=context)


def build_chat(*, dry: bool) -> ChatPoster:
    """Posts to the teams' chat webhooks from the catalog, unless the run is dry."""
    if dry:
        return DryRunChatPoster()
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
    store: EscalationStore | None = None,
) -> Services:
    """Everything the entrypoints need, wired once; the database is migrated to the newest schema.

    Ports handed in (tests) are used as they are; a store handed in replaces the database.
    """
    clock = clock or SystemClock()
    catalog = load_catalog(settings)
    registry = load_registry(settings.registry)
    store = store or build_store(settings)
    dry = runs_dry(settings, pager=pager, tracker=tracker)
    pager = pager or build_pager(settings, dry=dry)
    tracker = tracker or build_tracker(settings, dry=dry)
    handlers = Handlers(
        pager=pager,
        tracker=tracker,
        mailer=mailer or build_mailer(settings, dry=dry),
        chat=chat or build_chat(dry=dry),
        now=clock.now,
    )
    dispatcher = Dispatcher(store=store, handlers=handlers, clock=clock, retry=retry or RetryPolicy())
    escalator = Escalator(
        store=store,
        dispatcher=dispatcher,
        registry=registry,
        catalog=catalog,
        clock=clock,
        fix_hours=settings.sla.fix_hours,
        source_roots=settings.source_roots,
        public_url=settings.public_url,
        dry_run=dry,
        pager=pager,
        tracker=tracker,
    )
    syncer = Syncer(
        store,
        dispatcher,
        pager,
        tracker,
        clock,
        resolve_page_on_fix=settings.sync.resolve_page_on_fix,
    )
    return Services(settings, store, registry, catalog, dispatcher, escalator, clock, syncer)


def run_doctor(settings: Settings) -> Checkup:
    """`integrator doctor`: the registry, and every configured system's wiring, read (never written)."""
    catalog = load_catalog(settings)
    registry = load_registry(settings.registry, catalog)
    with wiring_checks(settings) as systems:
        return examine(
            systems=systems, catalog=catalog, registry=registry, registry_name=str(settings.registry)
        )


@contextmanager
def wiring_checks(settings: Settings) -> Iterator[list[WiringCheck]]:
    """The doctor's check of each system: its real adapter when configured, else `Unconfigured`."""
    closers: list[Callable[[], None]] = []
    checks: list[WiringCheck] = []
    if settings.jira.configured:
        from integrator.adapters.jira.client import JiraTracker
        from integrator.adapters.jira.doctor import JiraWiring

        tracker = JiraTracker(settings.jira, verify=ca_bundle())
        closers.append(tracker.close)
        checks.append(JiraWiring(tracker, settings.jira))
    else:
        checks.append(Unconfigured("Jira", "no credentials (INTEGRATOR_JIRA__*): Jira is in dry-run"))
    if settings.pagerduty.configured:
        from integrator.adapters.pagerduty.client import PagerDutyPager
        from integrator.adapters.pagerduty.doctor import PagerDutyWiring

        pager = PagerDutyPager(settings.pagerduty, verify=ca_bundle())
        closers.append(pager.close)
        checks.append(PagerDutyWiring(pager, settings.pagerduty))
    else:
        checks.append(Unconfigured("PagerDuty", "no API key (INTEGRATOR_PAGERDUTY__*): paging is in dry-run"))
    checks.append(build_smtp_check(settings))
    try:
        yield checks
    finally:
        for close in closers:
            close()


def build_smtp_check(settings: Settings) -> WiringCheck:
    if not settings.smtp.configured:
        return Unconfigured("SMTP", "no INTEGRATOR_SMTP__HOST and __FROM: email is in dry-run")
    from integrator.adapters.smtp_check import SmtpWiring

    bundle = ca_bundle()
    context = ssl.create_default_context(cafile=bundle) if isinstance(bundle, str) else None
    return SmtpWiring(settings.smtp, ssl_context=context)
