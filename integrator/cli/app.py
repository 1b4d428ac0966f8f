"""The `integrator` command line: a few lines per command over the services the entrypoint wires in.

The commands never build anything themselves: `integrator.__main__` hands `run` a `Wiring` (how to
build the services, how to serve them; see `cli.wiring`), and tests may hand ready `Services` in as
the context obj. Token and registry commands live in `cli.tokens` and `cli.registry`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from integrator.cli import db, registry, tokens, version
from integrator.cli.doctor import doctor
from integrator.cli.insights import insights
from integrator.cli.reportflags import ReportFlags, with_report_flags
from integrator.cli.terminal import BAD_INPUT, ERROR, OK, PENDING, JsonFlag, err, out
from integrator.cli.wiring import Wiring, services, wiring
from integrator.domain.escalation import EffectState, Escalation, State
from integrator.errors import IntegratorError, InvalidInput, NotFound

if TYPE_CHECKING:
    from integrator.application.records import AccountStore
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


def parse_file(file: Path | None, flags: ReportFlags, accounts: Callable[[], AccountStore]) -> FailureReport:
    """The report from `--file` or the flags, `--account` filling what neither gives.

    Messages name the flags in flag mode and the JSON paths in `--file` mode (the user wrote JSON);
    a file that is not a JSON object is named as `--file`.
    """
    from integrator.application.escalate import parse_report
    from integrator.cli import reportflags

    data, names = read_report(file, flags)
    if flags.get("account") and isinstance(data, dict):
        data["deal"] = _from_account(data.get("deal"), flags["account"], accounts)
    try:
        return parse_report(data)
    except InvalidInput as exc:
        if "body" in exc.fields:
            raise InvalidInput({"--file": exc.fields["body"]}) from exc
        raise InvalidInput(reportflags.flag_messages(exc.fields) if names else exc.fields) from exc


def read_report(file: Path | None, flags: ReportFlags) -> tuple[Any, bool]:
    """The report's data, and whether it came from the flags (so messages name flags)."""
    from integrator.cli import reportflags
    from integrator.domain.jsonbody import load_json

    if file is not None:
        if extra := reportflags.given(flags):
            raise InvalidInput(dict.fromkeys(extra, "give the report in --file or as flags, not both"))
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_bytes()
        except OSError as exc:
            raise InvalidInput({"--file": f"cannot read {file} ({exc.strerror})"}) from exc
        try:
            return load_json(text), False
        except InvalidInput as exc:
            raise InvalidInput({"--file": exc.fields["body"]}) from exc
    if not any(value not in (None, False, []) for value in flags.values()):
        raise InvalidInput({"--file": "give a report file, or the report as flags (see --help)"})
    return reportflags.report_data(flags), True


def _from_account(deal: Any, name: str, accounts: Callable[[], AccountStore]) -> Any:
    """The deal with what it does not give taken from the account's latest report, if it has one."""
    from integrator.application.accounts import filled

    deal = {"account": name} if deal is None else deal
    if not isinstance(deal, dict):
        return deal  # validation names it
    try:
        return filled({"account": name, **deal}, accounts().get(name))
    except NotFound:
        return {"account": name, **deal}  # a new account: remembered once this report is in


def exit_code(e: Escalation) -> int:
    if e.dry_run or all(f.state == EffectState.DONE for f in e.effects):
        return OK
    return ERROR if any(f.state == EffectState.FAILED for f in e.effects) else PENDING


@app.command()
@with_report_flags
def escalate(
    ctx: typer.Context,
    file: ReportFile = None,
    as_json: JsonFlag = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and store, send nothing.")] = False,
    separate: Annotated[
        bool,
        typer.Option(
            "--separate", help="A different failure: never add it to an open escalation of the same one."
        ),
    ] = False,
    *,
    flags: ReportFlags,
) -> None:
    """Escalate a failure: page the owner, file the P1, cross-link them.

    Give the report as JSON (--file) or as flags.
    --account NAME fills the deal fields neither gives from that account's latest report.
    """
    from integrator.application.present import submitted_dict
    from integrator.cli import console

    report = parse_file(file, flags, lambda: services(ctx, dry_run=dry_run).accounts)
    if separate:
        report = report.model_copy(update={"link": False})
    escalator = services(ctx, dry_run=dry_run).escalator
    warnings = escalator.warnings(report)  # a required contact missing: exit 2, nothing stored
    for warning in warnings:
        err.print(f"warning: {warning}", markup=False)
    escalation, created = escalator.escalate(report)
    answer = submitted_dict(escalation, report, warnings)
    if as_json:
        out.print_json(data=answer)
    else:
        if not created:
            out.print(f"Already escalated (idempotency key {report.idempotency_key!r}); showing the first.")
        elif answer["linked"]:
            out.print(console.linked_line(escalation, answer["deal"]), markup=False)
        console.show_escalation(out, escalation)
        pending = [f for f in escalation.effects if f.state == EffectState.PENDING]
        if pending and not escalation.dry_run:
            out.print("[yellow]Stored; pending effects will be retried by `integrator sync`.[/]")
    raise typer.Exit(exit_code(escalation))


