"""`integrator insights [--since DATE] [--until DATE] [--team H] [--json|--csv]`: the Insights figures."""

from __future__ import annotations

import csv
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from integrator.cli.terminal import BAD_INPUT, JsonFlag, err, out
from integrator.cli.wiring import services
from integrator.errors import InvalidInput

if TYPE_CHECKING:
    from integrator.application.insights import Insights

Day = Annotated[str | None, typer.Option(metavar="DATE", help="A date (2026-09-01, UTC) or an ISO time.")]


def insights(
    ctx: typer.Context,
    since: Day = None,
    until: Day = None,
    team: Annotated[str | None, typer.Option(metavar="H", help="One owner team, e.g. @acme/ingest.")] = None,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print figure,team,value rows.")] = False,
) -> None:
    """What POC failures cost, how fast each team answered, whether promises were kept (default: 90 days)."""
    from integrator.application.insights import insights_dict, insights_rows, parse_day, read_insights

    s = services(ctx)
    try:
        report = read_insights(
            s.stats,
            now=s.clock.now(),
            since=parse_day(since, "--since") if since else None,
            until=parse_day(until, "--until") if until else None,
            team=team,
            fix_hours=s.settings.sla.fix_hours,
            public_url=s.settings.public_url,
            tell_within_minutes=s.settings.protocol.tell_customer_within_minutes,
        )
    except InvalidInput as exc:
        for name, why in exc.fields.items():
            err.print(f"[bold red]error:[/] {name} {why}")
        raise typer.Exit(BAD_INPUT) from exc
    if as_json:
        out.print_json(data=insights_dict(report))
    elif as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("figure", "team", "value"))
        writer.writerows(insights_rows(report))
    else:
        show(report)


def show(report: Insights) -> None:
    """The figures as tables; "No escalations" for an empty period."""
    from integrator.application.insights import MEASURE_NAMES, duration, percent
    from integrator.domain.insights import Measure

    q, f = report.query, report.facts
    scope = f" · {q.team}" if q.team else ""
    out.print(f"Insights {q.since:%Y-%m-%d %H:%M} to {q.until:%Y-%m-%d %H:%M} UTC{scope}")
    if report.empty:
        out.print("No escalations in this period.")
        return
    arr = ", ".join(f"{a:,} {c}" for c, a in report.arr.items())
    out.print(f"Escalations {f.escalations} · deals affected {f.deals} · still open {f.still_open}")
    out.print(f"ARR at risk: {arr}")
    table = Table("Team", "Response", "p50", "p90", "Measured", title="Response")
    for team in report.teams():
        for m in Measure:
            spread = report.spread(team, m)
            if spread is None:
                table.add_row(team or "All teams", MEASURE_NAMES[m], "no data", "no data", "0")
            else:
                p50, p90 = duration(spread.p50), duration(spread.p90)
                table.add_row(team or "All teams", MEASURE_NAMES[m], p50, p90, str(spread.count))
    out.print(table)
    promises = Table("Promise", "Kept", "Broken", "Kept on time", title="Promises")
    for name, tally in (("RCA by the promised time", f.rca), (f"Fix within {report.fix_hours:g} h", f.fix)):
        promises.add_row(name, str(tally.kept), str(tally.broken), percent(report.share_kept(tally)))
    out.print(promises)
    if f.breaches:
        out.print(f"Breaches: {f.breach_count} escalation(s)")
    for b in f.breaches:
        met = f"met {b.met_at:%Y-%m-%d %H:%M}" if b.met_at else "not met"
        due = f"due {b.due:%Y-%m-%d %H:%M}, {met}"
        out.print(f"  {b.promise.upper()} {b.account} ({b.team}) {due}  {report.breach_url(b)}")
    minutes = report.tell_within_minutes
    for role, told in (("Economic Buyer", f.buyer_told), ("Executive Sponsor", f.sponsor_told)):
        shown = percent(report.share_of_all(told))
        out.print(f"{role} told within {minutes} min: {told} of {f.escalations} ({shown})")
    out.print(f"Environments halted: {f.halted}")
