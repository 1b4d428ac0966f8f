"""`integrator token create | revoke | list`: API tokens, each shown once and kept only as a hash."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from integrator.cli.terminal import JsonFlag, err, out
from integrator.cli.wiring import services

if TYPE_CHECKING:
    from integrator.application.tokens import Tokens

app = typer.Typer(no_args_is_help=True, help="API tokens: create (shown once), revoke, list.")


def tokens(ctx: typer.Context) -> Tokens:
    return services(ctx).tokens


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Who or what uses it, e.g. ci or priya@acme.example.")],
) -> None:
    """Create an API token and print it alone on stdout, once; only its SHA-256 hash is stored."""
    plaintext = tokens(ctx).create(name)
    typer.echo(plaintext)
    err.print(f"Token {name!r} created. Keep it now: it is not shown again.")


@app.command("revoke")
def revoke(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Revoke the live token named NAME; API calls and web sessions using it stop at once."""
    tokens(ctx).revoke(name)
    out.print(f"Revoked token {name!r}.")


@app.command("list")
def listing(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every token issued: name, created, revoked (the tokens themselves are not stored)."""
    found = tokens(ctx).list()
    if as_json:
        out.print_json(
            data=[
                {
                    "name": t.name,
                    "created_at": t.created_at.isoformat(),
                    "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                }
                for t in found
            ]
        )
        return
    if not found:
        out.print("No tokens. Create one with `integrator token create --name NAME`.")
    for t in found:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M} UTC" if t.revoked_at else "live"
        out.print(f"{t.name}  created {t.created_at:%Y-%m-%d %H:%M} UTC  {state}")
