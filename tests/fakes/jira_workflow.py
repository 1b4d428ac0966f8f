"""Workflows in the fake Jira: the transitions an issue offers, and moving it from status to status.

Every transition of a project's workflow is global (available from any other status). Moving into
a done status sets a resolution ("Done" unless the transition names one); leaving done clears it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from tests.fakes.jira_model import JiraComment, JiraIssue, Render, error
from tests.fakes.records import Recorded, Reply, json_reply
from tests.fakes.world import JIRA_STATUSES, JiraStatus, Transition


def status_named(name: str) -> JiraStatus:
    return next(s for s in JIRA_STATUSES if s.name.casefold() == name.casefold())


def available(issue: JiraIssue, workflow: Sequence[Transition]) -> list[Transition]:
    return [t for t in workflow if t.to != issue.status.name]


def move(issue: JiraIssue, status: JiraStatus, *, resolution: str | None, now: datetime) -> None:
    issue.status = status
    issue.updated = now
    done = status.category == "done"
    issue.resolution = (resolution or "Done") if done else None
    issue.resolved = now if done else None


def offered(issue: JiraIssue, workflow: Sequence[Transition], request: Recorded, render: Render) -> Reply:
    """`GET .../transitions`: what the issue offers now (`expand=transitions.fields` adds `fields`)."""
    with_fields = "transitions.fields" in (request.param("expand") or "")
    only = request.param("transitionId")
    shown = [t for t in available(issue, workflow) if only is None or t.id == only]
    rendered = [render.transition(t, status_named(t.to), with_fields=with_fields) for t in shown]
    return json_reply(200, {"expand": "transitions", "transitions": rendered})


def perform(
    issue: JiraIssue, workflow: Sequence[Transition], body: Any, *, now: datetime, new_id: Callable[[], str]
) -> Reply:
    """`POST .../transitions`: 204 once moved, or Jira's 400.

    Jira also takes the id as a number (jira-python sends one); the contract says string, so the
    request check reports that while the move still happens, as on the real service.
    """
    body = body if isinstance(body, dict) else {}
    wanted = (body.get("transition") or {}).get("id")
    if wanted is None:
        return error(400, "Missing 'transition' identifier")
    transition = next((t for t in available(issue, workflow) if t.id == str(wanted)), None)
    if transition is None:
        return error(400, f"Transition id '{wanted}' is not valid for this issue.")
    resolution = ((body.get("fields") or {}).get("resolution") or {}).get("name")
    move(issue, status_named(transition.to), resolution=resolution, now=now)
    for change in (body.get("update") or {}).get("comment") or []:
        text = (change.get("add") or {}).get("body")
        if text:
            issue.comments.append(JiraComment(new_id(), text, now))
    return Reply(204)
