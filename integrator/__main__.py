"""The entrypoint (`integrator`, `python -m integrator`): wires bootstrap and the web server into the CLI."""

from __future__ import annotations

from integrator import bootstrap
from integrator.cli import app
from integrator.web.server import serve


def wiring() -> app.Wiring:
    return app.Wiring(build=bootstrap.build, serve=serve)


def main() -> None:
    app.run(wiring())


if __name__ == "__main__":
    main()
