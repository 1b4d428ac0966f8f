"""The doctor's reads of Jira: credentials, and for each owner its project, create screen and workflow.

Reads only, through `JiraTracker.read`. A read the credentials may not make (403, e.g. workflows
without admin rights) is "not checked", with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from integrator.adapters.jira.client import JiraTracker
from integrator.adapters.jira.errors import Forbidden, Missing
from integrator.adapters.jira.fields import CATEGORIES
from integrator.domain.checkup import SETUP, Finding
from integrator.domain.owner import Team
from integrator.errors import IntegrationError
from integrator.settings import JiraSettings

FILLED = frozenset(
    {"project", "summary", "issuetype", "priority", "duedate", "labels", "description", "components"}
)
"""The fields integrator sets on the P1; any other required field without a default refuses the create."""
ON_SCREEN = ("labels", "priority", "duedate")
"""Fields integrator sets that Jira refuses unless they are on the project's create screen."""
WANTED = ("indeterminate", "done")


class JiraWiring:
    """The `WiringCheck` of Jira."""

    system = "Jira"

    def __init__(self, tracker: JiraTracker, settings: JiraSettings) -> None:
        self._tracker = tracker
        self._settings = settings

    def check_access(self) -> list[Finding]:
        check = "jira.access"
        try:
            me = self._tracker.read("myself")
            kind = self._tracker.deployment()
        except IntegrationError as exc:
            fix = "check INTEGRATOR_JIRA__URL, and __EMAIL with __API_TOKEN (Cloud) or __PAT (Data Center)"
            return [Finding.problem(SETUP, check, f"{exc.message}: {fix}")]
        who = me.get("emailAddress") or me.get("displayName") or me.get("name")
        return [Finding.ok(SETUP, check, f"Jira {kind} at {self._tracker.base_url}, as {who}")]

    def check_team(self, team: Team) -> list[Finding]:
        subject, key = team.handle, team.jira_project
        try:
            project = self._tracker.read(f"project/{quote(key, safe='')}")
        except IntegrationError as exc:
            fix = f"create project {key} or fix jira_project in the catalog ({exc.message})"
            return [_judged(subject, "jira.project", exc, fix)]
        findings = [Finding.ok(subject, "jira.project", f"{key}: {project.get('name')}")]
        if team.jira_component:
            findings.append(_component(subject, team.jira_component, project))
        try:
            return findings + self._create_screen(subject, project)
        except IntegrationError as exc:
            return [*findings, _judged(subject, "jira.create_screen", exc, exc.message)]

    def _create_screen(self, subject: str, project: dict[str, Any]) -> list[Finding]:
        """The issue type, what its create screen takes (priority, required fields), and its workflow."""
        key, wanted = str(project["key"]), self._settings.issue_type
        types = list(self._pages(f"issue/createmeta/{quote(key, safe='')}/issuetypes", "issueTypes"))
        issue_type = next((t for t in types if str(t.get("name", "")).casefold() == wanted.casefold()), None)
        if issue_type is None:
            names = ", ".join(str(t.get("name")) for t in types) or "none"
            fix = f"{key} cannot create a {wanted!r} (it can: {names}): set INTEGRATOR_JIRA__ISSUE_TYPE"
            return [Finding.problem(subject, "jira.issue_type", fix)]
        path = f"issue/createmeta/{quote(key, safe='')}/issuetypes/{quote(str(issue_type['id']), safe='')}"
        fields = {str(f.get("fieldId")): f for f in self._pages(path, "fields")}
        return [
            Finding.ok(subject, "jira.issue_type", f"{issue_type['name']} can be created"),
            _priority(subject, self._settings.priority, fields),
            _required(subject, key, fields),
            _on_screen(subject, key, fields),
            self._workflow(subject, project, str(issue_type["id"])),
        ]

    def _workflow(self, subject: str, project: dict[str, Any], type_id: str) -> Finding:
        try:
            schemes = self._tracker.read("workflowscheme/project", {"projectId": project["id"]})["values"]
            scheme = (schemes[0].get("workflowScheme") or {}) if schemes else {}
            name = str((scheme.get("issueTypeMappings") or {}).get(type_id) or scheme.get("defaultWorkflow"))
            params = {"workflowName": name, "expand": "transitions,statuses"}
            workflows = self._tracker.read("workflow/search", params).get("values") or []
            statuses = self._tracker.read("status")
        except Missing as exc:  # Data Center has no workflow search: nothing to read, not a fault
            reason = f"this Jira does not offer the workflow search ({exc.message})"
            return Finding.not_checked(subject, "jira.workflow", reason)
        except IntegrationError as exc:
            return _judged(subject, "jira.workflow", exc, exc.message)
        if not workflows:
            return Finding.problem(
                subject, "jira.workflow", f"workflow {name!r} of {project['key']} not found"
            )
        categories = {str(s["id"]): str((s.get("statusCategory") or {}).get("key")) for s in statuses}
        return _judge_workflow(subject, name, workflows[0], categories)

    def _pages(self, path: str, key: str) -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            page = self._tracker.read(path, {"startAt": start, "maxResults": 50})
            values = page.get(key) or page.get("values") or []  # Data Center pages in `values`
            yield from values
            start += len(values)
            if not values or start >= int(page.get("total") or 0):
                return


