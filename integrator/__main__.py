"""The entrypoint (`integrator`, `python -m integrator`): wires bootstrap and the web server into the CLI."""

from __future__ import annotations

from integrator import bootstrap
from integrator.cli.app import run
from integrator.cli.wiring import Wiring
from integrator.web.server import serve


def wiring() -> Wiring:
    return Wiring(build=bootstrap.build, serve=serve, doctor=bootstrap.run_doctor)


def main() -> None:
    run(wiring())


if __name__ == "__main__":
    main()
