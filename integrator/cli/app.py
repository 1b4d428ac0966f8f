"""The `integrator` command line: a few lines per command over the services bootstrap builds."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from integrator import bootstrap
from integrator.application.escalate import parse_report
from integrator.application.present import escalation_dict
from integrator.application.sync import run_pass
from integrator.application.tokens import Tokens
from integrator.cli import console
from integrator.domain.escalation import EffectState, Escalation, State
from integrator.domain.report import FailureReport
from integrator.errors import IntegratorError, InvalidReport

OK, ERROR, BAD_INPUT, PENDING = 0, 1, 2, 3

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _Edge(TyperGroup):
    """Turns integrator's errors into one message and an exit code, once, for every command."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            return super().invoke(ctx)
        except InvalidReport as exc:
            err.print("[bold red]error:[/] invalid report, nothing was stored or sent:")
            for name, why in exc.fields.items():
                err.print(f"  {name}: {why}")
            raise typer.Exit(BAD_INPUT) from exc
        except IntegratorError as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(ERROR) from exc


app = typer.Typer(
    cls=_Edge,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Report a failed proof-of-concept once: page the owner, file the P1, start the 48-hour clock.",
)
registry_app = typer.Typer(no_args_is_help=True, help="The ownership registry (CODEOWNERS) and catalog.")
app.add_typer(registry_app, name="registry")
token_app = typer.Typer(no_args_is_help=True, help="API tokens: create (shown once), revoke, list.")
app.add_typer(token_app, name="token")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (stable; see the README).")]
ReportFile = Annotated[Path | None, typer.Option("--file", "-f", help="Report JSON file ('-' for stdin).")]


def services(ctx: typer.Context, *, dry_run: bool = False) -> bootstrap.Services:
    """The services, built on first use (tests may hand ready ones in as the context's obj)."""
    root = ctx.find_root()
    if not isinstance(root.obj, bootstrap.Services):
        settings = bootstrap.load_settings()
        if dry_run:
            settings = settings.model_copy(update={"dry_run": True})
        root.obj = bootstrap.build(settings)
    return root.obj


def parse_file(file: Path | None, flags: dict[str, Any]) -> FailureReport:
    """The report from `--file` or the flags; a file that is not a JSON object is named as `--file`."""
    try:
        return parse_report(read_report(file, flags))
    except InvalidReport as exc:
        if "body" not in exc.fields:
            raise
        raise InvalidReport({"--file": exc.fields["body"]}) from exc


def read_report(file: Path | None, flags: dict[str, Any]) -> Any:
    if file is not None:
        try:
            return sys.stdin.read() if str(file) == "-" else file.read_bytes()
        except OSError as exc:
            raise InvalidReport({"--file": f"cannot read {file} ({exc.strerror})"}) from exc
    if not any(flags.values()):
        raise InvalidReport({"--file": "give a report file, or the report as flags (see --help)"})
    return {
        "deal": {"account": flags["account"], "arr": flags["arr"]},
        "failure": {
            "title": flags["title"],
            "criterion": flags["criterion"] or "",
            "observed": flags["observed"] or "",
            "locations": flags["location"] or [],
            "stack_trace": flags["stack_trace"].read_text() if flags["stack_trace"] else "",
            "test_halted": flags["test_halted"],
        },
        "reporter": {"email": flags["reporter"]},
        "idempotency_key": flags["idempotency_key"],
    }


def exit_code(e: Escalation) -> int:
    if e.dry_run or all(f.state == EffectState.DONE for f in e.effects):
        return OK
    return ERROR if any(f.state == EffectState.FAILED for f in e.effects) else PENDING


@app.command()
def escalate(
    ctx: typer.Context,
    file: ReportFile = None,
    account: Annotated[str | None, typer.Option(help="deal.account")] = None,
    arr: Annotated[str | None, typer.Option(help="deal.arr, e.g. 480000")] = None,
    title: Annotated[str | None, typer.Option(help="failure.title")] = None,
    criterion: Annotated[str | None, typer.Option(help="failure.criterion violated")] = None,
    observed: Annotated[str | None, typer.Option(help="failure.observed")] = None,
    location: Annotated[list[str] | None, typer.Option(help="failure.locations (repeatable)")] = None,
    stack_trace: Annotated[Path | None, typer.Option(help="file holding failure.stack_trace")] = None,
    test_halted: Annotated[bool, typer.Option(help="failure.test_halted")] = False,
    reporter: Annotated[str | None, typer.Option(help="reporter.email")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="repeat-safe key")] = None,
    as_json: JsonFlag = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and store, send nothing.")] = False,
) -> None:
    """Escalate a failure: page the owner, file the P1, cross-link them."""
    flags = {
        "account": account, "arr": arr, "title": title, "criterion": criterion, "observed": observed,
        "location": location, "stack_trace": stack_trace, "test_halted": test_halted,
        "reporter": reporter, "idempotency_key": idempotency_key,
    }  # fmt: skip
    report = parse_file(file, flags)
    escalation, created = services(ctx, dry_run=dry_run).escalator.escalate(report)
    if as_json:
        out.print_json(data=escalation_dict(escalation))
    else:
        if not created:
            out.print(f"Already escalated (idempotency key {report.idempotency_key!r}); showing the first.")
        console.show_escalation(out, escalation)
        pending = [f for f in escalation.effects if f.state == EffectState.PENDING]
        if pending and not escalation.dry_run:
            out.print("[yellow]Stored; pending effects will be retried by `integrator sync`.[/]")
    raise typer.Exit(exit_code(escalation))


