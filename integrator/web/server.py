"""`integrator serve`: refuse what must not be served, then build the services and run the app (uvicorn)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import Any

from integrator import logs
from integrator.application.services import Services
from integrator.settings import ServerSettings, Settings
from integrator.web.app import check_serving, create_app


def serve(settings: Settings, build: Callable[[], Services], *, host: str, port: int) -> None:
    """Check `settings` for serving on `host` before anything is built or bound; then serve until stopped."""
    import uvicorn  # only serving needs it

    check_serving(settings, host)
    logs.configure_process(logging.INFO)  # every request and effect
    services = build()
    try:
        web = create_app(services, host=host, sync_every=services.settings.sync.interval_seconds)
        settle_heap()
        # The peer address must stay the real one: trusted-proxy sign-in checks it.
        # log_config=None: uvicorn's lines go through integrator's format (logs.py).
        uvicorn.run(
            web,
            host=host,
            port=port,
            proxy_headers=False,
            server_header=False,
            ws="none",
            log_config=None,
            **limits(services.settings.server),
        )
    finally:
        services.close()


def settle_heap() -> None:
    """Collect, then set what serving is built of (modules, settings, the app, the store's
    statements) beyond the collector's reach, so that a full collection walks only what requests
    made since. Under a burst a full collection otherwise stops every request in flight for
    ~80 ms; after this, for ~6 ms (`bench_burst` prints it)."""
    gc.collect()
    gc.freeze()


def limits(server: ServerSettings) -> dict[str, Any]:
    """uvicorn's options for `INTEGRATOR_SERVER__*`: read deadlines, connection and header-size bounds."""
    from integrator.web.deadlines import timed_protocol

    return {
        "http": timed_protocol(
            header_seconds=server.header_timeout_seconds, body_seconds=server.body_timeout_seconds
        ),
        "timeout_keep_alive": server.keep_alive_seconds,
        "limit_concurrency": server.max_connections,
        "h11_max_incomplete_event_size": server.max_header_bytes,
    }
