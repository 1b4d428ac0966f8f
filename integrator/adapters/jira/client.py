"""The `Tracker` port over Jira's REST API v2 (Cloud or Data Center): the P1 and its fix clock.

The only module that imports `jira`. The client is built on first use (its constructor asks the
server for `serverInfo`) with `max_retries=0`, so `retrying.RetryPolicy` is the only retry layer,
and the settings' timeout on every request. Text goes out as escaped wiki markup (`markup`), the
P1 as `fields` builds it; failures leave as `errors` words them.

Statuses are read in searches of `key in (...)` over at most 100 keys (Cloud: `/search/jql` with
`nextPageToken`; Data Center: `/search` with `startAt`). Jira refuses a whole query that names an
issue it does not know (deleted, or never there): Data Center is asked not to (`validateQuery=false`
turns those errors into warnings); Cloud has no such switch, so the keys its 400 names are left out
and the query is asked again. An issue Jira does not know is simply absent from the answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Collection, Iterator
from functools import partial
from typing import Any, TypeVar, cast
from urllib.parse import quote

import requests
from jira import JIRA, JIRAError
from pydantic import SecretStr

from integrator.adapters.jira import errors
from integrator.adapters.jira.fields import CATEGORIES, STATUS_FIELDS, issue_fields, issue_status
from integrator.adapters.jira.markup import escape_wiki, jql_string, keys_jql, unescape_wiki
from integrator.domain.escalation import Escalation, IssueStatus, Ticket
from integrator.errors import ConfigError, Rejected
from integrator.settings import JiraSettings

T = TypeVar("T")

log = logging.getLogger(__name__)

BATCH = 100  # keys per `key in (...)` search, and issues (or comments) asked for per page


class JiraTracker:
    """Files and finds P1s in Jira, authenticated by API token (Cloud) or personal access token (DC)."""

    def __init__(self, settings: JiraSettings, *, verify: bool | str = True) -> None:
        if not settings.configured or not settings.url:
            raise ConfigError("Jira needs INTEGRATOR_JIRA__URL and an API token with email, or a PAT")
        self.settings = settings
        self.base_url = settings.url.rstrip("/")
        self._verify = verify
        self._client: JIRA | None = None
        self._lock = threading.Lock()

    def file(self, escalation: Escalation) -> Ticket:
        fields = issue_fields(escalation, self.settings)
        issue = self._call("POST issue", lambda jira: jira.create_issue(fields=fields, prefetch=False))
        return self._ticket(str(issue.key))

    def find(self, escalation: Escalation) -> Ticket | None:
        jql = f"labels = {jql_string(escalation.label)}"

        def search(jira: JIRA) -> dict[str, Any]:
            if jira.deploymentType == "Cloud":
                found = jira.enhanced_search_issues(jql, maxResults=1, fields=["labels"], json_result=True)
            else:
                found = jira.search_issues(jql, maxResults=1, fields=["labels"], json_result=True)
            return cast(dict[str, Any], found)  # json_result=True

        issues = self._call("search", search).get("issues") or []
        return self._ticket(str(issues[0]["key"])) if issues else None

    def link(self, key: str, *, url: str, title: str) -> None:
        # The global id makes Jira update the link it already has for this URL instead of adding one.
        global_id = "integrator:" + hashlib.sha256(url.encode()).hexdigest()
        destination = {"url": url, "title": title}
        self._call(
            f"POST remote link on {key}",
            lambda jira: jira.add_remote_link(key, destination, globalId=global_id),
        )

    def comment(self, key: str, text: str) -> None:
        self._call(f"POST comment on {key}", lambda jira: jira.add_comment(key, escape_wiki(text)))

    def has_comment(self, key: str, text: str) -> bool:
        wanted = unescape_wiki(escape_wiki(text))
        return any(unescape_wiki(str(c.get("body") or "")) == wanted for c in self._comments(key))

    def statuses(self, keys: Collection[str]) -> list[IssueStatus]:
        wanted = list(dict.fromkeys(key.strip() for key in keys if key.strip()))
        found: list[IssueStatus] = []
        for start in range(0, len(wanted), BATCH):
            found += self._statuses_of(wanted[start : start + BATCH])
        return found

    def status(self, key: str) -> IssueStatus:
        fields = ",".join(STATUS_FIELDS)
        issue = self._call(f"GET issue {key}", lambda jira: jira.issue(key, fields=fields))
        return issue_status(issue.raw)

    def transition_to(self, key: str, category: str) -> IssueStatus:
        if category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, not {category!r}")
        current = self.status(key)
        if current.category == category:
            return current
        offered = self._call(f"GET transitions of {key}", lambda jira: jira.transitions(current.key))
        transition = _transition_into(offered, category)
        if transition is None:
            project = current.key.rsplit("-", 1)[0]
            raise Rejected(
                errors.SYSTEM,
                f"{current.key}: project {project}'s workflow has no transition from"
                f" {current.status!r} to a {CATEGORIES[category]} status",
            )
        self._post_transition(current.key, str(transition["id"]))
        return self.status(key)

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        return issue_fields(escalation, self.settings)

    def read(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON answer of `GET /rest/api/2/{path}` (the doctor's reads), failures in our words."""
        return self._call(f"GET {path}", lambda jira: jira._get_json(path, params=params or {}))

    def deployment(self) -> str:
        """`Cloud`, or `Server` for Data Center, as `serverInfo` says."""
        return str(self._call("GET serverInfo", lambda jira: jira.deploymentType))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]

    def _statuses_of(self, keys: list[str]) -> list[IssueStatus]:
        """The issues of one batch; keys Jira says it does not know are left out and the rest asked again."""
        while keys:
            try:
                return [issue_status(issue) for issue in self._search(keys_jql(keys), STATUS_FIELDS)]
            except errors.UnknownKeys as exc:
                log.warning("Jira does not know %s; their status is not synced", ", ".join(sorted(exc.keys)))
                keys = [key for key in keys if key.casefold() not in exc.keys]
        return []

    def _search(self, jql: str, fields: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        """Every issue `jql` finds, page by page, on Cloud (`/search/jql`) or Data Center (`/search`)."""
        jira = _translated("GET serverInfo", self._jira)
        token: str | None = None
        start = 0
        while True:
            page = _searched(jql, partial(_search_page, jira, jql, list(fields), token=token, start=start))
            issues = page.get("issues") or []
            yield from issues
            start += len(issues)
            token = page.get("nextPageToken")
            if jira.deploymentType == "Cloud":
                if not token or not issues:
                    return
            elif not issues or start >= int(page.get("total") or 0):
                return

    def _comments(self, key: str) -> Iterator[dict[str, Any]]:
        path = f"issue/{quote(key, safe='')}/comment"
        start = 0
        while True:
            params = {"startAt": start, "maxResults": BATCH}
            page = self._call(f"GET comments of {key}", partial(_get_json, path=path, params=params))
            comments = page.get("comments") or []
            yield from comments
            start += len(comments)
            if not comments or start >= int(page.get("total") or 0):
                return

    def add_label(self, key: str, label: str) -> None:
        """Edit the issue's labels with an `update` `add` (the other labels are left as they are)."""
        body = json.dumps({"update": {"labels": [{"add": label}]}})

        def put(jira: JIRA) -> None:
            jira._session.put(jira._get_url(f"issue/{quote(key, safe='')}"), data=body)

        self._call(f"PUT label {label} on {key}", put)

    def set_summary(self, key: str, summary: str, *, label: str | None = None) -> None:
        """Edit the issue's `summary` field (and add `label` by an `update` `add`) in one request."""
        edit: dict[str, Any] = {"fields": {"summary": summary}}
        if label:
            edit["update"] = {"labels": [{"add": label}]}
        body = json.dumps(edit)

        def put(jira: JIRA) -> None:
            jira._session.put(jira._get_url(f"issue/{quote(key, safe='')}"), data=body)

        self._call(f"PUT summary on {key}", put)

    def _post_transition(self, key: str, transition_id: str) -> None:
        """POST the transition with its id as the string Jira gave (`transition_issue` sends an int)."""
        body = json.dumps({"transition": {"id": transition_id}})

        def post(jira: JIRA) -> None:
            jira._session.post(jira._get_url(f"issue/{quote(key, safe='')}/transitions"), data=body)

        self._call(f"POST transition {transition_id} on {key}", post)

    def _ticket(self, key: str) -> Ticket:
        return Ticket(key=key, url=f"{self.base_url}/browse/{key}")

    def _jira(self) -> JIRA:
        with self._lock:
            if self._client is None:
                self._client = connect(self.settings, self._verify)
            return self._client

    def _call(self, action: str, operation: Callable[[JIRA], T]) -> T:
        """`operation` on the client, with every failure in integrator's words."""
        jira = _translated("GET serverInfo", self._jira)
        return _translated(action, lambda: operation(jira))


def connect(settings: JiraSettings, verify: bool | str) -> JIRA:
    """A client for the configured server; asks for `serverInfo` (Cloud or Data Center?)."""
    base_url = (settings.url or "").rstrip("/")
    if settings.pat:
        auth: dict[str, Any] = {"token_auth": _secret(settings.pat)}
    else:
        auth = {"basic_auth": (settings.email or "", _secret(settings.api_token))}
    try:
        client = JIRA(
            server=base_url,
            options={"verify": verify},
            max_retries=0,
            timeout=settings.timeout_seconds,
            get_server_info=True,
            **auth,
        )
    except KeyError as exc:  # serverInfo without versionNumbers
        raise Rejected(errors.SYSTEM, f"{base_url} does not answer serverInfo like Jira") from exc
    # add_remote_link first lists application links (an admin-only request, whose refusal
    # becomes a warning) only to link to other Jira issues; a URL needs none of them.
    client._applicationlinks = []
    return client


def _get_json(jira: JIRA, *, path: str, params: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], jira._get_json(path, params=params))


