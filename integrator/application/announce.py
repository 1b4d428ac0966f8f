"""Who is owed a message when something happens: one email per recipient and the team's chat post."""

from __future__ import annotations

from integrator.domain.escalation import EffectKind, Escalation, Owed, Topic
from integrator.domain.status import SyncPlan
from integrator.messages.audiences import recipients


def tell(escalation: Escalation, topic: Topic) -> tuple[Owed, ...]:
    """The emails (one per recipient, each owed once) and chat post that announce `topic`."""
    emails = tuple(
        Owed(EffectKind.EMAIL, f"{topic}:{address}", {"to": address, "role": role, "topic": topic.value})
        for role, address in recipients(escalation, topic)
    )
    # The reminder to tell the customer is the reporter's own: not posted to the team's chat.
    posted = escalation.owner.team.chat_webhook and topic != Topic.TELL_CUSTOMER
    chat = (Owed(EffectKind.CHAT, topic, {"topic": topic.value}),) if posted else ()
    return emails + chat


def owed_by(escalation: Escalation, plan: SyncPlan) -> tuple[Owed, ...]:
    """Everything a plan owes: its own effects, then the messages for each of its topics."""
    return plan.owed + tuple(o for topic in plan.topics for o in tell(escalation, topic))
