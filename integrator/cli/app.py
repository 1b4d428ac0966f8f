"""The `integrator` command line: a few lines per command over the services the entrypoint wires in.

The commands never build anything themselves: `integrator.__main__` hands `run` a `Wiring` (how to
build the services, how to serve them; see `cli.wiring`), and tests may hand ready `Services` in as
the context obj. Token and registry commands live in `cli.tokens` and `cli.registry`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from integrator.cli import db, registry, tokens, version
from integrator.cli.doctor import doctor
from integrator.cli.insights import insights
from integrator.cli.terminal import BAD_INPUT, ERROR, OK, PENDING, JsonFlag, err, out
from integrator.cli.wiring import Wiring, services, wiring
from integrator.domain.escalation import EffectState, Escalation, State
from integrator.errors import IntegratorError, InvalidInput

if TYPE_CHECKING:
    from integrator.domain.report import FailureReport

# What a command needs is imported when it runs, so that `integrator --help` starts fast.


class _Edge(TyperGroup):
    """Turns integrator's errors into one message and an exit code, once, for every command."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
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
ReportFile = Annotated[Path | None, typer.Option("--file", "-f", help="Report JSON file ('-' for stdin).")]


def parse_file(file: Path | None, flags: dict[str, Any]) -> FailureReport:
    """The report from `--file` or the flags; a file that is not a JSON object is named as `--file`."""
    from integrator.application.escalate import parse_report

    try:
        return parse_report(read_report(file, flags))
    except InvalidInput as exc:
        if "body" not in exc.fields:
            raise
        raise InvalidInput({"--file": exc.fields["body"]}) from exc


def read_report(file: Path | None, flags: dict[str, Any]) -> Any:
    if file is not None:
        try:
            return sys.stdin.read() if str(file) == "-" else file.read_bytes()
        except OSError as exc:
            raise InvalidInput({"--file": f"cannot read {file} ({exc.strerror})"}) from exc
    if not any(flags.values()):
        raise InvalidInput({"--file": "give a report file, or the report as flags (see --help)"})
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
    from integrator.application.present import escalation_dict
    from integrator.cli import console

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
    from integrator.cli import console

    s = services(ctx)
    escalation, page, ticket = s.escalator.plan(parse_file(file, {}))
    result = console.plan_dict(escalation, page, ticket)
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
    from integrator.application.present import escalation_dict
    from integrator.cli import console

    store = services(ctx).store
    if escalation_id is None:
        found = store.recent(states=state)
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
        summary = s.syncer.run_pass()
        for line in summary.lines():
            out.print(line)
        raise typer.Exit(PENDING if summary.pending else OK)
    while True:  # a loop for a process supervisor: a failed pass is reported, the next one comes
        try:
            for line in s.syncer.run_pass().lines():
                out.print(line)
        except IntegratorError as exc:  # StoreUnavailable included: the next pass may find the database
            err.print(f"[bold red]sync pass failed:[/] {exc}")
        time.sleep(every)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind (auth mode none: loopback only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web form, the JSON API, health and metrics; run the sync pass in the process."""
    from integrator.application.configuration import load_settings, served_settings

    settings = served_settings(load_settings(), host=host, port=port)
    wiring(ctx).serve(settings, lambda: services(ctx, settings=settings), host=host, port=port)


app.command()(registry.owners)
app.add_typer(registry.app, name="registry")
app.command()(serve)  # registered here, after owners, as before the split
app.add_typer(tokens.app, name="token")
app.add_typer(db.app, name="db")
app.command()(doctor)
app.command()(insights)
app.callback()(version.options)


def run(wired: Wiring) -> None:
    """Run the command line on the process's arguments, its commands wired by the entrypoint."""
    app(prog_name="integrator", obj=wired)
