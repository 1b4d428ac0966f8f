"""A report as flags: one flag per report field, and messages that name the flags the user typed.

`FLAGS` is the one table between the CLI's flags and the report's fields: it makes the options of
`escalate` and `plan` (`with_report_flags`), builds the report from them, and names the flag in a
message about a field (`--arr: is required`, not `deal.arr`). With `--file` the user wrote JSON, so
messages keep its paths. `--account NAME` fills, from the account's latest report, every deal
field that neither the flags nor the file give.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from integrator.errors import InvalidInput, renamed


@dataclass(frozen=True)
class Flag:
    flag: str  # as typed: --economic-buyer-email
    path: str  # the report field it gives: deal.economic_buyer.email
    help: str
    kind: Any = str | None
    aliases: tuple[str, ...] = ()

    @property
    def param(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


def _people() -> list[Flag]:
    roles = (
        ("economic_buyer", "the customer's economic buyer"),
        ("executive_sponsor", "our executive sponsor"),
        ("account_executive", "the account executive"),
    )
    return [
        Flag(f"--{role.replace('_', '-')}-{part}", f"deal.{role}.{part}", f"{part} of {who}")
        for role, who in roles
        for part in ("name", "email")
    ]


_MANY, _FILE = list[str] | None, Path | None
FLAGS: tuple[Flag, ...] = (
    Flag("--account", "deal.account", "the customer account; a known one fills the deal fields not given"),
    Flag("--arr", "deal.arr", "ARR at stake: 480000, 480,000, $500k, 1.2M or USD 480000"),
    Flag("--currency", "deal.currency", "ISO code of the ARR's currency (default USD)"),
    Flag("--poc-ends-on", "deal.poc_ends_on", "when the proof-of-concept ends (YYYY-MM-DD)"),
    *_people(),
    Flag("--title", "failure.title", "one line the engineer reads on their phone"),
    Flag("--description", "failure.description", "what happened, at length"),
    Flag("--criterion", "failure.criterion", "the Mutual Success Plan criterion violated"),
    Flag("--observed", "failure.observed", "what was observed"),
    Flag("--location", "failure.locations", "a source path, service or API route (repeatable)", _MANY),
    Flag("--stack-trace", "failure.stack_trace", "a file holding the stack trace ('-' for stdin)", _FILE),
    Flag("--environment", "failure.environment", "where it failed, e.g. poc-globex-eu1"),
    Flag("--test-halted", "failure.test_halted", "the customer's test is already halted by hand", bool),
    Flag("--halt", "failure.halt", "halt the customer's test environment now (see --environment)", bool),
    Flag("--occurred-at", "failure.occurred_at", "when it happened (ISO 8601, e.g. 2026-11-28T14:05+01:00)"),
    Flag("--reporter-name", "reporter.name", "your name"),
    Flag("--reporter-email", "reporter.email", "your email", aliases=("--reporter",)),
    Flag("--time-zone", "reporter.time_zone", "your IANA time zone, e.g. Europe/Berlin (default UTC)"),
    Flag("--rca-due", "rca_due", "when the customer gets the root-cause analysis (ISO 8601)"),
    Flag("--idempotency-key", "idempotency_key", "a repeat-safe key: a repeat gives the first escalation"),
)
_BY_PATH = {f.path: f for f in FLAGS}
NO_LOCATION = "--location or --stack-trace is required"
ReportFlags = Mapping[str, Any]  # the flags' values by parameter name


def flag_of(path: str) -> str:
    """The flag that gives the field at `path` (`failure.locations.0` → `--location`), else the path."""
    field = path
    while field not in _BY_PATH and "." in field:
        field = field.rpartition(".")[0]
    return _BY_PATH[field].flag if field in _BY_PATH else path


def flag_messages(fields: Mapping[str, str]) -> dict[str, str]:
    """The report's messages, each on the flag the user typed."""
    return renamed(fields, flag_of, no_location=NO_LOCATION)


def given(flags: ReportFlags) -> list[str]:
    """The report flags the user typed (`--account` aside)."""
    return [f.flag for f in FLAGS if f.flag != "--account" and flags.get(f.param) not in (None, False, [])]


def report_data(flags: ReportFlags) -> dict[str, Any]:
    """The report the flags describe, nested as in the report JSON; flags not given are left out.

    Its sections are always there, so a missing field is named by its own flag (`--reporter-email`).
    """
    data: dict[str, Any] = {"deal": {}, "failure": {}, "reporter": {}}
    for f in FLAGS:
        value = flags.get(f.param)
        if value in (None, False, []):
            continue
        if f.flag == "--stack-trace":
            value = _read(value, f.flag)
        *parents, name = f.path.split(".")
        target = data
        for part in parents:
            target = target.setdefault(part, {})
        target[name] = value
    return data


def _read(file: Path, flag: str) -> str:
    try:
        return sys.stdin.read() if str(file) == "-" else file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput({flag: f"cannot read {file} ({getattr(exc, 'strerror', None) or exc})"}) from exc


def with_report_flags(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with an option per report field; it receives their values as `flags`.

    Typer reads a command's options from its signature: the flags' parameters are added to it
    here, from `FLAGS`, rather than written out again in every command that takes a report.
    """
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "flags"]
    added = [
        inspect.Parameter(
            f.param,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[f.kind, typer.Option(f.flag, *f.aliases, help=f.help, show_default=False)],
            default=False if f.kind is bool else None,
        )
        for f in FLAGS
    ]

    @functools.wraps(command)
    def run(*args: Any, **values: Any) -> None:
        flags = {f.param: values.pop(f.param, None) for f in FLAGS}
        command(*args, flags=flags, **values)

    signature = inspect.Signature([*own, *added])
    run.__signature__ = signature  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    return run
