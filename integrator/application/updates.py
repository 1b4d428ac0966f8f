"""What the Sales Engineer tells the customer: the status page they share, the updates they send.

Nothing here reaches the customer on its own: a person shares the page and sends each update.
A customer update is an EMAIL effect like any other (retried, visible), owed once per update.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrator.application.ports import EscalationStore
from integrator.domain.deals import EscalatedDeal
from integrator.domain.escalation import EffectKind, Escalation, Event, Owed
from integrator.domain.report import control_character, email_problem
from integrator.domain.status import CUSTOMER_TOLD
from integrator.errors import AlreadyRecorded, InvalidInput

UPDATE_PREFIX = "customer-update:"
SUBJECT_MAX = 250
BODY_MAX = 20_000


@dataclass(frozen=True)
class CustomerUpdate:
    """One update as the Sales Engineer wrote it; `includes_rca` marks the promised root-cause analysis.

    Addressed to one deal's customer (`deal`, 1 = the first report's), or with `deal` None to every
    deal's Economic Buyer, each at the address their deal's report names (`to` is then unused).
    """

    to: str
    subject: str
    body: str
    includes_rca: bool = False
    deal: int | None = 1

    @classmethod
    def checked(
        cls,
        *,
        to: str,
        subject: str,
        body: str,
        includes_rca: bool = False,
        deal: int | str | None = 1,
    ) -> CustomerUpdate:
        """The update, or `InvalidInput` naming each bad field (`deal`: a number, or `all`)."""
        # Browsers send a textarea's lines with CRLF; the mailer writes the wire's line ends itself.
        to, subject, body = to.strip(), subject.strip(), body.replace("\r\n", "\n").strip()
        errors: dict[str, str] = {}
        number = _deal_number(deal)
        if number == 0:
            errors["deal"] = "must be a deal number (1, 2, …) or all"
        if number is None:
            to = ""  # each deal's Economic Buyer
        elif not to:
            errors["to"] = "is required"
        elif email_problem(to) is not None:
            errors["to"] = "must be one email address"
        if not subject:
            errors["subject"] = "is required"
        elif control_character(subject) is not None:
            errors["subject"] = "must be one line"
        elif len(subject) > SUBJECT_MAX:
            errors["subject"] = f"is over {SUBJECT_MAX} characters"
        if not body:
            errors["body"] = "is required"
        elif (found := control_character(body, free_text=True)) is not None:
            errors["body"] = f"contains a control character ({found})"
        elif len(body) > BODY_MAX:
            errors["body"] = f"is over {BODY_MAX:,} characters"
        if errors:
            raise InvalidInput(errors)
        return cls(to=to, subject=subject, body=body, includes_rca=includes_rca, deal=number)


def _deal_number(deal: int | str | None) -> int | None:
    """The deal an update is for: its number, None for every deal, 0 when `deal` is neither."""
    if deal is None or (isinstance(deal, str) and deal.strip().lower() == "all"):
        return None
    try:
        number = int(deal)
    except ValueError:
        return 0
    return max(number, 0)


def next_update_number(escalation: Escalation) -> int:
    """The number the next customer update gets: one more than those owed so far (an update to every
    deal is one update, however many emails it owes)."""
    numbers = {
        f.target.removeprefix(UPDATE_PREFIX).split(":", 1)[0]
        for f in escalation.effects
        if f.kind == EffectKind.EMAIL and is_customer_update(f.target)
    }
    return 1 + len(numbers)


def is_customer_update(target: str) -> bool:
    return target.startswith(UPDATE_PREFIX)


def send_customer_update(
    store: EscalationStore,
    escalation: Escalation,
    update: CustomerUpdate,
    *,
    number: int,
    by: str,
    now: datetime,
) -> bool:
    """Owe the email(s) of update `number` and put it on the timeline; False when it was owed already.

    `number` comes from the page the update was written on, so a double click or a resent form
    owes it once: the second finds update `number` already there and changes nothing. A different
    update written on a page that is out of date is refused, not lost: the form keeps it.
    """
    owed = _emails(escalation, update, number)
    earlier = escalation.effect(EffectKind.EMAIL, owed[0].target)
    if earlier is not None and earlier.payload == owed[0].payload:
        return False
    if earlier is not None or number != next_update_number(escalation):
        raise InvalidInput(
            {"number": f"update {number} was already sent from another page; reload to write the next one"}
        )
    deals = [int(o.payload.get("deal", 1)) for o in owed]
    to = ", ".join(str(o.payload["to"]) for o in owed)
    whose = ""
    if escalation.linked_deals:
        whose = " (every deal)" if update.deal is None else f" (deal {deals[0]})"
    event = Event(
        at=now,
        kind=CUSTOMER_TOLD,  # the clocks read it: no reminder to tell the customer after this
        text=f"Customer update sent to {to}{whose} by {by}",
        data={**_message(update, str(owed[0].payload["to"])), "by": by, "number": number}
        | {"rca": update.includes_rca, "deals": deals},
    )
    try:
        added = store.apply(escalation.id, now=now, owed=owed, timeline=[event], only_if_new=True)
    except AlreadyRecorded:  # the same update owed by a concurrent request a moment ago
        return False
    return bool(added)


def _emails(escalation: Escalation, update: CustomerUpdate, number: int) -> list[Owed]:
    """The email of the update to its deal's customer, or one to each deal's Economic Buyer."""
    target = f"{UPDATE_PREFIX}{number}"
    if update.deal is not None:
        if escalation.deal(update.deal) is None:
            raise InvalidInput({"deal": f"escalation {escalation.id} has no deal {update.deal}"})
        extra = {"deal": update.deal} if update.deal > 1 else {}
        return [Owed(EffectKind.EMAIL, target, _message(update, update.to) | extra)]
    owed, unnamed = [], []
    for deal in escalation.deals:
        buyer = deal.report.deal.economic_buyer
        if buyer is None or not buyer.email:
            unnamed.append(f"deal {deal.number} ({deal.account})")
            continue
        one = target if deal.number == 1 else f"{target}:deal-{deal.number}"
        extra = {"deal": deal.number} if deal.number > 1 else {}
        owed.append(Owed(EffectKind.EMAIL, one, _message(update, buyer.email) | extra))
    if unnamed:
        names = ", ".join(unnamed)
        raise InvalidInput(
            {"deal": f"{names} names no economic buyer's email: send it to each other deal on its own"}
        )
    return owed


def _message(update: CustomerUpdate, to: str) -> dict[str, Any]:
    return {"to": to, "subject": update.subject, "body": update.body}


def share_status_page(
    store: EscalationStore, escalation: Escalation, *, by: str, now: datetime, deal: int = 1
) -> str:
    """Deal `deal`'s status page token: the one already shared, else a new unguessable one.

    Each deal's customer has a page of their own (their account, their updates, their RCA promise
    and halt, the shared fix): a token never shows another deal.
    """
    shared = _shared_deal(escalation, deal).status_token
    if shared:
        return shared
    token = secrets.token_urlsafe(24)
    event = Event(
        at=now,
        kind="status_page_shared",
        text=f"Customer status page{_whose(escalation, deal)} shared by {by}",
        data={"by": by, "deal": deal},
    )
    store.share_status(escalation.id, token, now=now, event=event, deal=deal)
    return token


def revoke_status_page(
    store: EscalationStore, escalation: Escalation, *, by: str, now: datetime, deal: int = 1
) -> bool:
    """End deal `deal`'s status page link at once; False when it was not shared."""
    if not _shared_deal(escalation, deal).status_token:
        return False
    event = Event(
        at=now,
        kind="status_page_revoked",
        text=f"Customer status page link{_whose(escalation, deal)} revoked by {by}",
        data={"by": by, "deal": deal},
    )
    store.share_status(escalation.id, None, now=now, event=event, deal=deal)
    return True


def _shared_deal(escalation: Escalation, number: int) -> EscalatedDeal:
    """Deal `number` with its status page token, or `InvalidInput` when the escalation has no such deal."""
    found = escalation.deal(number)
    if found is None:
        raise InvalidInput({"deal": f"escalation {escalation.id} has no deal {number}"})
    return found


def _whose(escalation: Escalation, number: int) -> str:
    """` for deal 2 (Globex)` when the escalation has several deals, else nothing."""
    if not escalation.linked_deals:
        return ""
    found = escalation.deal(number)
    return f" for deal {number} ({found.account})" if found else f" for deal {number}"