def _search_page(jira: JIRA, jql: str, fields: list[str], *, token: str | None, start: int) -> dict[str, Any]:
    if jira.deploymentType == "Cloud":
        found = jira.enhanced_search_issues(
            jql, nextPageToken=token, maxResults=BATCH, fields=fields, json_result=True
        )
    else:
        found = jira.search_issues(
            jql, startAt=start, maxResults=BATCH, fields=fields, validate_query=False, json_result=True
        )
    return cast(dict[str, Any], found)  # json_result=True


def _searched(jql: str, operation: Callable[[], T]) -> T:
    """`operation` (a search of `jql`); a refusal that only names unknown keys of `jql` is `UnknownKeys`."""
    try:
        return _translated("search", operation)
    except Rejected as exc:
        cause = exc.__cause__
        unknown = errors.unknown_keys(exc, cause.response if isinstance(cause, JIRAError) else None, jql)
        if unknown is not None:
            raise unknown from cause
        raise


def _transition_into(offered: list[dict[str, Any]], category: str) -> dict[str, Any] | None:
    """The first offered transition into a status of `category`; one without a screen if there is one."""
    into = [
        t
        for t in offered
        if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == category
        and t.get("isAvailable", True)
    ]
    return next((t for t in into if not t.get("hasScreen")), into[0] if into else None)


def _translated(action: str, operation: Callable[[], T]) -> T:
    try:
        return operation()
    except JIRAError as exc:
        raise errors.from_status(action, exc.status_code, exc.response, exc.text) from exc
    except requests.RequestException as exc:
        raise errors.from_network(action, exc) from exc


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""
