"""Jira's searches over the fake's issues: Cloud's `/search/jql` and Data Center's `/search`.

Cloud pages with an opaque `nextPageToken`, gives no `total`, returns only ids unless `fields`
asks for more, and may lag behind writes (issues in `hidden` are found only when
`reconcileIssues` names them). Data Center pages with `startAt` and tells the `total`. Both may
return fewer issues than `maxResults` asks for (`page_limit`, as Jira does for heavy fields).

A `key`/`issuekey` clause naming an issue that does not exist (deleted, or never there) makes
Jira refuse the whole query with 400 "An issue with key 'X' does not exist for field 'key'.";
only Data Center's `/search` with `validateQuery=false` (or `warn`/`none`) searches anyway and
returns those messages as `warningMessages`. Cloud's `/search/jql` has no such switch.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from typing import Any

from tests.fakes import jql
from tests.fakes.jira_model import JiraIssue, Render, error
from tests.fakes.records import Recorded, Reply, json_reply

REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


_ISSUE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-\d+")
LENIENT = ("false", "warn", "none")  # Data Center's validateQuery values that turn errors into warnings


def search_jql(
    issues: Sequence[JiraIssue],
    request: Recorded,
    render: Render,
    *,
    hidden: set[str],
    page_limit: int | None = None,
) -> Reply:
    reconciled = set(request.params("reconcileIssues"))
    searched = [i for i in issues if i.id not in hidden or i.id in reconciled]
    found = _matching(searched, request.param("jql"), known=issues, strict=True)
    if isinstance(found, Reply):
        return found
    size = _page_size(request.param("maxResults"), page_limit)
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


def search(
    issues: Sequence[JiraIssue], request: Recorded, render: Render, *, page_limit: int | None = None
) -> Reply:
    """Data Center's search, by GET (query) or POST (JSON body)."""
    form: dict[str, Any] = request.json if request.method == "POST" and isinstance(request.json, dict) else {}
    query = {name: values[0] for name, values in request.query.items()}
    strict = str(form.get("validateQuery", query.get("validateQuery", "strict"))).lower() not in LENIENT
    warnings: list[str] = []
    jql_text = str(form.get("jql", query.get("jql", "")))
    found = _matching(issues, jql_text, known=issues, strict=strict, warnings=warnings)
    if isinstance(found, Reply):
        return found
    start = int(form.get("startAt", query.get("startAt", 0)))
    size = _page_size(form.get("maxResults", query.get("maxResults")), page_limit)
    fields = form.get("fields") or request.params("fields") or ["*navigable"]
    answer: dict[str, Any] = {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": size,
        "total": len(found),
        "issues": [render.issue(i, fields) for i in found[start : start + size]],
    }
    if warnings:
        answer["warningMessages"] = warnings
    return json_reply(200, answer)


def _page_size(asked: Any, page_limit: int | None) -> int:
    size = int(asked or 50)
    return min(size, page_limit) if page_limit else size


def _matching(
    issues: Sequence[JiraIssue],
    jql_text: str | None,
    *,
    known: Sequence[JiraIssue],
    strict: bool,
    warnings: list[str] | None = None,
) -> list[JiraIssue] | Reply:
    try:
        clauses = jql.parse(jql_text or "")
        if unknown := _unknown_keys(clauses, known):
            if strict:
                return error(400, *unknown)
            if warnings is not None:
                warnings += unknown
        return [i for i in issues if jql.matches(clauses, i.values)]
    except jql.JqlError as refused:
        return error(400, str(refused))
    except KeyError as unknown:
        return error(
            400, f"Field '{unknown.args[0]}' does not exist or you do not have permission to view it."
        )


def _unknown_keys(clauses: Sequence[jql.Clause], known: Sequence[JiraIssue]) -> list[str]:
    """Jira's complaint about each issue a `key` clause names that does not exist."""
    existing = {name.casefold() for issue in known for name in (issue.key, issue.id)}
    complaints = []
    for clause in clauses:
        if clause.field not in ("key", "issuekey"):
            continue
        for value in clause.values:
            if value.casefold() in existing:
                continue
            if _ISSUE_KEY.fullmatch(value) or value.isdigit():
                complaints.append(f"An issue with key '{value}' does not exist for field '{clause.field}'.")
            else:
                complaints.append(f"The issue key '{value}' for field '{clause.field}' is invalid.")
    return complaints
