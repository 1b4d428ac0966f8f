"""`integrator db upgrade`: bring the database schema to the newest revision, on its own."""

from __future__ import annotations

import typer

from integrator.cli.terminal import out
from integrator.cli.wiring import wiring

app = typer.Typer(no_args_is_help=True, help="The database: its schema (Alembic migrations).")


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database at INTEGRATOR_DATABASE_URL to the newest schema (a no-op when it is there)."""
    from integrator.application.configuration import load_settings

    settings = load_settings()
    revision = wiring(ctx).migrate(settings)
    out.print(f"Database schema at revision {revision}.")
