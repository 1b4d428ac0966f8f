"""What the doctor reads from the fake Jira: create metadata, statuses, workflow schemes and workflows.

`JiraSetup` is what a test seeds to misconfigure a project: required fields integrator does not
fill, fields missing from the create screen, or no admin rights (workflow reads answer 403).
Every workflow starts in "To Do" and its transitions are global, as in `jira_workflow`. Data Center
pages create metadata in `values` and has no workflow search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.jira_fields import FIELDS
from tests.fakes.jira_model import Render, error
from tests.fakes.records import Recorded, Reply, json_reply
from tests.fakes.server import Route, route
from tests.fakes.world import (
    JIRA_ISSUE_TYPES,
    JIRA_PRIORITIES,
    JIRA_STATUSES,
    TO_DO,
    JiraProject,
    Named,
    Transition,
)

if TYPE_CHECKING:
    from tests.fakes.jira import FakeJira

API = "/rest/api/2"
KEY = r"(?P<key>[^/]+)"
ON_CREATE_SCREEN = (
    "summary",
    "description",
    "labels",
    "priority",
    "issuetype",
    "project",
    "components",
    "duedate",
)
REQUIRED = frozenset({"summary", "issuetype", "project"})


@dataclass
class JiraSetup:
    """How each project is configured beyond its workflow (keyed by project key)."""

    admin: bool = True
    required: dict[str, tuple[Named, ...]] = field(default_factory=dict)
    """Custom fields (id, name) a project's create screen requires, with no default."""
    hidden: dict[str, frozenset[str]] = field(default_factory=dict)
    """Fields left off a project's create screen."""


def workflow_name(project: JiraProject) -> str:
    return f"{project.key} workflow"


def create_issue_types(request: Recorded, project: JiraProject | None, *, cloud: bool) -> Reply:
    """`GET issue/createmeta/{project}/issuetypes`: the issue types the project can create."""
    if project is None:
        return error(404, "No project could be found.")
    types = [
        {"id": t.id, "name": t.name, "subtask": False, "description": f"A {t.name.lower()}."}
        for t in JIRA_ISSUE_TYPES
    ]
    return _page(request, "issueTypes" if cloud else "values", types)


def create_fields(
    request: Recorded,
    project: JiraProject | None,
    type_id: str,
    setup: JiraSetup,
    render: Render,
    *,
    cloud: bool,
) -> Reply:
    """`GET issue/createmeta/{project}/issuetypes/{id}`: the create screen's fields."""
    if project is None or type_id not in {t.id for t in JIRA_ISSUE_TYPES}:
        return error(404, "Issue type not found.")
    hidden = setup.hidden.get(project.key, frozenset())
    names = {field_id: (name, kind) for field_id, name, kind, _ in FIELDS}
    shown = [
        _field(field_id, *names[field_id], required=field_id in REQUIRED)
        for field_id in ON_CREATE_SCREEN
        if field_id not in hidden
    ]
    if "priority" not in hidden:
        shown[[f["fieldId"] for f in shown].index("priority")]["allowedValues"] = [
            render.priority(p) for p in JIRA_PRIORITIES
        ]
    shown += [_field(f.id, f.name, "string", required=True) for f in setup.required.get(project.key, ())]
    return _page(request, "fields" if cloud else "values", shown)


def statuses(render: Render) -> Reply:
    """`GET status`: every status, with its category."""
    return json_reply(200, [render.status(s) for s in JIRA_STATUSES])


def workflow_schemes(request: Recorded, projects: Sequence[JiraProject], setup: JiraSetup) -> Reply:
    """`GET workflowscheme/project?projectId=`: each project's scheme, its workflow the default one."""
    if not setup.admin:
        return error(403, "You are not authorized to perform this operation. Only Jira administrators can.")
    wanted = set(request.params("projectId"))
    values = [
        {
            "projectIds": [p.id],
            "workflowScheme": {
                "id": 10100 + n,
                "name": f"{p.key} scheme",
                "defaultWorkflow": workflow_name(p),
                "issueTypeMappings": {},
            },
        }
        for n, p in enumerate(projects)
        if p.id in wanted
    ]
    return json_reply(200, {"values": values})


def workflows(
    request: Recorded,
    projects: Sequence[JiraProject],
    flows: dict[str, tuple[Transition, ...]],
    setup: JiraSetup,
) -> Reply:
    """`GET workflow/search?workflowName=&expand=transitions,statuses`."""
    if not setup.admin:
        return error(403, "You are not authorized to perform this operation. Only Jira administrators can.")
    wanted = set(request.params("workflowName"))
    found = [_workflow(p, flows[p.key]) for p in projects if workflow_name(p) in wanted]
    return json_reply(
        200, {"isLast": True, "maxResults": 50, "startAt": 0, "total": len(found), "values": found}
    )


def _workflow(project: JiraProject, flow: tuple[Transition, ...]) -> dict[str, Any]:
    by_name = {s.name: s for s in JIRA_STATUSES}
    initial = {"id": "1", "name": "Create", "description": "", "from": [], "to": TO_DO.id, "type": "initial"}
    moves = [
        {"id": t.id, "name": t.name, "description": "", "from": [], "to": by_name[t.to].id, "type": "global"}
        for t in flow
    ]
    return {
        "id": {"name": workflow_name(project), "entityId": f"wf-{project.id}"},
        "description": f"The workflow of {project.name}.",
        "transitions": [initial, *moves],
        "statuses": [{"id": s.id, "name": s.name} for s in JIRA_STATUSES],
    }


def _field(field_id: str, name: str, kind: str, *, required: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind, "system": field_id}
    if field_id.startswith("customfield_"):
        custom = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
        schema = {"type": kind, "custom": custom, "customId": int(field_id.rsplit("_", 1)[1])}
    return {
        "fieldId": field_id,
        "key": field_id,
        "name": name,
        "required": required,
        "hasDefaultValue": False,
        "operations": ["set"],
        "schema": schema,
    }


def _page(request: Recorded, key: str, items: list[dict[str, Any]]) -> Reply:
    start = int(request.param("startAt") or 0)
    size = int(request.param("maxResults") or 50)
    chosen = items[start : start + size]
    return json_reply(200, {"startAt": start, "maxResults": size, "total": len(items), key: chosen})


def routes(fake: FakeJira) -> list[Route]:
    """What the doctor reads: create metadata, statuses, and (Cloud) workflow schemes and workflows."""
    meta = f"{API}/issue/createmeta/{KEY}/issuetypes"

    def project(match: Any) -> JiraProject | None:
        return next((p for p in fake.projects if match["key"].upper() in (p.key, p.id)), None)

    reads = [
        route("GET", meta, lambda r, m: create_issue_types(r, project(m), cloud=fake.cloud)),
        route(
            "GET",
            f"{meta}/(?P<type>[^/]+)",
            lambda r, m: create_fields(
                r, project(m), m["type"], fake.setup, fake._render(), cloud=fake.cloud
            ),
        ),
        route("GET", f"{API}/status", lambda r, m: statuses(fake._render())),
    ]
    if not fake.cloud:  # Data Center has no workflow search: those paths answer 404
        absent = [f"{API}/workflowscheme/project", f"{API}/workflow/search"]
        return reads + [route("GET", path, lambda r, m: fake._not_found(r), in_spec=False) for path in absent]
    return [
        *reads,
        route(
            "GET",
            f"{API}/workflowscheme/project",
            lambda r, m: workflow_schemes(r, fake.projects, fake.setup),
        ),
        route(
            "GET",
            f"{API}/workflow/search",
            lambda r, m: workflows(r, fake.projects, fake.workflows, fake.setup),
        ),
    ]
