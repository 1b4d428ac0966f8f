"""Who knows: per role, the person, the channel and whether they have been told (pure, over an escalation).

The protocol's "stop and tell" made visible. Each row is read off what the escalation already
holds: the report's people, the owner's team, and the effects that told them — the page tells
the engineer, the `escalated:` emails tell the people named at report time, a customer update
tells the Economic Buyer, the `breach:` emails tell the breach contacts. A dry-run effect is
stored done with a planned result: its row says planned, never told.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from integrator.application.updates import is_customer_update
from integrator.domain.clocks import deal_milestone
from integrator.domain.escalation import Effect, EffectKind, EffectState, Escalation, Topic
from integrator.domain.report import Person
from integrator.domain.status import MILESTONE
from integrator.messages.facts import moment


def reminded_kind(deal: int) -> str:
    """The timeline kind of one deal's reminder to tell its customer."""
    return f"{MILESTONE}{deal_milestone(Topic.TELL_CUSTOMER, deal)}"


class Role(StrEnum):
    ECONOMIC_BUYER = "economic_buyer"
    EXECUTIVE_SPONSOR = "executive_sponsor"
    ACCOUNT_EXECUTIVE = "account_executive"
    EXECUTIVE_ESCALATION = "executive_escalation"
    ENGINEER = "engineer"
    REPORTER = "reporter"
    BREACH_CONTACT = "breach_contact"


class Told(StrEnum):
    TOLD = "told"
    PLANNED = "planned"  # dry-run: it would have gone out
    PENDING = "pending"  # not (yet) told: owed, retrying, or waiting for its moment
    FAILED = "failed"
    NOT_NAMED = "not_named"  # nobody to tell: the report or the catalog names no one


LABELS = {
    Role.ECONOMIC_BUYER: "Economic Buyer (customer)",
    Role.EXECUTIVE_SPONSOR: "Executive Sponsor",
    Role.ACCOUNT_EXECUTIVE: "Account Executive",
    Role.EXECUTIVE_ESCALATION: "Executive escalation",
    Role.ENGINEER: "Owning engineer",
    Role.REPORTER: "Reporting SE",
    Role.BREACH_CONTACT: "Breach contact",
}
TOPIC_WORDS = {"escalated": "the report", "breach": "the breach", "fixed": "the fix"}


@dataclass(frozen=True)
class Disclosed:
    """One role's person, how they are told, and where that stands."""

    role: Role
    name: str
    email: str | None
    channel: str  # "page", "email" or "customer update"
    state: Told
    at: datetime | None = None
    detail: str = ""
    deal: int | None = None  # the deal whose person this is; None for the people every deal shares

    @property
    def label(self) -> str:
        return LABELS[self.role]

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role.value,
            "name": self.name,
            "email": self.email,
            "channel": self.channel,
            "state": self.state.value,
            "at": self.at.isoformat() if self.at else None,
            "detail": self.detail,
            "deal": self.deal,
        }


def disclosure(e: Escalation) -> list[Disclosed]:
    """Every role, in the protocol's order, grouped by deal: each deal's own people (deal 1 first:
    the customer's Economic Buyer, the Executive Sponsor, the Account Executive, the reporting SE),
    then the people every deal shares, once (the executive escalation, the owning engineer, the
    breach contacts)."""
    team = e.owner.team
    return [
        *(row for deal in e.deals for row in deal_people(e.for_deal(deal.number), deal.number)),
        *_listed(e, Role.EXECUTIVE_ESCALATION, team.executive_escalation, ("escalated", "breach", "fixed")),
        _engineer(e),
        *_listed(e, Role.BREACH_CONTACT, team.breach_contacts, ("breach",)),
    ]


def deal_people(e: Escalation, number: int) -> list[Disclosed]:
    """One deal's rows (`e` as that deal's people see it): each as their own emails and updates stand."""
    deal, reporter = e.report.deal, e.report.reporter
    rows = [
        _economic_buyer(e),
        _named(e, Role.EXECUTIVE_SPONSOR, deal.executive_sponsor),
        _named(e, Role.ACCOUNT_EXECUTIVE, deal.account_executive),
        _by_email(e, Role.REPORTER, reporter.name, reporter.email, ("escalated",)),
    ]
    return [replace(row, deal=number) for row in rows]


def customer_told(e: Escalation) -> Disclosed:
    """The Economic Buyer's row: whether the customer has been sent an update."""
    return _economic_buyer(e)


def _economic_buyer(e: Escalation) -> Disclosed:
    buyer = e.report.deal.economic_buyer
    name = buyer.name if buyer else ""
    if buyer is None or not buyer.email:
        return Disclosed(
            Role.ECONOMIC_BUYER, name, None, "customer update", Told.NOT_NAMED, detail=_unnamed(buyer)
        )
    address = buyer.email.lower()
    updates = [
        f
        for f in e.effects
        if f.kind == EffectKind.EMAIL
        and is_customer_update(f.target)
        and str(f.payload.get("to", "")).lower() == address
    ]
    row = _from_effects(e, Role.ECONOMIC_BUYER, name, buyer.email, "customer update", updates)
    if row is not None:
        return row
    reminded = next((ev for ev in e.timeline if ev.kind == reminded_kind(e.seen_as)), None)
    detail = "no customer update sent yet"
    if reminded is not None:
        detail += f"; the reporting SE was reminded at {moment(reminded.at)}"
    return Disclosed(Role.ECONOMIC_BUYER, name, buyer.email, "customer update", Told.PENDING, detail=detail)


