"""The composition root: settings → adapters → services. Entrypoints call it; nothing else builds."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from integrator.adapters.dryrun import (
    DryRunChatPoster,
    DryRunHaltHook,
    DryRunMailer,
    DryRunPager,
    DryRunTracker,
)
from integrator.application.configuration import load_catalog, load_registry
from integrator.application.dispatch import Dispatcher
from integrator.application.doctor import Checkup, Unconfigured, examine
from integrator.application.escalate import Escalator
from integrator.application.handlers import Handlers
from integrator.application.ports import (
    ChatPoster,
    Clock,
    EscalationStore,
    HaltHook,
    Mailer,
    Pager,
    SystemClock,
    Tracker,
    WiringCheck,
)
from integrator.application.records import AccountStore, SessionStore, StatsReader, TokenStore
from integrator.application.retrying import RetryPolicy
from integrator.application.send_test import NothingSent, TestSend
from integrator.application.services import Services
from integrator.application.sessions import Sessions
from integrator.application.sync import Syncer
from integrator.application.tokens import Tokens
from integrator.settings import Settings
from integrator.store.accounts import SqlAccountStore
from integrator.store.db import connect, migrate
from integrator.store.escalations import Store
from integrator.store.memory import MemoryStore
from integrator.store.memory_records import MemorySessionStore, MemoryTokenStore
from integrator.store.sessions import SqlSessionStore
from integrator.store.stats import SqlStats
from integrator.store.tokens import SqlTokenStore

__all__ = ["Services", "build"]  # what the entrypoints take from here


def ca_bundle() -> str | bool:
    """The CA bundle named by the standard variables, else the system's default trust."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or True


@dataclass
class Storage:
    """Where everything is kept: escalations, tokens, sessions, accounts, the counts, and what to close."""

    store: EscalationStore
    tokens: TokenStore
    stats: StatsReader
    sessions: SessionStore
    accounts: AccountStore  # remembered by `store.add`, in the same transaction
    closers: list[Callable[[], None]] = field(default_factory=list)


def build_storage(settings: Settings) -> Storage:
    """The database at `INTEGRATOR_DATABASE_URL`, migrated to the newest schema."""
    engine = connect(settings.database_url)
    migrate(engine)
    store = Store(engine, public_url=settings.public_url)
    sessions, accounts = SqlSessionStore(engine), SqlAccountStore(engine)
    return Storage(store, SqlTokenStore(engine), SqlStats(engine), sessions, accounts, [engine.dispose])


def memory_storage(settings: Settings, store: MemoryStore | None = None) -> Storage:
    """Everything in this process's memory (tests, one-off runs); nothing survives it."""
    store = store or MemoryStore(public_url=settings.public_url)
    return Storage(store, MemoryTokenStore(), store, MemorySessionStore(), store.accounts)


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


def build_halt_hook(*, dry: bool) -> HaltHook:
    """Halts and resumes the customer environments the catalog names, unless the run is dry."""
    if dry:
        return DryRunHaltHook()
    from integrator.adapters.halt import HttpHaltHook

    return HttpHaltHook(verify=ca_bundle())


@dataclass
class Outbound:
    """The outbound ports bootstrap picked (real or dry-run stand-ins), and what to close at the end."""

    pager: Pager
    tracker: Tracker
    mailer: Mailer
    chat: ChatPoster
    dry: bool
    closers: list[Callable[[], None]] = field(default_factory=list)
    halt: HaltHook = field(default_factory=DryRunHaltHook)  # the customer environments' hooks


