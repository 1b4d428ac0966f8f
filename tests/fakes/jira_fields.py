"""Jira's issue fields: which exist, which an answer shows, and reading (or refusing) new issues' `fields`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tests.fakes.world import JiraProject, Named

T = TypeVar("T", JiraProject, Named)

SETTABLE = {"project", "issuetype", "summary", "description", "labels", "priority", "components", "duedate"}
SETTABLE |= {"environment", "assignee", "reporter"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FIELDS = (  # id, name, JSON type, whether it is navigable (shown by *navigable)
    ("summary", "Summary", "string", True),
    ("description", "Description", "string", True),
    ("labels", "Labels", "array", True),
    ("priority", "Priority", "priority", True),
    ("issuetype", "Issue Type", "issuetype", True),
    ("project", "Project", "project", True),
    ("components", "Components", "array", True),
    ("duedate", "Due date", "date", True),
    ("status", "Status", "status", True),
    ("resolution", "Resolution", "resolution", True),
    ("resolutiondate", "Resolved", "datetime", True),
    ("created", "Created", "datetime", True),
    ("updated", "Updated", "datetime", True),
    ("reporter", "Reporter", "user", True),
    ("environment", "Environment", "string", True),
    ("comment", "Comment", "comments-page", False),
)


@dataclass(frozen=True)
class NewIssue:
    project: JiraProject
    issue_type: Named
    summary: str
    description: str | None
    labels: list[str]
    priority: Named | None
    components: list[str]
    duedate: str | None
    environment: str | None


class Refused(Exception):
    """Jira's 400: `errors` maps each bad field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in errors.items()))
        self.errors = errors


def read_new_issue(
    fields: Any, *, projects: Sequence[JiraProject], issue_types: Sequence[Named], priorities: Sequence[Named]
) -> NewIssue:
    """The issue `fields` describe, or `Refused` with every complaint Jira would make."""
    if not isinstance(fields, dict):
        raise Refused({"fields": "Field 'fields' is required."})
    errors: dict[str, str] = {}
    for name in fields:
        if name not in SETTABLE:
            errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
    project = _pick(fields.get("project"), projects, ("key", "id"))
    if project is None:
        errors["project"] = "valid project is required"
    issue_type = _pick(fields.get("issuetype"), issue_types, ("name", "id"))
    if issue_type is None:
        errors["issuetype"] = "Specify an issue type"
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors["summary"] = "You must specify a summary of the issue."
    elif len(summary) > 255:
        errors["summary"] = "Summary must be less than 255 characters."
    priority = None
    if fields.get("priority") is not None:
        priority = _pick(fields["priority"], priorities, ("name", "id"))
        if priority is None:
            errors["priority"] = f"Priority name '{_name_of(fields['priority'])}' is not valid"
    labels = fields.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        errors["labels"] = "Labels must be a list of strings."
    elif bad := [label for label in labels if not label or " " in label]:
        errors["labels"] = f"The label '{bad[0]}' contains spaces which is invalid."
    components = _components(fields.get("components") or [], project, errors)
    duedate = fields.get("duedate")
    if duedate is not None and not (isinstance(duedate, str) and _DATE.fullmatch(duedate)):
        errors["duedate"] = f"Error parsing date string: {duedate}"
    for name in ("description", "environment"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            errors[name] = "Operation value must be a string"
    if errors or project is None or issue_type is None:
        raise Refused(errors)
    return NewIssue(
        project=project,
        issue_type=issue_type,
        summary=str(summary),
        description=fields.get("description"),
        labels=list(labels),
        priority=priority,
        components=components,
        duedate=duedate,
        environment=fields.get("environment"),
    )


def _pick(reference: Any, known: Sequence[T], keys: tuple[str, str]) -> T | None:
    """The known item `reference` ({"key"|"name": ...} or {"id": ...}) points at."""
    if not isinstance(reference, dict):
        return None
    by_name, by_id = (reference.get(key) for key in keys)
    for item in known:
        name = item.key if isinstance(item, JiraProject) else item.name
        if (by_name is not None and str(by_name) == name) or (by_id is not None and str(by_id) == item.id):
            return item
    return None


def _name_of(reference: Any) -> str:
    if isinstance(reference, dict):
        return str(reference.get("name") or reference.get("id") or "")
    return str(reference)


def _components(given: Any, project: JiraProject | None, errors: dict[str, str]) -> list[str]:
    if not isinstance(given, list):
        errors["components"] = "Components must be a list."
        return []
    chosen: list[str] = []
    for reference in given:
        name = _name_of(reference)
        if (
            project is not None
            and isinstance(reference, dict)
            and "id" in reference
            and "name" not in reference
        ):
            by_id = {component_id_of(project, c): c for c in project.components}
            name = by_id.get(str(reference["id"]), name)
        if project is not None and name not in project.components:
            errors["components"] = f"Component name '{name}' is not valid"
        else:
            chosen.append(name)
    return chosen


def choose_fields(wanted: Sequence[str]) -> list[str]:
    every = [field_id for field_id, *_ in FIELDS]
    navigable = [field_id for field_id, _, _, shown in FIELDS if shown]
    chosen: list[str] = []
    for name in wanted:
        if name == "*all":
            chosen += every
        elif name == "*navigable":
            chosen += navigable
        elif not name.startswith("-"):
            chosen.append(name)
    left_out = {name[1:] for name in wanted if name.startswith("-")}
    return [name for name in dict.fromkeys(chosen) if name not in left_out]


def component_id_of(project: JiraProject, name: str) -> str:
    return str(int(project.id) * 100 + project.components.index(name))
