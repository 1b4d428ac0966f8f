"""Human-readable terminal output of escalations, plans and registry answers (Rich)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from integrator.application.disclosure import Told, disclosure
from integrator.domain.deals import arr_at_risk, describe_arr
from integrator.domain.escalation import EffectState, Escalation
from integrator.domain.halt import halt_status
from integrator.domain.money import exact
from integrator.domain.ownership import Rule


def show_escalation(console: Console, e: Escalation) -> None:
    if e.dry_run:
        console.print("[bold yellow]DRY RUN: this escalation was planned, not sent.[/]")
    report = e.report
    console.print(f"[bold]Escalation {e.id}[/] — {e.state.value}  {e.url}")
    console.print(
        f"  {report.deal.account}, {exact(report.deal.arr, report.deal.currency)} ARR: {report.failure.title}"
    )
    console.print(f"  Owner: {e.owner.team.handle} ({e.owner.team.service}), engineer {e.owner.engineer}")
    console.print(f"  Why:   {e.owner.explain()}")
    if e.linked_deals:
        console.print(f"  ARR at risk: {describe_arr(e.deals)} over {len(e.deals)} deals", highlight=False)
        for d in e.deals:
            line = (
                f"    deal {d.number}: {d.account}, {exact(d.arr, d.currency)} ARR, reported by {d.reporter}"
            )
            console.print(line, markup=False, highlight=False)
    if e.fingerprint:
        console.print(f"  Failure {e.fingerprint.id}: {escape(e.fingerprint.describe())}", highlight=False)
    if e.page:
        console.print(f"  Page:  PagerDuty {e.page.incident_id} {e.page.url or ''}")
    if e.ticket:
        console.print(f"  P1:    Jira {e.ticket.key} {e.ticket.url}")
    for d in e.deals:
        if (halt := halt_status(e, d.number)) is not None:
            at = f" at {halt.at:%Y-%m-%d %H:%M %Z}" if halt.at else ""
            whose = f" (deal {d.number}, {escape(d.account)})" if e.linked_deals else ""
            console.print(f"  Halt:  test environment {halt.environment}{whose} {halt.state}{at}")
    console.print(f"  RCA due {e.rca_due:%Y-%m-%d %H:%M %Z}; fix due {e.fix_due:%Y-%m-%d %H:%M %Z}")
    table = Table("effect", "state", "attempts", "last error", "next attempt", box=None, pad_edge=False)
    for f in e.effects:
        style = {EffectState.DONE: "green", EffectState.FAILED: "red"}.get(f.state, "yellow")
        table.add_row(
            f.kind.value + (f" {f.target}" if f.target else ""),
            f"[{style}]{f.state.value}[/]",
            str(f.attempts),
            f.last_error or "",
            f"{f.next_attempt_at:%H:%M:%S}" if f.next_attempt_at else "",
        )
    console.print(table)


STATE_STYLES = {Told.TOLD: "green", Told.PLANNED: "cyan", Told.FAILED: "red", Told.NOT_NAMED: "bold red"}


def show_disclosure(console: Console, e: Escalation) -> None:
    """Who knows: one row per role, with the person, whether and when they were told, and how."""
    table = Table("role", "person", "state", "channel", "detail", box=None, pad_edge=False)
    for column in table.columns[:3]:
        column.no_wrap = True
    table.columns[4].overflow = "fold"
    group: int | None = 0
    for row in disclosure(e):
        if e.linked_deals and row.deal != group:  # one group per deal, then the people they share
            group, deal = row.deal, e.deal(row.deal) if row.deal else None
            heading = f"deal {deal.number} · {deal.account}" if deal else "shared by every deal"
            table.add_row(f"[bold]{escape(heading)}[/]", end_section=False)
        style = STATE_STYLES.get(row.state, "yellow")
        at = f"at {row.at:%Y-%m-%d %H:%M} UTC" if row.at else ""
        table.add_row(
            row.role.value,
            escape(row.email or row.name or "-"),
            f"[{style}]{row.state.value}[/]",
            row.channel,
            escape("; ".join(filter(None, [at, row.detail]))),
        )
    console.print(table)


def show_timeline(console: Console, e: Escalation) -> None:
    for event in e.timeline:
        console.print(f"  {event.at:%Y-%m-%d %H:%M:%S}  {event.kind:<14} {event.text}", highlight=False)


def show_list(console: Console, escalations: Sequence[Escalation]) -> None:
    table = Table("id", "state", "account", "ARR", "owner", "page", "P1", "fix due")
    for e in escalations:
        table.add_row(
            e.id + (" (dry run)" if e.dry_run else ""),
            e.state.value,
            e.report.deal.account + (f" +{len(e.linked_deals)} deals" if e.linked_deals else ""),
            " + ".join(exact(a.amount, a.currency, code_first=True) for a in arr_at_risk(e.deals)),
            e.owner.team.handle,
            e.page.incident_id if e.page else "-",
            e.ticket.key if e.ticket else "-",
            f"{e.fix_due:%Y-%m-%d %H:%M}",
        )
    console.print(table)


def show_owners(console: Console, answers: Sequence[tuple[str, Rule | None, str | None]]) -> None:
    for location, rule, team in answers:
        if rule is None:
            console.print(f"{location}: [yellow]no registry line matches[/]", highlight=False)
        elif not rule.owners:
            console.print(
                f"{location}: unowned (line {rule.line} `{rule.pattern}` has no owners)", highlight=False
            )
        else:
            console.print(
                f"{location}: {' '.join(rule.owners)} (line {rule.line} `{rule.pattern}`"
                + (f"; team {team})" if team else ")"),
                highlight=False,
            )


def plan_dict(e: Escalation, page: dict[str, Any], ticket: dict[str, Any]) -> dict[str, Any]:
    return {"owner": e.owner.explain(), "pagerduty": page, "jira": ticket}


def linked_line(e: Escalation, deal: int) -> str:
    """What the SE is told when the report joined an open escalation instead of paging again."""
    return (
        f"Same failure as escalation {e.id}, opened for {e.report.deal.account}: the engineer is already"
        f" paged. This report was added to it as deal {deal}; ARR at risk now {describe_arr(e.deals)}."
    )