def build_outbound(
    settings: Settings,
    *,
    pager: Pager | None,
    tracker: Tracker | None,
    mailer: Mailer | None,
    chat: ChatPoster | None,
    halt: HaltHook | None = None,
) -> Outbound:
    """Each outbound port: the one handed in (tests), else the real adapter or, in a dry run, its stand-in."""
    dry = runs_dry(settings, pager=pager, tracker=tracker)
    closers: list[Callable[[], None]] = []
    if pager is None:
        pager = build_pager(settings, dry=dry)
        closers += _closer(pager)
    if tracker is None:
        tracker = build_tracker(settings, dry=dry)
        closers += _closer(tracker)
    mailer = mailer or build_mailer(settings, dry=dry)
    halt = halt or build_halt_hook(dry=dry)
    return Outbound(pager, tracker, mailer, chat or build_chat(dry=dry), dry, closers, halt=halt)


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    pager: Pager | None = None,
    tracker: Tracker | None = None,
    mailer: Mailer | None = None,
    chat: ChatPoster | None = None,
    storage: Storage | None = None,
    halt: HaltHook | None = None,
) -> Services:
    """Everything the entrypoints need, wired once; the database is migrated to the newest schema.

    Ports handed in (tests) are used as they are, and `Services.close()` leaves them open; a
    storage handed in replaces the database.
    """
    clock = clock or SystemClock()
    catalog, registry = load_catalog(settings), load_registry(settings.registry)
    storage = storage or build_storage(settings)
    out = build_outbound(settings, pager=pager, tracker=tracker, mailer=mailer, chat=chat, halt=halt)
    store = storage.store
    handlers = Handlers(
        pager=out.pager,
        tracker=out.tracker,
        mailer=out.mailer,
        chat=out.chat,
        now=clock.now,
        halt_hook=out.halt,
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
        dry_run=out.dry,
        pager=out.pager,
        tracker=out.tracker,
        contacts=settings.protocol.contacts,
        repage_arr=settings.grouping.repage_arr,
    )
    resolve = settings.sync.resolve_page_on_fix
    tokens = Tokens(storage.tokens, clock=clock)
    tell_within = timedelta(minutes=settings.protocol.tell_customer_within_minutes)
    syncer = Syncer(
        store,
        dispatcher,
        out.pager,
        out.tracker,
        clock,
        resolve_page_on_fix=resolve,
        tell_customer_within=tell_within,
    )
    return Services(
        settings,
        store,
        registry,
        catalog,
        dispatcher,
        escalator,
        clock,
        syncer,
        tokens,
        storage.stats,
        Sessions(storage.sessions, tokens=tokens, clock=clock),
        [*storage.closers, *out.closers],
        doctor=partial(run_doctor, settings),
        accounts=storage.accounts,
    )


def _closer(client: object) -> list[Callable[[], None]]:
    """The client's `close`, when it has one (the SDK sessions do; the dry-run stand-ins do not)."""
    close = getattr(client, "close", None)
    return [close] if callable(close) else []


def run_doctor(settings: Settings, *, send_test: bool = False) -> Checkup:
    """`integrator doctor`: the registry, and every configured system's wiring, read (never written);
    with `send_test`, also a labelled test message to each chat webhook and to the SMTP sender."""
    catalog = load_catalog(settings)
    registry = load_registry(settings.registry, catalog)
    with wiring_checks(settings) as systems:
        if send_test:
            systems.append(build_test_send(settings))
        return examine(
            systems=systems,
            catalog=catalog,
            registry=registry,
            registry_name=str(settings.registry),
            environ=os.environ,
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


def build_test_send(settings: Settings) -> WiringCheck:
    """Real senders, even with PagerDuty or Jira unconfigured; none when the run is explicitly dry."""
    if settings.dry_run:
        return NothingSent()
    mailer = build_mailer(settings, dry=False) if settings.smtp.configured else None
    return TestSend(chat=build_chat(dry=False), mailer=mailer, sender=settings.smtp.from_ or "")


def build_smtp_check(settings: Settings) -> WiringCheck:
    if not settings.smtp.configured:
        return Unconfigured("SMTP", "no INTEGRATOR_SMTP__HOST and __FROM: email is in dry-run")
    from integrator.adapters.smtp_check import SmtpWiring

    bundle = ca_bundle()
    context = ssl.create_default_context(cafile=bundle) if isinstance(bundle, str) else None
    return SmtpWiring(settings.smtp, ssl_context=context)
