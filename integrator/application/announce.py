"""Who is owed a message when something happens: one email per recipient and the team's chat post."""

from __future__ import annotations

from typing import Any

from integrator.domain.escalation import EffectKind, Escalation, Owed, Topic
from integrator.domain.status import SyncPlan
from integrator.messages.audiences import recipients

PER_DEAL = (Topic.RCA, Topic.TELL_CUSTOMER)  # each deal's own clock: deal 1's topic tells deal 1's people


def tell(escalation: Escalation, topic: Topic, *, deal: int | None = None) -> tuple[Owed, ...]:
    """The emails (one per recipient, each owed once) and chat post that announce `topic`.

    Every deal's people are told, each in the words of their own deal (its number in the payload);
    someone in several deals gets one email, of the first. A topic of each deal's own clock (the
    RCA time, the reminder to tell the customer) tells one deal's people: deal 1's, or with `deal`
    a linked deal's (its emails' targets carry its number; no chat post).
    """
    if deal is not None and deal > 1:
        return _told_deal(escalation, topic, deal)
    emails: dict[str, Owed] = {}
    for each in escalation.deals:
        if topic in PER_DEAL and each.number > 1:
            continue  # told at that deal's own milestone
        for role, address in recipients(escalation.for_deal(each.number), topic):
            payload: dict[str, Any] = {"to": address, "role": role, "topic": topic.value}
            payload |= {"deal": each.number} if each.number > 1 else {}
            emails.setdefault(f"{topic}:{address}", Owed(EffectKind.EMAIL, f"{topic}:{address}", payload))
    # The reminder to tell the customer is the reporter's own: not posted to the team's chat.
    posted = escalation.owner.team.chat_webhook and topic != Topic.TELL_CUSTOMER
    chat = (Owed(EffectKind.CHAT, topic, {"topic": topic.value}),) if posted else ()
    return (*emails.values(), *chat)


def _told_deal(escalation: Escalation, topic: Topic, number: int) -> tuple[Owed, ...]:
    """The emails of one linked deal's milestone: to that deal's people (none once it is unlinked)."""
    if escalation.deal(number) is None:
        return ()
    owed = []
    for role, address in recipients(escalation.for_deal(number), topic):
        target = f"{topic}:deal-{number}:{address}"
        payload = {"to": address, "role": role, "topic": topic.value, "deal": number}
        owed.append(Owed(EffectKind.EMAIL, target, payload))
    return tuple(owed)


def owed_by(escalation: Escalation, plan: SyncPlan) -> tuple[Owed, ...]:
    """Everything a plan owes: its own effects, then the messages for each of its topics (and each
    linked deal's)."""
    told = [o for topic in plan.topics for o in tell(escalation, topic)]
    told += [o for topic, deal in plan.deal_topics for o in tell(escalation, topic, deal=deal)]
    return plan.owed + tuple(told)
