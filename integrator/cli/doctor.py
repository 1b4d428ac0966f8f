"""`integrator doctor`: one table of how Jira, PagerDuty, SMTP, the hooks and the registry are wired."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from integrator.cli.wiring import wiring
from integrator.domain.checkup import Outcome

if TYPE_CHECKING:
    from integrator.application.doctor import Checkup

STYLE = {Outcome.OK: "green", Outcome.PROBLEM: "bold red", Outcome.NOT_CHECKED: "yellow"}


def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (see the README).")] = False,
    send_test: Annotated[
        bool,
        typer.Option(
            "--send-test", help="Also post a labelled test message to each chat webhook and the SMTP sender."
        ),
    ] = False,
) -> None:
    """Check the wiring against the real APIs, reading only (unless --send-test); exit 0 when every check
    passes, 1 otherwise."""
    from integrator.application.configuration import load_settings

    checkup = wiring(ctx).doctor(load_settings(), send_test=send_test)
    out = Console(highlight=False, soft_wrap=True)
    if as_json:
        out.print_json(json.dumps(checkup.as_dict()))
    else:
        show(out, checkup)
    raise typer.Exit(0 if checkup.healthy else 1)


def show(out: Console, checkup: Checkup) -> None:
    """Owner by owner, one line per check: the outcome, and what was found, the fix, or why not checked."""
    subject_width = max([len("OWNER"), *(len(f.subject) for f in checkup.findings)])
    check_width = max([len("CHECK"), *(len(f.check) for f in checkup.findings)])
    out.print(f"{'OWNER':<{subject_width}}  {'CHECK':<{check_width}}  {'RESULT':<11}  DETAIL / FIX")
    for f in checkup.findings:
        outcome = f"[{STYLE[f.outcome]}]{f.outcome.value:<11}[/]"
        out.print(
            f"{escape(f.subject):<{subject_width}}  {f.check:<{check_width}}  {outcome}  {escape(f.detail)}"
        )
    problems = sum(f.outcome is Outcome.PROBLEM for f in checkup.findings)
    unchecked = sum(f.outcome is Outcome.NOT_CHECKED for f in checkup.findings)
    verdict = f"{problems} problem(s)" if problems else "every check passes"
    out.print(f"{verdict}; {unchecked} not checked; {len(checkup.findings)} checks.")
