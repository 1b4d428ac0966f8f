"""The escalation use case: validate a report, resolve its owner, persist, then dispatch (page first)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from typing import Any

from pydantic import ValidationError

from integrator.application.announce import tell
from integrator.application.dispatch import Dispatcher
from integrator.application.halting import check_halt, owed_halt
from integrator.application.linking import linked, unlinked
from integrator.application.ports import Clock, EscalationStore, Hold, Pager, Tracker
from integrator.domain.clocks import fix_due
from integrator.domain.deals import match_notice
from integrator.domain.escalation import (
    Effect,
    EffectKind,
    Escalation,
    Event,
    Owed,
    State,
    Topic,
    escalation_url,
)
from integrator.domain.fingerprint import fingerprint_of
from integrator.domain.jsonbody import load_json
from integrator.domain.owner import Owner
from integrator.domain.ownership import Catalog, Registry, resolve_owner
from integrator.domain.protocol import ContactsPolicy, contact_refusal, contact_warning, missing_contacts
from integrator.domain.rca import default_rca_due
from integrator.domain.report import FailureReport
from integrator.domain.traces import extract_locations
from integrator.errors import InvalidInput, NotFound, field_messages

OWED = (Owed(EffectKind.PAGE), Owed(EffectKind.TICKET), Owed(EffectKind.LINK))


def parse_report(data: str | bytes | Mapping[str, Any]) -> FailureReport:
    """A validated report from JSON text or a mapping; `InvalidInput` names every bad field."""
    if isinstance(data, str | bytes):
        data = load_json(data)
    if not isinstance(data, Mapping):
        raise InvalidInput({"body": "must be a JSON object"})
    try:
        return FailureReport.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(field_messages(exc.errors())) from exc


@dataclass
class Escalator:
    """Turns a report into a stored escalation and drives what it owes."""

    store: EscalationStore
    dispatcher: Dispatcher
    registry: Registry
    catalog: Catalog
    clock: Clock
    fix_hours: float
    source_roots: Sequence[str]
    public_url: str
    dry_run: bool  # decided once, in bootstrap: the outbound ports are stand-ins that send nothing
    pager: Pager
    tracker: Tracker
    contacts: ContactsPolicy = "warn"  # a report without the customer's contacts: warned, refused, or let be
    repage_arr: Decimal | None = None  # deals of one failure past this ARR (per currency): re-paged, once

    def warnings(self, report: FailureReport) -> list[str]:
        """What the Sales Engineer is warned of before the report goes out; with `require`, the
        missing contacts are an `InvalidInput` naming each field instead."""
        if self.contacts == "off":
            return []
        missing = missing_contacts(report)
        if self.contacts == "require" and missing:
            raise InvalidInput({name: contact_refusal(name) for name in missing})
        return [contact_warning(name) for name in missing]

    def locations(self, report: FailureReport) -> list[str]:
        """Where the failure is: the stack trace's vendor frames (innermost first), then those given."""
        found = extract_locations(report.failure.stack_trace, self.source_roots)
        return list(dict.fromkeys([*found, *report.failure.locations]))

    def resolve(self, report: FailureReport) -> Owner:
        locations = self.locations(report)
        owner = resolve_owner(locations, self.registry, self.catalog)
        if owner is None:
            where = ", ".join(locations) or "(no location found in the stack trace)"
            raise InvalidInput(
                {"failure.locations": f"no registry line and no default owner covers any of: {where}"}
            )
        return owner

    def prepare(self, report: FailureReport) -> Escalation:
        """The escalation this report would become (not stored)."""
        owner = self.resolve(report)
        check_halt(report, self.catalog)
        now = self.clock.now()
        escalation_id = secrets.token_hex(6)
        return Escalation(
            id=escalation_id,
            state=State.PENDING,
            dry_run=self.dry_run,
            report=report,
            owner=owner,
            created_at=now,
            fix_due=fix_due(now, self.fix_hours),
            rca_due=report.rca_due or default_rca_due(now, report.reporter.time_zone),
            url=escalation_url(self.public_url, escalation_id),
            fingerprint=fingerprint_of(
                report.failure.stack_trace, team=owner.team.handle, source_roots=self.source_roots
            ),
        )

    def match(self, report: FailureReport) -> Escalation | None:
        """The open escalation of the same failure this report would be added to (the oldest), if any.

        None when the report says `link: false`, has no trace to take a fingerprint from, or repeats
        an idempotency key (a repeat is answered with what the key stored, not with a match)."""
        if not report.link or (report.idempotency_key and self.store.find_by_key(report.idempotency_key)):
            return None
        fingerprint = self.prepare(report).fingerprint
        found = self.store.open_with_fingerprint(fingerprint.id) if fingerprint else []
        return found[-1] if found else None

    def notice(self, match: Escalation) -> str:
        """The match, in the words the form and `integrator plan` show it."""
        return match_notice(match.report.deal.account, match.id, match.created_at, self.clock.now())

    def plan(self, report: FailureReport) -> tuple[Escalation, dict[str, Any], dict[str, Any]]:
        """What escalating this report would do: the escalation, the page and the P1 (nothing sent)."""
        escalation = self.prepare(report)
        return escalation, self.pager.plan(escalation), self.tracker.plan(escalation)

    def submit(self, report: FailureReport) -> tuple[Escalation, bool]:
        """Store the escalation and what it owes, in one transaction; (first, False) on a repeat."""
        escalation, created, _ = self.accept(report)
        return escalation, created

    def accept(
        self, report: FailureReport, *, hold: Hold | None = None
    ) -> tuple[Escalation, bool, tuple[Effect, ...]]:
        """`submit`, with the new escalation's effects of `hold`'s kinds stored claimed by the
        caller: (escalation, created, the effects held). A repeat or a linked deal holds none."""
        # A repeated key is found by the store as it refuses the second insert: no look before it.
        try:
            self.warnings(report)  # a required contact missing: refused before anything is stored
            escalation = self.prepare(report)
        except InvalidInput:
            # Unless it repeats a report stored before (the rules may have changed since): the first.
            if report.idempotency_key and (first := self.store.find_by_key(report.idempotency_key)):
                return first, False, ()
            raise
        text = f"Reported by {report.reporter.email}: {report.failure.title}. "
        text += f"Owner: {escalation.owner.explain()}"
        reported = Event(at=escalation.created_at, kind="reported", text=text, data={})
        owed = (*OWED, *owed_halt(escalation, self.catalog), *tell(escalation, Topic.ESCALATED))
        stored, created = self.store.add(
            escalation,
            owed=owed,
            event=reported,
            link=partial(linked, catalog=self.catalog, repage_arr=self.repage_arr) if report.link else None,
            hold=hold,
        )
        if hold is None or not created or stored.id != escalation.id:
            return stored, created, ()
        return stored, created, tuple(e for e in stored.effects if e.kind in hold.kinds)

    def unlink(self, escalation_id: str, number: int, *, by: str) -> Escalation:
        """Deal `number` was a different failure after all: it becomes an escalation of its own, with
        its own page, P1 and clock (from now); both timelines say so. Returns the new escalation,
        stored with what it owes (the caller drives it, as after `submit`)."""
        escalation = self.store.get(escalation_id)
        deal = next((d for d in escalation.linked_deals if d.number == number), None)
        if deal is None:
            raise NotFound(
                f"escalation {escalation_id} has no linked deal {number} (deal 1 is the escalation)"
            )
        new = self.prepare(deal.report.model_copy(update={"link": False}))
        text = f"Unlinked by {by} from escalation {escalation_id}, where it was deal {number}: a different"
        text += f" failure. Reported by {deal.reporter}: {deal.report.failure.title}."
        text += f" Owner: {new.owner.explain()}"
        new = replace(new, timeline=(Event(at=new.created_at, kind="reported", text=text, data={}),))
        owed = (*OWED, *tell(new, Topic.ESCALATED))
        gone = (
            f"Deal {number} ({deal.account}) unlinked by {by}: a different failure, now escalation {new.id}"
        )
        events = [
            Event(at=new.created_at, kind="deal_unlinked", text=gone, data={"deal": number, "to": new.id})
        ]
        return self.store.unlink(
            escalation_id, number, new=new, owed=owed, events=events, left_owing=unlinked(number)
        )

    def escalate(self, report: FailureReport) -> tuple[Escalation, bool]:
        """Submit, then drive every effect that is due now (page first)."""
        escalation, created = self.submit(report)
        return self.dispatcher.drive(escalation.id), created
