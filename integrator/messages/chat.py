"""The post for the owning team's Slack-compatible channel (mrkdwn, user text escaped)."""

from __future__ import annotations

from integrator.domain.escalation import Escalation
from integrator.messages.audiences import check
from integrator.messages.facts import shared_title
from integrator.messages.wording import HEADLINES, engaged, news


def chat_text(escalation: Escalation, topic: str) -> str:
    """A post for the team's Slack-compatible channel (mrkdwn, user text escaped), times in UTC."""
    check(topic=topic)
    e = escalation
    links = [f"<{_escape(e.url)}|escalation>"]
    if e.ticket is not None:
        links.append(f"Jira <{_escape(e.ticket.url)}|{_escape(e.ticket.key)}>")
    if e.page is not None and e.page.url:
        links.append(f"PagerDuty <{_escape(e.page.url)}|{_escape(e.page.incident_id)}>")
    lines = [
        f"*{_escape(HEADLINES[topic])}*: {_escape(shared_title(e))}",
        _escape(news(e, topic, "UTC") + (f" {engaged(e, 'UTC')}" if topic == "escalated" else "")),
        f"Owner: {_escape(e.owner.engineer)} ({_escape(e.owner.team.handle)}) · " + " · ".join(links),
    ]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