def _named(e: Escalation, role: Role, who: Person | None) -> Disclosed:
    if who is None or not who.email:
        return Disclosed(role, who.name if who else "", None, "email", Told.NOT_NAMED, detail=_unnamed(who))
    return _by_email(e, role, who.name, who.email, ("escalated",))


def _unnamed(who: Person | None) -> str:
    if who is not None and who.name:
        return f"{who.name} is named without an email: nobody can tell them"
    return "the report names nobody"


def _listed(e: Escalation, role: Role, addresses: Iterable[str], topics: tuple[str, ...]) -> list[Disclosed]:
    rows = [_by_email(e, role, "", address, topics) for address in addresses]
    if rows:
        return rows
    where = "executive_escalation" if role == Role.EXECUTIVE_ESCALATION else f'owners."{e.owner.team.handle}"'
    detail = f"the catalog names nobody ({where})"
    return [Disclosed(role, "", None, "email", Told.NOT_NAMED, detail=detail)]


def _by_email(e: Escalation, role: Role, name: str, address: str, topics: tuple[str, ...]) -> Disclosed:
    """The row of one address told by email of `topics`: as the latest of those emails stands."""
    targets = {f"{topic}:{address}".lower() for topic in topics}
    emails = [f for f in e.effects if f.kind == EffectKind.EMAIL and f.target.lower() in targets]
    row = _from_effects(e, role, name, address, "email", emails)
    if row is not None:
        return row
    if topics == ("breach",):
        detail = "told only if the fix clock is breached"
        detail += f" (the fix is due {moment(e.fix_due)})" if e.is_open else "; it was not"
    else:
        detail = "not owed an email (the address is told in another role)"
    return Disclosed(role, name, address, "email", Told.PENDING, detail=detail)


def _engineer(e: Escalation) -> Disclosed:
    page = e.effect(EffectKind.PAGE)
    row = _from_effects(e, Role.ENGINEER, "", e.owner.engineer, "page", [page] if page else [])
    if row is None:
        return Disclosed(Role.ENGINEER, "", e.owner.engineer, "page", Told.PENDING, detail="not paged yet")
    if row.state == Told.TOLD and e.page is not None and e.page.assignee is None:
        detail = "the service's escalation policy was paged instead" + (
            f": {e.page.note}" if e.page.note else ""
        )
        return Disclosed(row.role, row.name, row.email, row.channel, row.state, row.at, detail)
    return row


def _from_effects(
    e: Escalation, role: Role, name: str, address: str, channel: str, effects: list[Effect]
) -> Disclosed | None:
    """The row as the effects that tell this person stand: told once any is told, else the latest."""
    if not effects:
        return None
    told = [f for f in effects if f.state == EffectState.DONE and not f.result.get("dry_run")]
    effect = told[0] if told else max(effects, key=lambda f: f.id)
    state, at, detail = _state(e, effect)
    if len(effects) > 1 and channel == "email":
        detail = "; ".join(filter(None, [detail, "of " + ", ".join(_topics(effects))]))
    return Disclosed(role, name, address, channel, state, at, detail)


def _topics(effects: list[Effect]) -> list[str]:
    words = []
    for f in sorted(effects, key=lambda f: f.id):
        topic = f.target.split(":", 1)[0]
        done = f.state == EffectState.DONE
        words.append(f"{TOPIC_WORDS.get(topic, topic)} ({'sent' if done else f.state.value})")
    return words


def _state(e: Escalation, f: Effect) -> tuple[Told, datetime | None, str]:
    if f.state == EffectState.FAILED:
        return Told.FAILED, _event_at(e, f, f"{f.kind.value}_failed"), f.last_error or "gave up"
    if f.state == EffectState.PENDING:
        why = f.last_error or "not sent yet"
        when = f"; next attempt {moment(f.next_attempt_at)}" if f.next_attempt_at else ""
        return Told.PENDING, None, why + when
    if f.result.get("dry_run"):
        return Told.PLANNED, _event_at(e, f, "dry_run"), "dry-run: nothing was sent"
    at = f.result.get("at")
    return Told.TOLD, datetime.fromisoformat(at) if isinstance(at, str) else None, ""


def _event_at(e: Escalation, f: Effect, kind: str) -> datetime | None:
    """When the dispatcher recorded `kind` for this effect (its timeline event names the effect)."""
    for event in reversed(e.timeline):
        if (
            event.kind == kind
            and event.data.get("effect") == f.kind.value
            and event.data.get("target") == f.target
        ):
            return event.at
    return None
