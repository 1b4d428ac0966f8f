"""The entrypoint (`integrator`, `python -m integrator`): wires bootstrap and the web server into the CLI.

What a command needs is imported when it runs: `integrator --help` loads neither the database
layer nor the web app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from integrator.cli.app import run
from integrator.cli.wiring import Wiring

if TYPE_CHECKING:
    from collections.abc import Callable

    from integrator.application.doctor import Checkup
    from integrator.application.services import Services
    from integrator.settings import Settings


def build(settings: Settings) -> Services:
    from integrator import bootstrap

    return bootstrap.build(settings)


def serve(settings: Settings, build: Callable[[], Services], *, host: str, port: int) -> None:
    from integrator.web.server import serve as run_server

    run_server(settings, build, host=host, port=port)


def doctor(settings: Settings, *, send_test: bool = False) -> Checkup:
    from integrator import bootstrap

    return bootstrap.run_doctor(settings, send_test=send_test)


def migrate(settings: Settings) -> str:
    from integrator.store.db import connect, migrate, revision

    engine = connect(settings.database_url)
    try:
        migrate(engine)
        return revision(engine)
    finally:
        engine.dispose()


def wiring() -> Wiring:
    return Wiring(build=build, serve=serve, doctor=doctor, migrate=migrate)


def main() -> None:
    run(wiring())


if __name__ == "__main__":
    main()
