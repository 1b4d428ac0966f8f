"""What the Sales Engineer tells the customer: the status page they share, the updates they send.

Nothing here reaches the customer on its own: a person shares the page and sends each update.
A customer update is an EMAIL effect like any other (retried, visible), owed once per update.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from integrator.domain.escalation import EffectKind, Escalation, Event, Owed
from integrator.domain.report import control_character, email_problem
from integrator.errors import InvalidReport
from integrator.store.escalations import Store

UPDATE_PREFIX = "customer-update:"
SUBJECT_MAX = 250
BODY_MAX = 20_000


@dataclass(frozen=True)
class CustomerUpdate:
    """One update as the Sales Engineer wrote it; `includes_rca` marks the promised root-cause analysis."""

    to: str
    subject: str
    body: str
    includes_rca: bool = False

    @classmethod
    def checked(cls, *, to: str, subject: str, body: str, includes_rca: bool = False) -> CustomerUpdate:
        """The update, or `InvalidReport` naming each bad field."""
        # Browsers send a textarea's lines with CRLF; the mailer writes the wire's line ends itself.
        to, subject, body = to.strip(), subject.strip(), body.replace("\r\n", "\n").strip()
        errors: dict[str, str] = {}
        if not to:
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
            raise InvalidReport(errors)
        return cls(to=to, subject=subject, body=body, includes_rca=includes_rca)


def next_update_number(escalation: Escalation) -> int:
    """The number the next customer update gets: one more than those owed so far."""
    return 1 + sum(
        1 for f in escalation.effects if f.kind == EffectKind.EMAIL and is_customer_update(f.target)
    )


def is_customer_update(target: str) -> bool:
    return target.startswith(UPDATE_PREFIX)


def send_customer_update(
    store: Store, escalation: Escalation, update: CustomerUpdate, *, number: int, by: str, now: datetime
) -> bool:
    """Owe the email of update `number` and put it on the timeline; False when it was owed already.

    `number` comes from the page the update was written on, so a double click or a resent form
    owes it once: the second finds update `number` already there and changes nothing. A different
    update written on a page that is out of date is refused, not lost: the form keeps it.
    """
    target = f"{UPDATE_PREFIX}{number}"
    message = {"to": update.to, "subject": update.subject, "body": update.body}
    earlier = escalation.effect(EffectKind.EMAIL, target)
    if earlier is not None and earlier.payload == message:
        return False
    if earlier is not None or number != next_update_number(escalation):
        raise InvalidReport(
            {"number": f"update {number} was already sent from another page; reload to write the next one"}
        )
    event = Event(
        at=now,
        kind="customer_update_sent",
        text=f"Customer update sent to {update.to} by {by}",
        data={**message, "by": by, "number": number, "rca": update.includes_rca},
    )
    try:
        owed = store.apply(
            escalation.id,
            now=now,
            owed=[Owed(EffectKind.EMAIL, target=target, payload=message)],
            timeline=[event],
        )
    except IntegrityError:  # the same update owed by a concurrent request a moment ago
        return False
    return bool(owed)


@dataclass(frozen=True)
class Promise:
    """A promise made to the customer and where it stands: "due", "met" or "overdue"."""

    what: str
    due: datetime
    state: str
    met_at: datetime | None


def promises(escalation: Escalation, *, now: datetime) -> list[Promise]:
    """The root-cause analysis (met by an update marked as carrying it) and the fix (met when confirmed)."""
    rca_at = next(
        (e.at for e in escalation.timeline if e.kind == "customer_update_sent" and e.data.get("rca")), None
    )
    return [
        Promise("Root-cause analysis", escalation.rca_due, _state(escalation.rca_due, rca_at, now), rca_at),
        Promise(
            "Fix",
            escalation.fix_due,
            _state(escalation.fix_due, escalation.fixed_at, now),
            escalation.fixed_at,
        ),
    ]


def _state(due: datetime, met_at: datetime | None, now: datetime) -> str:
    if met_at is not None:
        return "met"
    return "overdue" if now > due else "due"


def share_status_page(store: Store, escalation: Escalation, *, by: str, now: datetime) -> str:
    """The status page's token: the one already shared, else a new unguessable one."""
    if escalation.status_token:
        return escalation.status_token
    token = secrets.token_urlsafe(24)
    event = Event(
        at=now,
        kind="status_page_shared",
        text=f"Customer status page shared by {by}",
        data={"by": by},
    )
    store.share_status(escalation.id, token, now=now, event=event)
    return token


def revoke_status_page(store: Store, escalation: Escalation, *, by: str, now: datetime) -> bool:
    """End the status page's link at once; False when it was not shared."""
    if not escalation.status_token:
        return False
    event = Event(
        at=now,
        kind="status_page_revoked",
        text=f"Customer status page link revoked by {by}",
        data={"by": by},
    )
    store.share_status(escalation.id, None, now=now, event=event)
    return True