@app.command()
def plan(ctx: typer.Context, file: ReportFile = None, as_json: JsonFlag = False) -> None:
    """Show what `escalate` would do for a report: owner, page and ticket. Sends and stores nothing."""
    s = services(ctx)
    escalation = s.escalator.prepare(parse_file(file, {}))
    result = console.plan_dict(
        escalation, s.dispatcher.pager.plan(escalation), s.dispatcher.tracker.plan(escalation)
    )
    if as_json:
        out.print_json(data={"plan": True, "sent": False, **result})
        return
    out.print("[bold yellow]PLAN: nothing was sent or stored.[/]")
    out.print(f"Owner: {escalation.owner.team.handle}, page {escalation.owner.engineer}")
    out.print(f"Why:   {result['owner']}")
    out.print("PagerDuty incident that would be created:")
    out.print_json(data=result["pagerduty"])
    out.print("Jira P1 that would be filed:")
    out.print_json(data=result["jira"])


@app.command()
def status(
    ctx: typer.Context,
    escalation_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
    state: Annotated[list[State] | None, typer.Option(help="Only these states.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Escalations and their timelines."""
    store = services(ctx).store
    if escalation_id is None:
        found = store.list(states=state)
        if as_json:
            out.print_json(data=[escalation_dict(e) for e in found])
        elif not found:
            out.print("No escalations.")
        else:
            console.show_list(out, found)
        return
    escalation = store.get(escalation_id)
    if as_json:
        out.print_json(data=escalation_dict(escalation))
        return
    console.show_escalation(out, escalation)
    out.print("Timeline:")
    console.show_timeline(out, escalation)


@app.command()
def sync(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    every: Annotated[float | None, typer.Option(help="A pass every SECONDS until stopped.")] = None,
) -> None:
    """Run the status sync: due effects, status pull, SLA clocks. Exit 3 while effects stay pending."""
    s = services(ctx)
    if every is None or once:
        summary = run_pass(s)
        for line in summary.lines():
            out.print(line)
        raise typer.Exit(PENDING if summary.pending else OK)
    while True:  # a loop for a process supervisor: a failed pass is reported, the next one comes
        try:
            for line in run_pass(s).lines():
                out.print(line)
        except (IntegratorError, SQLAlchemyError) as exc:
            err.print(f"[bold red]sync pass failed:[/] {exc}")
        time.sleep(every)


@app.command()
def owners(
    ctx: typer.Context,
    locations: Annotated[list[str], typer.Argument(metavar="LOCATION...")],
    registry: Annotated[Path | None, typer.Option(help="Registry file (default: settings).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Who owns each location, and which registry line decided."""
    settings = bootstrap.load_settings()
    rules = bootstrap.load_registry(registry or settings.registry)
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


@registry_app.command("check")
def registry_check(
    registry: Annotated[Path | None, typer.Option(help="Registry file (default: settings).")] = None,
) -> None:
    """Validate the registry against the catalog; exit 1 on any error."""
    settings = bootstrap.load_settings()
    catalog = bootstrap.load_catalog(settings)
    path = registry or settings.registry
    parsed = bootstrap.load_registry(path, catalog)
    for e in parsed.findings:
        hint = f" ({e.suggestion})" if e.suggestion else ""
        out.print(f"{path}:{e.line}:{e.column}: {e.kind}: {e.message}{hint}")
    if parsed.errors:
        out.print(f"{len(parsed.errors)} error(s) in {path}; those lines are skipped when matching.")
        raise typer.Exit(ERROR)
    out.print(f"{path}: {len(parsed.rules)} rules, all owners known to {settings.catalog}.")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind (auth mode none: loopback only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web form, the JSON API, health and metrics; run the sync pass in the process."""
    import uvicorn

    from integrator.web.app import check_serving, create_app

    root = ctx.find_root()
    settings = root.obj.settings if isinstance(root.obj, bootstrap.Services) else bootstrap.load_settings()
    check_serving(settings, host)  # before anything is built or bound
    s = services(ctx)
    web = create_app(s, host=host, sync_every=s.settings.sync.interval_seconds)
    # The peer address must stay the real one: trusted-proxy sign-in checks it.
    uvicorn.run(web, host=host, port=port, proxy_headers=False, server_header=False, ws="none")


def tokens(ctx: typer.Context) -> Tokens:
    s = services(ctx)
    return Tokens(s.store.engine, clock=s.clock)


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Who or what uses it, e.g. ci or priya@acme.example.")],
) -> None:
    """Create an API token and print it alone on stdout, once; only its SHA-256 hash is stored."""
    plaintext = tokens(ctx).create(name)
    typer.echo(plaintext)
    err.print(f"Token {name!r} created. Keep it now: it is not shown again.")


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Revoke the live token named NAME; API calls and web sessions using it stop at once."""
    tokens(ctx).revoke(name)
    out.print(f"Revoked token {name!r}.")


@token_app.command("list")
def token_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
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


def main() -> None:
    app(prog_name="integrator")