@app.command()
@with_report_flags
def plan(
    ctx: typer.Context,
    file: ReportFile = None,
    as_json: JsonFlag = False,
    separate: Annotated[
        bool, typer.Option("--separate", help="A different failure: show it as its own page and P1.")
    ] = False,
    *,
    flags: ReportFlags,
) -> None:
    """Show what `escalate` would do for a report (--file or flags): owner, page, ticket; sends nothing."""
    from integrator.cli import console

    s = services(ctx)
    report = parse_file(file, flags, lambda: s.accounts)
    if separate:
        report = report.model_copy(update={"link": False})
    escalation, page, ticket = s.escalator.plan(report)
    result = console.plan_dict(escalation, page, ticket)
    match = s.escalator.match(report)
    notice = s.escalator.notice(match) if match else None
    if as_json:
        linked = {"id": match.id, "url": match.url, "notice": notice} if match else None
        out.print_json(data={"plan": True, "sent": False, **result, "match": linked})
        return
    out.print("[bold yellow]PLAN: nothing was sent or stored.[/]")
    if notice:
        out.print(notice, markup=False, highlight=False)
        out.print("(It is a different failure? `escalate --separate` pages and files it on its own.)")
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
    out.print("Who knows:")
    console.show_disclosure(out, escalation)
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


@app.command()
def resume(
    ctx: typer.Context,
    escalation_id: Annotated[str, typer.Argument(metavar="ID")],
    deal: Annotated[
        int | None,
        typer.Option(
            "--deal", min=1, help="Resume only this deal's environment (default: every halted deal)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Resume the customer's test environments integrator halted, once the escalation is fixed."""
    from integrator.application.halting import owe_resume
    from integrator.application.present import escalation_dict
    from integrator.cli import console
    from integrator.domain.escalation import EffectKind

    s = services(ctx)
    owe_resume(s.store, s.store.get(escalation_id), by="the command line", now=s.clock.now(), deal=deal)
    escalation = s.dispatcher.drive(escalation_id, kinds={EffectKind.RESUME})
    if as_json:
        out.print_json(data=escalation_dict(escalation))
    else:
        console.show_escalation(out, escalation)
    resumes = [f for f in escalation.effects if f.kind == EffectKind.RESUME]
    states = {f.state for f in resumes} or {EffectState.PENDING}
    state = next((st for st in (EffectState.FAILED, EffectState.PENDING) if st in states), EffectState.DONE)
    raise typer.Exit({EffectState.DONE: OK, EffectState.FAILED: ERROR}.get(state, PENDING))


@app.command()
def unlink(
    ctx: typer.Context,
    escalation_id: Annotated[str, typer.Argument(metavar="ID")],
    deal: Annotated[int, typer.Argument(metavar="DEAL", help="The deal's number (2, 3, …) in `status ID`.")],
    as_json: JsonFlag = False,
) -> None:
    """A linked deal was a different failure: make it an escalation of its own, with its own page and P1."""
    from integrator.application.present import escalation_dict
    from integrator.cli import console

    s = services(ctx)
    new = s.escalator.unlink(escalation_id, deal, by="the command line")
    escalation = s.dispatcher.drive(new.id)
    s.dispatcher.drive(escalation_id)  # what it left: its title and summary without the deal's ARR
    if as_json:
        out.print_json(data=escalation_dict(escalation))
    else:
        out.print(f"Deal {deal} of escalation {escalation_id} is now escalation {escalation.id}.")
        console.show_escalation(out, escalation)
    raise typer.Exit(exit_code(escalation))


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
