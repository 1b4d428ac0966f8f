"""The fake Jira's state (issues, comments, remote links) and how Jira's REST API v2 renders each of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.fakes.jira_fields import FIELDS, choose_fields, component_id_of
from tests.fakes.records import Reply, json_reply
from tests.fakes.world import (
    JIRA_ACCOUNT_ID,
    JIRA_DISPLAY_NAME,
    JIRA_EMAIL,
    JiraProject,
    JiraStatus,
    Named,
    Transition,
)

CATEGORIES = {  # status category key -> (id, name, colour), as Jira numbers them
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}


@dataclass
class JiraComment:
    id: str
    body: str
    created: datetime


@dataclass
class JiraRemoteLink:
    id: int
    global_id: str | None
    object: dict[str, Any]
    application: dict[str, Any] = field(default_factory=dict)
    relationship: str | None = None


@dataclass
class JiraIssue:
    id: str
    key: str
    project: JiraProject
    issue_type: Named
    summary: str
    status: JiraStatus
    created: datetime
    updated: datetime
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    priority: Named | None = None
    components: list[str] = field(default_factory=list)
    duedate: str | None = None
    environment: str | None = None
    resolution: str | None = None
    resolved: datetime | None = None
    comments: list[JiraComment] = field(default_factory=list)
    links: list[JiraRemoteLink] = field(default_factory=list)

    def values(self, jql_field: str) -> list[str]:
        """What a JQL clause on `jql_field` compares with; KeyError for a field the fake does not know."""
        known: dict[str, list[str]] = {
            "labels": self.labels,
            "key": [self.key, self.id],
            "issuekey": [self.key, self.id],
            "id": [self.id],
            "project": [self.project.key, self.project.id, self.project.name],
            "status": [self.status.name, self.status.id],
            "statuscategory": [self.status.category, CATEGORIES[self.status.category][1]],
            "priority": [self.priority.name, self.priority.id] if self.priority else [],
            "issuetype": [self.issue_type.name, self.issue_type.id],
            "type": [self.issue_type.name, self.issue_type.id],
            "component": self.components,
            "resolution": [self.resolution] if self.resolution else ["Unresolved"],
        }
        return known[jql_field]


def error(status: int, *messages: str, **errors: str) -> Reply:
    """Jira's error collection: `errorMessages` and `errors` (field → message)."""
    return json_reply(status, {"errorMessages": list(messages), "errors": errors})


