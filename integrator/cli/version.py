"""`integrator --version`: the installed distribution's version, printed before any command runs."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer


def installed_version() -> str:
    """The version of the installed `integrator` distribution ("0" when run from an uninstalled tree)."""
    try:
        return version("integrator")
    except PackageNotFoundError:
        return "0"


def _show(wanted: bool) -> None:
    if wanted:
        typer.echo(f"integrator {installed_version()}")
        raise typer.Exit()


def options(
    show_version: Annotated[
        bool, typer.Option("--version", callback=_show, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    # Options of the command itself (before any subcommand); the help text is the app's own. It runs
    # only when a command does (not for `--help`), so the log set-up costs `--help` nothing.
    from integrator import logs

    logs.configure_process()
