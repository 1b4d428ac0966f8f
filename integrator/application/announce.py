"""Who is owed a message when something happens: one email per recipient and the team's chat post."""

from __future__ import annotations

from typing import Any

from integrator.domain.escalation import EffectKind, Escalation, Owed, Topic
from integrator.domain.status import SyncPlan
from integrator.messages.audiences import recipients


def tell(escalation: Escalation, topic: Topic) -> tuple[Owed, ...]:
    """The emails (one per recipient, each owed once) and chat post that announce `topic`.

    Every deal's people are told, each in the words of their own deal (its number in the payload);
    someone in several deals gets one email, of the first.
    """
    emails: dict[str, Owed] = {}
    for deal in escalation.deals:
        if topic == Topic.RCA and deal.rca_due > escalation.rca_due:
            # Unfinished: the RCA milestone is deal 1's; a deal promised its RCA later is not told at
            # deal 1's, and one promised earlier is told then (no per-deal RCA milestone yet).
            continue
        for role, address in recipients(escalation.for_deal(deal.number), topic):
            payload: dict[str, Any] = {"to": address, "role": role, "topic": topic.value}
            payload |= {"deal": deal.number} if deal.number > 1 else {}
            emails.setdefault(f"{topic}:{address}", Owed(EffectKind.EMAIL, f"{topic}:{address}", payload))
    # The reminder to tell the customer is the reporter's own: not posted to the team's chat.
    posted = escalation.owner.team.chat_webhook and topic != Topic.TELL_CUSTOMER
    chat = (Owed(EffectKind.CHAT, topic, {"topic": topic.value}),) if posted else ()
    return (*emails.values(), *chat)


def owed_by(escalation: Escalation, plan: SyncPlan) -> tuple[Owed, ...]:
    """Everything a plan owes: its own effects, then the messages for each of its topics."""
    return plan.owed + tuple(o for topic in plan.topics for o in tell(escalation, topic))
