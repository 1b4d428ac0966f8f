"""`integrator owners` and `integrator registry check`: who owns a location; is the registry sound."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from integrator.cli.terminal import ERROR, JsonFlag, out

app = typer.Typer(no_args_is_help=True, help="The ownership registry (CODEOWNERS) and catalog.")


def owners(
    locations: Annotated[list[str], typer.Argument(metavar="LOCATION...")],
    registry: Annotated[Path | None, typer.Option(help="Registry file (default: settings).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Who owns each location, and which registry line decided."""
    from integrator.application.configuration import load_registry, load_settings
    from integrator.cli import console

    settings = load_settings()
    rules = load_registry(registry or settings.registry)
    answers = []
    for location in locations:
        rule = rules.match(location)
        team = next((o for o in rule.owners if o.startswith("@")), None) if rule else None
        answers.append((location, rule, team))
    if as_json:
        out.print_json(
            data=[
                {
                    "location": location,
                    "owners": list(rule.owners) if rule else [],
                    "line": rule.line if rule else None,
                    "pattern": rule.pattern if rule else None,
                    "team": team,
                }
                for location, rule, team in answers
            ]
        )
        return
    console.show_owners(out, answers)


@app.command("check")
def check(
    registry: Annotated[Path | None, typer.Option(help="Registry file (default: settings).")] = None,
) -> None:
    """Validate the registry against the catalog; exit 1 on any error."""
    from integrator.application.configuration import load_catalog, load_registry, load_settings

    settings = load_settings()
    catalog = load_catalog(settings)
    path = registry or settings.registry
    parsed = load_registry(path, catalog)
    for e in parsed.findings:
        hint = f" ({e.suggestion})" if e.suggestion else ""
        out.print(f"{path}:{e.line}:{e.column}: {e.kind}: {e.message}{hint}")
    if parsed.errors:
        out.print(f"{len(parsed.errors)} error(s) in {path}; those lines are skipped when matching.")
        raise typer.Exit(ERROR)
    out.print(f"{path}: {len(parsed.rules)} rules, all owners known to {settings.catalog}.")
