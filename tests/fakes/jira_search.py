"""Jira's searches over the fake's issues: Cloud's `/search/jql` and Data Center's `/search`.

Cloud pages with an opaque `nextPageToken`, gives no `total`, returns only ids unless `fields`
asks for more, and may lag behind writes (issues in `hidden` are found only when
`reconcileIssues` names them). Data Center pages with `startAt` and tells the `total`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from tests.fakes import jql
from tests.fakes.jira_model import JiraIssue, Render, error
from tests.fakes.records import Recorded, Reply, json_reply

REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def search_jql(issues: Sequence[JiraIssue], request: Recorded, render: Render, *, hidden: set[str]) -> Reply:
    reconciled = set(request.params("reconcileIssues"))
    found = _matching([i for i in issues if i.id not in hidden or i.id in reconciled], request.param("jql"))
    if isinstance(found, Reply):
        return found
    size = int(request.param("maxResults") or 50)
    token = request.param("nextPageToken")
    try:
        start = int(json.loads(base64.urlsafe_b64decode(token.encode()))["start"]) if token else 0
    except (ValueError, KeyError, TypeError):
        return error(400, "The provided next page token is invalid or expired.")
    fields = request.params("fields") or ["id"]
    answer: dict[str, Any] = {
        "issues": [render.issue(i, fields) for i in found[start : start + size]],
        "isLast": start + size >= len(found),
    }
    if not answer["isLast"]:
        answer["nextPageToken"] = base64.urlsafe_b64encode(
            json.dumps({"start": start + size}).encode()
        ).decode()
    return json_reply(200, answer)


def search(issues: Sequence[JiraIssue], request: Recorded, render: Render) -> Reply:
    """Data Center's search, by GET (query) or POST (JSON body)."""
    form: dict[str, Any] = request.json if request.method == "POST" and isinstance(request.json, dict) else {}
    query = {name: values[0] for name, values in request.query.items()}
    found = _matching(issues, str(form.get("jql", query.get("jql", ""))))
    if isinstance(found, Reply):
        return found
    start = int(form.get("startAt", query.get("startAt", 0)))
    size = int(form.get("maxResults", query.get("maxResults", 50)))
    fields = form.get("fields") or request.params("fields") or ["*navigable"]
    answer = {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": size,
        "total": len(found),
        "issues": [render.issue(i, fields) for i in found[start : start + size]],
    }
    return json_reply(200, answer)


def _matching(issues: Sequence[JiraIssue], jql_text: str | None) -> list[JiraIssue] | Reply:
    try:
        clauses = jql.parse(jql_text or "")
        return [i for i in issues if jql.matches(clauses, i.values)]
    except jql.JqlError as refused:
        return error(400, str(refused))
    except KeyError as unknown:
        return error(
            400, f"Field '{unknown.args[0]}' does not exist or you do not have permission to view it."
        )