def jira_time(moment: datetime) -> str:
    """Jira's timestamp format: `2026-11-28T15:00:00.000+0000`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")


class Render:
    """Jira's JSON for each resource, with `self` links into the fake at `base`."""

    def __init__(self, base: str, *, cloud: bool) -> None:
        self.base = base
        self.api = f"{base}/rest/api/2"
        self.cloud = cloud

    def user(self) -> dict[str, Any]:
        common = {"emailAddress": JIRA_EMAIL, "displayName": JIRA_DISPLAY_NAME, "active": True}
        if self.cloud:
            self_url = f"{self.api}/user?accountId={JIRA_ACCOUNT_ID}"
            return {"self": self_url, "accountId": JIRA_ACCOUNT_ID, "accountType": "atlassian", **common}
        return {
            "self": f"{self.api}/user?username=integrator",
            "key": "JIRAUSER10100",
            "name": "integrator",
            **common,
        }

    def priority(self, priority: Named) -> dict[str, Any]:
        return {
            "self": f"{self.api}/priority/{priority.id}",
            "iconUrl": f"{self.base}/images/icons/priorities/{priority.name.lower()}.svg",
            "name": priority.name,
            "id": priority.id,
        }

    def issue_type(self, issue_type: Named) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issuetype/{issue_type.id}",
            "id": issue_type.id,
            "description": f"A {issue_type.name.lower()}.",
            "name": issue_type.name,
            "subtask": False,
            "hierarchyLevel": 0,
        }

    def status(self, status: JiraStatus) -> dict[str, Any]:
        category_id, category_name, colour = CATEGORIES[status.category]
        return {
            "self": f"{self.api}/status/{status.id}",
            "description": "",
            "name": status.name,
            "id": status.id,
            "statusCategory": {
                "self": f"{self.api}/statuscategory/{category_id}",
                "id": category_id,
                "key": status.category,
                "colorName": colour,
                "name": category_name,
            },
        }

    def component(self, project: JiraProject, name: str) -> dict[str, Any]:
        component_id = component_id_of(project, name)
        return {"self": f"{self.api}/component/{component_id}", "id": component_id, "name": name}

    def project(self, project: JiraProject, issue_types: Sequence[Named] = ()) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "self": f"{self.api}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
        }
        if issue_types:
            rendered["components"] = [self.component(project, name) for name in project.components]
            rendered["issueTypes"] = [self.issue_type(t) for t in issue_types]
        return rendered

    def fields(self) -> list[dict[str, Any]]:
        return [
            {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": field_id not in ("status", "created", "updated", "resolutiondate"),
                "navigable": navigable,
                "searchable": True,
                "clauseNames": [field_id],
                "schema": {"type": kind, "system": field_id},
            }
            for field_id, name, kind, navigable in FIELDS
        ]

    def issue(self, issue: JiraIssue, wanted: Sequence[str]) -> dict[str, Any]:
        """The issue with the fields `wanted` names (`*all`, `*navigable`, names, `-name` to leave out)."""
        chosen = choose_fields(wanted)
        if chosen == ["id"]:
            return {"id": issue.id}
        every = self._fields(issue)
        return {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue.id,
            "self": f"{self.api}/issue/{issue.id}",
            "key": issue.key,
            "fields": {name: every[name] for name in chosen if name in every},
        }

    def _fields(self, issue: JiraIssue) -> dict[str, Any]:
        return {
            "summary": issue.summary,
            "description": issue.description,
            "labels": list(issue.labels),
            "priority": self.priority(issue.priority) if issue.priority else None,
            "issuetype": self.issue_type(issue.issue_type),
            "project": self.project(issue.project),
            "components": [self.component(issue.project, name) for name in issue.components],
            "duedate": issue.duedate,
            "status": self.status(issue.status),
            "resolution": self.resolution(issue.resolution),
            "resolutiondate": jira_time(issue.resolved) if issue.resolved else None,
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "reporter": self.user(),
            "environment": issue.environment,
            "comment": self.comments(issue, issue.comments, 0, len(issue.comments)),
        }

    def resolution(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        return {"self": f"{self.api}/resolution/10000", "id": "10000", "name": name, "description": ""}

    def comment(self, issue: JiraIssue, comment: JiraComment) -> dict[str, Any]:
        author = self.user()
        return {
            "self": f"{self.api}/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": author,
            "body": comment.body,
            "updateAuthor": author,
            "created": jira_time(comment.created),
            "updated": jira_time(comment.created),
            "jsdPublic": True,
        }

    def comments(
        self, issue: JiraIssue, page: Sequence[JiraComment], start_at: int, total: int
    ) -> dict[str, Any]:
        return {
            "comments": [self.comment(issue, comment) for comment in page],
            "startAt": start_at,
            "maxResults": max(len(page), 1),
            "total": total,
        }

    def remote_link(self, issue: JiraIssue, link: JiraRemoteLink) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "id": link.id,
            "self": f"{self.api}/issue/{issue.key}/remotelink/{link.id}",
            "application": link.application,
            "object": link.object,
        }
        if link.global_id is not None:
            rendered["globalId"] = link.global_id
        if link.relationship is not None:
            rendered["relationship"] = link.relationship
        return rendered

    def transition(self, transition: Transition, target: JiraStatus, *, with_fields: bool) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "id": transition.id,
            "name": transition.name,
            "to": self.status(target),
            "hasScreen": False,
            "isGlobal": True,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }
        if with_fields:
            rendered["fields"] = {}
        return rendered
