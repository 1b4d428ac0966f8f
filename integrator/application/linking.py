"""What a deal joining (or leaving) an open escalation of its failure owes the outside world.

No second page and no second P1: a note on the incident and a comment on the P1 name the deal;
the incident's title and the P1's summary are rewritten with the ARR now at risk (summed per
currency), once per link and once per unlink; the new deal's people are told, each address once
per escalation; the deal's own test environment is halted when its report asks. Past the re-page
line, the incident's urgency (and priority) is raised and the executive escalation told, once.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from integrator.application.announce import tell
from integrator.application.halting import owed_halt
from integrator.domain.catalog import Catalog
from integrator.domain.deals import EscalatedDeal, arr_at_risk, describe_arr
from integrator.domain.escalation import EffectKind, Escalation, Event, Owed, Topic
from integrator.domain.money import exact


def linked(
    escalation: Escalation,
    deal: EscalatedDeal,
    *,
    catalog: Catalog | None = None,
    repage_arr: Decimal | None = None,
) -> tuple[list[Owed], list[Event]]:
    """What adding `deal` to `escalation` (as stored, without it) owes, and its timeline."""
    grown = replace(escalation, linked_deals=(*escalation.linked_deals, deal))
    text = deal.describe()
    owed = [
        Owed(EffectKind.NOTE, deal.target, {"text": text}),
        Owed(EffectKind.COMMENT, deal.target, {"text": text}),
        *retitled(deal.target, label=deal.label),
        *(o for o in tell(grown, Topic.ESCALATED) if o.kind == EffectKind.EMAIL),
        *(owed_halt(grown, catalog, deal=deal.number) if catalog is not None else ()),
    ]
    line = (
        f"Deal {deal.number} linked: {deal.account} (ARR {exact(deal.arr, deal.currency)}), reported by "
        f"{deal.reporter}: {deal.report.failure.title}. ARR at risk: {describe_arr(grown.deals)}"
    )
    events = [Event(at=deal.created_at, kind="deal_linked", text=line, data={"deal": deal.number})]
    if repage_arr is not None and crossed(escalation, grown, repage_arr):
        told = (o for o in tell(grown, Topic.ARR_AT_RISK) if o.kind == EffectKind.EMAIL)
        owed += [Owed(EffectKind.URGENCY, "arr_at_risk"), *told]
        text = f"ARR at risk {describe_arr(grown.deals)} passed {repage_arr:,} (re-page threshold)"
        text += ": urgency raised, executive escalation told"
        events.append(Event(at=deal.created_at, kind="arr_threshold", text=text, data={}))
    return owed, events


def retitled(target: str, *, label: str | None = None) -> tuple[Owed, Owed]:
    """The incident's title and the P1's summary rewritten as the deals now stand (with a linked
    deal's label added to the P1 in the same edit)."""
    return (
        Owed(EffectKind.TITLE, target),
        Owed(EffectKind.SUMMARY, target, {"label": label} if label else {}),
    )


def unlinked(number: int) -> tuple[Owed, Owed]:
    """What the escalation a deal left owes: its title and summary without that deal's ARR."""
    return retitled(f"unlink-{number}")


def crossed(before: Escalation, after: Escalation, threshold: Decimal) -> bool:
    """Whether the summed ARR of some currency reaches `threshold` after, and did not before."""
    had = {a.currency: a.amount for a in arr_at_risk(before.deals)}
    return any(
        a.amount >= threshold and had.get(a.currency, Decimal(0)) < threshold
        for a in arr_at_risk(after.deals)
    )
