"""What the entrypoint hands the commands (`Wiring`), and the services a command builds from it, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import typer

from integrator.errors import ConfigError

if TYPE_CHECKING:
    from integrator.application.doctor import Checkup
    from integrator.application.services import Services
    from integrator.settings import Settings


class Serve(Protocol):
    def __call__(self, settings: Settings, build: Callable[[], Services], *, host: str, port: int) -> None:
        """Refuse `settings` unfit to serve on `host` before calling `build`; then serve until stopped."""
        ...


class Doctor(Protocol):
    def __call__(self, settings: Settings, *, send_test: bool = False) -> Checkup:
        """Check the wiring, reading only; with `send_test`, post a test message to each chat and mailbox."""
        ...


@dataclass(frozen=True)
class Wiring:
    """What the entrypoint hands the commands: how to build the services, and how to serve them."""

    build: Callable[[Settings], Services]
    serve: Serve
    doctor: Doctor
    migrate: Callable[[Settings], str]  # the schema's revision after migrating


def services(ctx: typer.Context, *, dry_run: bool = False, settings: Settings | None = None) -> Services:
    """The services, built on first use and closed with the command (tests may hand ready ones in).

    `settings` (default: read from the environment) are those of the first use.
    """
    from integrator.application.configuration import load_settings
    from integrator.application.services import Services

    root = ctx.find_root()
    if isinstance(root.obj, Services):
        return root.obj
    if "services" not in root.meta:
        settings = settings or load_settings()
        if dry_run:
            settings = settings.model_copy(update={"dry_run": True})
        built = root.meta["services"] = wiring(ctx).build(settings)
        root.call_on_close(built.close)
    found: Services = root.meta["services"]
    return found


def wiring(ctx: typer.Context) -> Wiring:
    obj = ctx.find_root().obj
    if not isinstance(obj, Wiring):
        raise ConfigError("run integrator as `integrator` or `python -m integrator`, which wire its commands")
    return obj