def _judged(subject: str, check: str, exc: IntegrationError, fix: str) -> Finding:
    """A failed read: "not checked" when the credentials may not read it, else a problem with `fix`."""
    if isinstance(exc, Forbidden):
        return Finding.not_checked(subject, check, f"the Jira user may not read this ({exc.message})")
    if isinstance(exc, Missing):
        return Finding.problem(subject, check, fix)
    return Finding.problem(subject, check, exc.message)


def _component(subject: str, name: str, project: dict[str, Any]) -> Finding:
    names = [str(c.get("name")) for c in project.get("components") or []]
    if name in names:
        return Finding.ok(subject, "jira.component", name)
    has = ", ".join(names) or "none"
    fix = f"add component {name!r} to {project['key']} or fix jira_component (it has: {has})"
    return Finding.problem(subject, "jira.component", fix)


def _priority(subject: str, wanted: str, fields: dict[str, dict[str, Any]]) -> Finding:
    allowed = [str(v.get("name")) for v in (fields.get("priority") or {}).get("allowedValues") or []]
    if any(name.casefold() == wanted.casefold() for name in allowed):
        return Finding.ok(subject, "jira.priority", wanted)
    fix = f"no priority {wanted!r} in this project's scheme (it has: {', '.join(allowed) or 'none'}): "
    return Finding.problem(subject, "jira.priority", fix + "set INTEGRATOR_JIRA__PRIORITY or add it")


def _required(subject: str, key: str, fields: dict[str, dict[str, Any]]) -> Finding:
    unfilled = [
        f"{f.get('name')} ({field_id})"
        for field_id, f in fields.items()
        if f.get("required") and not f.get("hasDefaultValue") and field_id not in FILLED
    ]
    if not unfilled:
        return Finding.ok(subject, "jira.required_fields", "integrator fills every required field")
    fix = f"make optional or give a default in {key}: {', '.join(unfilled)}"
    return Finding.problem(subject, "jira.required_fields", fix)


def _on_screen(subject: str, key: str, fields: dict[str, dict[str, Any]]) -> Finding:
    absent = [name for name in ON_SCREEN if name not in fields]
    if not absent:
        return Finding.ok(subject, "jira.create_screen", ", ".join(ON_SCREEN) + " can be set")
    fix = f"add {', '.join(absent)} to {key}'s create screen (integrator sets them; labels find the P1 again)"
    return Finding.problem(subject, "jira.create_screen", fix)


def _judge_workflow(subject: str, name: str, workflow: dict[str, Any], categories: dict[str, str]) -> Finding:
    statuses = {str(s["id"]): str(s.get("name")) for s in workflow.get("statuses") or []}
    transitions = workflow.get("transitions") or []
    start = [str(t["to"]) for t in transitions if t.get("type") == "initial"] or list(statuses)[:1]
    reached = _reachable(set(start), transitions)
    missing = [CATEGORIES[c] for c in WANTED if c not in {categories.get(s) for s in reached}]
    first = statuses.get(start[0], start[0]) if start else "?"
    if not missing:
        return Finding.ok(subject, "jira.workflow", f"{name}: from {first!r} to In Progress and Done")
    fix = f"workflow {name!r} has no path from {first!r} to a {' or '.join(missing)} status: add a transition"
    return Finding.problem(subject, "jira.workflow", fix)


def _reachable(reached: set[str], transitions: list[dict[str, Any]]) -> set[str]:
    """Every status reachable from `reached` (global transitions, with no `from`, leave any status)."""
    while True:
        more = {
            str(t["to"])
            for t in transitions
            if t.get("type") != "initial" and (not t.get("from") or reached & {str(s) for s in t["from"]})
        }
        if more <= reached:
            return reached
        reached |= more
