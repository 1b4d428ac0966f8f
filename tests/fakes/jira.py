"""A fake Jira (REST API v2; Cloud by default, `deployment="Server"` for Data Center) on loopback.

It answers what jira-python 3.10 calls for integrator: `serverInfo`, `myself`, `field`,
`priority`, `issuetype`, `project`, create/get issue, comments, remote links (a known `globalId`
updates its link), transitions, and search (`/search/jql` with `nextPageToken` on Cloud, whose
`/search` is gone: 410; `/search` with `startAt`/`total` on Data Center). Basic auth
(email:API token) or a bearer PAT; anything else is a 401. `set_status` plays a human moving the ticket.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from tests.fakes import jira_admin
from tests.fakes.jira_admin import JiraSetup
from tests.fakes.jira_fields import Refused, read_new_issue
from tests.fakes.jira_model import JiraComment, JiraIssue, JiraRemoteLink, Render, error
from tests.fakes.jira_search import REMOVED, search, search_jql
from tests.fakes.jira_workflow import move, offered, perform, status_named
from tests.fakes.records import Recorded, Reply, json_reply
from tests.fakes.server import FakeServer, Handler, Route, route
from tests.fakes.world import (
    DEFAULT_WORKFLOW,
    JIRA_API_TOKEN,
    JIRA_EMAIL,
    JIRA_ISSUE_TYPES,
    JIRA_PAT,
    JIRA_PRIORITIES,
    JIRA_PROJECTS,
    JIRA_STATUSES,
    JiraProject,
    Transition,
)

API = "/rest/api/2"
KEY = r"(?P<key>[^/]+)"


def _answer(payload: Callable[[], Any]) -> Handler:
    """A handler that answers 200 with what `payload` gives."""
    return lambda request, match: json_reply(200, payload())


class FakeJira(FakeServer):
    spec_name = "jira-platform-v2"

    def __init__(
        self,
        *,
        deployment: Literal["Cloud", "Server"] = "Cloud",
        tls: bool = False,
        validate: bool = True,
        projects: Sequence[JiraProject] = JIRA_PROJECTS,
        workflows: Mapping[str, Sequence[Transition]] | None = None,
        email: str = JIRA_EMAIL,
        api_token: str = JIRA_API_TOKEN,
        pat: str = JIRA_PAT,
        clock: Callable[[], datetime] | None = None,
        setup: JiraSetup | None = None,
    ) -> None:
        super().__init__(tls=tls, validate=validate)
        self.setup = setup or JiraSetup()
        """Create screens and admin rights, as the doctor reads them."""
        self.deployment = deployment
        self.cloud = deployment == "Cloud"
        self.projects = list(projects)
        self.workflows = {project.key: tuple(DEFAULT_WORKFLOW) for project in self.projects}
        self.workflows.update({key: tuple(flow) for key, flow in (workflows or {}).items()})
        self._credentials = (email, api_token, pat)
        self._now = clock or (lambda: datetime.now(UTC))
        self._issues: list[JiraIssue] = []
        self._ids = itertools.count(10000)
        self._next_link = 10000
        self.search_lag = False
        """True: new issues stay out of `/search/jql` until `reindex()` or `reconcileIssues` names them."""
        self.page_limit: int | None = None
        """At most this many issues per search page, whatever `maxResults` asks (Jira may give fewer)."""
        self._unindexed: set[str] = set()
        self._routes = self._route_table()

    def _route_table(self) -> list[Route]:
        issue = f"{API}/issue/{KEY}"
        render = self._render
        return [
            route("GET", f"{API}/serverInfo", self._server_info),
            route("GET", f"{API}/myself", _answer(lambda: render().user())),
            route("GET", f"{API}/field", _answer(lambda: render().fields())),
            route("GET", f"{API}/priority", _answer(lambda: [render().priority(p) for p in JIRA_PRIORITIES])),
            route(
                "GET", f"{API}/issuetype", _answer(lambda: [render().issue_type(t) for t in JIRA_ISSUE_TYPES])
            ),
            route("GET", f"{API}/project", _answer(lambda: [render().project(p) for p in self.projects])),
            route("GET", f"{API}/project/{KEY}", self._project),
            route("POST", f"{API}/issue", self._create),
            route("GET", issue, self._get_issue),
            route("PUT", issue, self._edit_issue),
            route("GET", f"{issue}/comment", self._comments),
            route("POST", f"{issue}/comment", self._add_comment),
            # The contract describes this answer as one link; Jira (rightly) answers a list.
            route("GET", f"{issue}/remotelink", self._remote_links, check_answer=False),
            route("POST", f"{issue}/remotelink", self._add_remote_link),
            route("GET", f"{issue}/transitions", self._transitions),
            route("POST", f"{issue}/transitions", self._transition),
            route("GET", f"{API}/search/jql", self._search_jql),
            *jira_admin.routes(self),
            # Cloud removed /search; its document's description no longer fits Data Center's (where
            # validateQuery is a boolean, and jira-python sends "True"), so only Cloud checks it.
            route("GET", f"{API}/search", self._search, in_spec=self.cloud),
            route("POST", f"{API}/search", self._search, in_spec=self.cloud),
            # Admin-only and outside the contract; jira-python asks before adding a remote link.
            route("GET", "/rest/applinks/latest/listApplicationlinks", self._applinks, in_spec=False),
        ]

    # -- what tests use ----------------------------------------------------------------------------

    def issue(self, key: str) -> JiraIssue:
        """A copy of the issue with `key` (or id); KeyError when there is none."""
        with self._lock:
            found = self._find(key)
            if found is None:
                raise KeyError(key)
            return copy.deepcopy(found)

    @property
    def issues(self) -> list[JiraIssue]:
        with self._lock:
            return copy.deepcopy(self._issues)

    def create_issue(self, fields: dict[str, Any]) -> JiraIssue:
        """File an issue directly, as someone else would have (same rules as the API; `Refused` if broken)."""
        with self._lock:
            return copy.deepcopy(self._file(fields))

    def set_status(self, key: str, status_name: str) -> None:
        """Move the issue as a person would, whatever the workflow says; done statuses get a resolution."""
        with self._lock:
            found = self._find(key)
            if found is None:
                raise KeyError(key)
            move(found, status_named(status_name), resolution=None, now=self._now())

    def add_comment(self, key: str, body: str) -> None:
        """Comment on the issue as a person would (or as Jira Cloud renders a comment back to wiki markup)."""
        with self._lock:
            found = self._find(key)
            if found is None:
                raise KeyError(key)
            found.comments.append(JiraComment(self._new_id(), body, self._now()))

    def reindex(self) -> None:
        """Let search see every issue (ends the `search_lag` of issues filed so far)."""
        with self._lock:
            self._unindexed.clear()

    # -- plumbing ----------------------------------------------------------------------------------

    def _render(self) -> Render:
        return Render(self.url, cloud=self.cloud)

    def _authenticate(self, request: Recorded) -> Reply | None:
        if request.path == f"{API}/serverInfo":
            return None  # anonymous access is allowed
        email, token, pat = self._credentials
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() == "bearer" and value == pat:
            return None
        if scheme.lower() == "basic":
            try:
                if base64.b64decode(value, validate=True).decode() == f"{email}:{token}":
                    return None
            except (binascii.Error, UnicodeDecodeError):
                pass
        return error(401, "You are not authenticated. Authentication required to perform this operation.")

    def _not_found(self, request: Recorded) -> Reply:
        return error(404, "null for uri: " + request.path)

    def _refused(self, failure: Exception) -> Reply | None:
        return error(400, **failure.errors) if isinstance(failure, Refused) else None

    def _find(self, key_or_id: str) -> JiraIssue | None:
        return next((i for i in self._issues if key_or_id.upper() in (i.key, i.id)), None)

    def _with_issue(self, match: Any, answer: Callable[[JiraIssue], Reply]) -> Reply:
        found = self._find(match["key"])
        if found is None:
            return error(404, "Issue does not exist or you do not have permission to see it.")
        return answer(found)

    def _new_id(self) -> str:
        return str(next(self._ids))

    def _workflow(self, issue: JiraIssue) -> Sequence[Transition]:
        return self.workflows.get(issue.project.key, ())

    def _file(self, fields: Any) -> JiraIssue:
        new = read_new_issue(
            fields, projects=self.projects, issue_types=JIRA_ISSUE_TYPES, priorities=JIRA_PRIORITIES
        )
        number = 1 + sum(1 for i in self._issues if i.project.key == new.project.key)
        now = self._now()
        issue = JiraIssue(
            id=self._new_id(),
            key=f"{new.project.key}-{number}",
            project=new.project,
            issue_type=new.issue_type,
            summary=new.summary,
            status=JIRA_STATUSES[0],
            created=now,
            updated=now,
            description=new.description,
            labels=new.labels,
            priority=new.priority,
            components=new.components,
            duedate=new.duedate,
            environment=new.environment,
        )
        self._issues.append(issue)
        if self.search_lag:
            self._unindexed.add(issue.id)
        return issue

    # -- endpoints ---------------------------------------------------------------------------------

    def _server_info(self, request: Recorded, match: Any) -> Reply:
        version, numbers = ("1001.0.0-SNAPSHOT", [1001, 0, 0]) if self.cloud else ("9.12.15", [9, 12, 15])
        return json_reply(
            200,
            {
                "baseUrl": self.url,
                "version": version,
                "versionNumbers": numbers,
                "deploymentType": self.deployment,
                "buildNumber": 100280,
                "buildDate": "2026-11-20T00:00:00.000+0000",
                "serverTime": self._now().strftime("%Y-%m-%dT%H:%M:%S.000%z"),
                "scmInfo": "0c8f2e3a",
                "serverTitle": "Acme Data Jira",
            },
        )

    def _get_issue(self, request: Recorded, match: Any) -> Reply:
        fields = request.params("fields") or ["*all"]
        return self._with_issue(match, lambda issue: json_reply(200, self._render().issue(issue, fields)))

    def _project(self, request: Recorded, match: Any) -> Reply:
        wanted = match["key"].upper()
        for project in self.projects:
            if wanted in (project.key, project.id):
                return json_reply(200, self._render().project(project, JIRA_ISSUE_TYPES))
        return error(404, "No project could be found with key '" + match["key"] + "'.")

    def _create(self, request: Recorded, match: Any) -> Reply:
        issue = self._file(request.json.get("fields") if isinstance(request.json, dict) else None)
        return json_reply(
            201, {"id": issue.id, "key": issue.key, "self": f"{self.url}{API}/issue/{issue.id}"}
        )

    def _comments(self, request: Recorded, match: Any) -> Reply:
        def page(issue: JiraIssue) -> Reply:
            start = int(request.param("startAt") or 0)
            size = int(request.param("maxResults") or 100)
            chosen = issue.comments[start : start + size]
            return json_reply(200, self._render().comments(issue, chosen, start, len(issue.comments)))

        return self._with_issue(match, page)

    def _edit_issue(self, request: Recorded, match: Any) -> Reply:
        """`PUT .../issue/{key}`: `fields.summary` and `update.labels` `add` operations (what integrator
        sends), either or both; 204."""
        body = request.json if isinstance(request.json, dict) else {}
        fields, update = body.get("fields", {}), body.get("update", {})
        if not (fields or update) or set(body) - {"fields", "update"}:
            return error(400, issue="the fake Jira edits only fields.summary and update.labels")
        if not isinstance(fields, dict) or set(fields) - {"summary"}:
            return error(400, summary="the fake Jira edits only the summary among fields")
        summary = fields.get("summary")
        if "summary" in fields and not (isinstance(summary, str) and summary.strip() and len(summary) < 256):
            return error(400, summary="You must specify a summary of the issue (255 characters at most).")
        labelled = isinstance(update, dict) and set(update) <= {"labels"}
        operations = update.get("labels", []) if labelled else None
        if not isinstance(operations, list) or not all(
            isinstance(o, dict) and set(o) == {"add"} and isinstance(o["add"], str) and " " not in o["add"]
            for o in operations
        ):
            return error(400, labels="the fake Jira edits only labels, by update add, without spaces")

        def edit(issue: JiraIssue) -> Reply:
            for operation in operations:
                if operation["add"] not in issue.labels:
                    issue.labels.append(operation["add"])
            if isinstance(summary, str):
                issue.summary = summary
            issue.updated = self._now()
            return Reply(204)

        return self._with_issue(match, edit)

    def _add_comment(self, request: Recorded, match: Any) -> Reply:
        text = request.json.get("body") if isinstance(request.json, dict) else None
        if not isinstance(text, str) or not text.strip():
            return error(400, comment="Comment body can not be empty!")

        def add(issue: JiraIssue) -> Reply:
            comment = JiraComment(self._new_id(), text, self._now())
            issue.comments.append(comment)
            issue.updated = comment.created
            return json_reply(201, self._render().comment(issue, comment))

        return self._with_issue(match, add)

    def _remote_links(self, request: Recorded, match: Any) -> Reply:
        def listing(issue: JiraIssue) -> Reply:
            global_id = request.param("globalId")
            if global_id is None:
                return json_reply(200, [self._render().remote_link(issue, link) for link in issue.links])
            link = next((link for link in issue.links if link.global_id == global_id), None)
            if link is None:
                return error(404, "No remote link with the given globalId exists.")
            return json_reply(200, self._render().remote_link(issue, link))

        return self._with_issue(match, listing)

    def _add_remote_link(self, request: Recorded, match: Any) -> Reply:
        body = request.json if isinstance(request.json, dict) else {}
        target = body.get("object")
        if not isinstance(target, dict) or not target.get("url") or not target.get("title"):
            return error(400, **{"object": "'object' with a 'url' and a 'title' is required."})

        def add(issue: JiraIssue) -> Reply:
            global_id = body.get("globalId")
            link = next((link for link in issue.links if global_id and link.global_id == global_id), None)
            created = link is None
            if link is None:
                link = JiraRemoteLink(self._next_link, global_id, {})
                self._next_link += 1
                issue.links.append(link)
            link.object = dict(target)
            link.application = dict(body.get("application") or {})
            link.relationship = body.get("relationship")
            issue.updated = self._now()
            answer = {"id": link.id, "self": f"{self.url}{API}/issue/{issue.key}/remotelink/{link.id}"}
            return json_reply(201 if created else 200, answer)

        return self._with_issue(match, add)

    def _transitions(self, request: Recorded, match: Any) -> Reply:
        return self._with_issue(match, lambda i: offered(i, self._workflow(i), request, self._render()))

    def _transition(self, request: Recorded, match: Any) -> Reply:
        return self._with_issue(
            match, lambda i: perform(i, self._workflow(i), request.json, now=self._now(), new_id=self._new_id)
        )

    def _search_jql(self, request: Recorded, match: Any) -> Reply:
        if not self.cloud:
            return self._not_found(request)
        return search_jql(
            self._issues, request, self._render(), hidden=self._unindexed, page_limit=self.page_limit
        )

    def _search(self, request: Recorded, match: Any) -> Reply:
        if self.cloud:
            return error(410, REMOVED)
        return search(self._issues, request, self._render(), page_limit=self.page_limit)

    def _applinks(self, request: Recorded, match: Any) -> Reply:
        return error(403, "You do not have the permission to see the specified application links.")
