"""The `Tracker` port over Jira's REST API v2 (Cloud or Data Center): the P1 and its fix clock.

The `jira` client is built on first use (its constructor asks the server for `serverInfo`) with
`max_retries=0`, so `retrying.RetryPolicy` is the only retry layer, and the settings' timeout on
every request. Text is Jira wiki markup: whatever a person typed is escaped (`escape_wiki`), a
stack trace goes in a `{noformat}` block it cannot close. Errors leave as `Unavailable` (429 with
`Retry-After`, 5xx, network) or `Rejected` (other 4xx, naming the fields Jira complained about).

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
import re
import threading
from collections.abc import Callable, Collection, Iterator
from datetime import UTC
from functools import partial
from typing import Any, TypeVar, cast
from urllib.parse import quote

import requests
from jira import JIRA, JIRAError
from pydantic import SecretStr
from urllib3.exceptions import MaxRetryError, NewConnectionError

from integrator.domain.escalation import Escalation, IssueStatus, Ticket
from integrator.errors import ConfigError, IntegrationError, Rejected, Unavailable
from integrator.messages import facts as text
from integrator.settings import JiraSettings

T = TypeVar("T")

log = logging.getLogger(__name__)

SYSTEM = "Jira"
DESCRIPTION_LIMIT = 32_000  # Jira refuses text fields over 32,767 characters
FACT_LIMIT = 1_000
PROSE_LIMIT = 6_000
LABELS = ("integrator", "poc-escalation")
BATCH = 100  # keys per `key in (...)` search, and issues (or comments) asked for per page
STATUS_FIELDS = ("status", "resolution")
CATEGORIES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}  # key -> Jira's name

_SPECIAL = re.compile(r"[\\&*_\-+^~?{}\[\]|!#()]|:(?=[PD])")
_BLOCK_START = re.compile(r"^([ \t]*)(h[1-6]|bq)\.", re.MULTILINE)
_NOFORMAT = re.compile(r"\{(?=noformat)", re.IGNORECASE)
_PLAIN_URL = re.compile(r"^https?://[^\s\[\]|{}]+$")
_ESCAPED = re.compile(r"\\([\\&*_\-+^~?{}\[\]|!#()])")
_ENTITY = re.compile(r"&(amp|#\d+);")
_QUOTED = re.compile(r"'([^']+)'")


def escape_wiki(value: str) -> str:
    """`value` as literal text in Jira wiki markup: no formatting, links, macros, tables or headings.

    Markup characters get a backslash; a backslash itself becomes `&#92;` (two backslashes would
    be a line break), `&` becomes `&amp;`, the colon of the `:P` and `:D` emoticons `&#58;`, and
    `h1.` or `bq.` opening a line loses its meaning.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    escaped = _SPECIAL.sub(_escape_char, value)
    return _BLOCK_START.sub(lambda m: f"{m[1]}&#{ord(m[2][0])};{m[2][1:]}.", escaped)


def _escape_char(match: re.Match[str]) -> str:
    char = match[0]
    return {"\\": "&#92;", "&": "&amp;", ":": "&#58;"}.get(char, "\\" + char)


def unescape_wiki(markup: str) -> str:
    """The plain text of escaped wiki markup (the inverse of `escape_wiki`), line endings as `\\n`, trimmed.

    Used to compare a comment Jira shows with the text we sent: Jira Cloud keeps comments in its
    own format and renders them back to wiki markup, not always with the same escapes.
    """
    markup = markup.replace("\r\n", "\n").replace("\r", "\n")
    plain = _ESCAPED.sub(r"\1", markup)
    plain = _ENTITY.sub(lambda m: "&" if m[1] == "amp" else chr(int(m[1][1:])), plain)
    return plain.strip()


def noformat(value: str) -> str:
    """`value` in a `{noformat}` block; a `{noformat}` in it gets a zero-width space, so cannot close it."""
    return "{noformat}\n" + _NOFORMAT.sub("{\u200b", value.rstrip("\n")) + "\n{noformat}"


def jql_string(value: str) -> str:
    """`value` as a quoted JQL string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def keys_jql(keys: Collection[str]) -> str:
    """`key in ("ING-1", ...)`: every key quoted, so no key can change the query."""
    return f"key in ({', '.join(jql_string(key) for key in keys)})"


def issue_status(issue: dict[str, Any]) -> IssueStatus:
    """An issue of the REST API (with fields status and resolution) as the status sync sees it."""
    fields = issue.get("fields") or {}
    status = fields.get("status") or {}
    resolution = fields.get("resolution") or {}
    return IssueStatus(
        key=str(issue["key"]),
        status=str(status.get("name") or ""),
        category=str((status.get("statusCategory") or {}).get("key") or ""),
        resolution=resolution.get("name"),
    )


def issue_fields(escalation: Escalation, settings: JiraSettings) -> dict[str, Any]:
    """The fields of the P1, exactly as `POST /rest/api/2/issue` gets them."""
    team = escalation.owner.team
    fields: dict[str, Any] = {
        "project": {"key": team.jira_project},
        "summary": text.title(escalation),
        "issuetype": {"name": settings.issue_type},
        "priority": {"name": settings.priority},
        "duedate": escalation.fix_due.astimezone(UTC).date().isoformat(),
        "labels": [LABELS[0], escalation.label, LABELS[1]],
        "description": description(escalation),
    }
    if team.jira_component:
        fields["components"] = [{"name": team.jira_component}]
    return fields


def description(escalation: Escalation) -> str:
    """The P1's description in wiki markup: the deal, the failure, why this team, the clocks, the trace."""
    deal, failure = escalation.report.deal, escalation.report.failure
    arr = escape_wiki(text.compact_arr(deal))
    lines = [f"h3. Customer proof-of-concept broken: {escape_wiki(deal.account)} ({arr} ARR)"]
    for label, value in text.facts(escalation):
        is_link = label == "Escalation" and _PLAIN_URL.match(value)
        lines.append(f"*{label}:* " + (f"[{value}]" if is_link else _escaped(value, FACT_LIMIT)))
    if failure.description:
        lines += ["", "h3. What happened", _escaped(failure.description, PROSE_LIMIT)]
    lines += ["", "_Filed by integrator; status changes here flow back to the sales engineer and customer._"]
    head = "\n".join(lines)
    trace = failure.stack_trace.strip("\n")
    if not trace.strip():
        return head
    room = DESCRIPTION_LIMIT - len(head) - 200
    return f"{head}\n\nh3. Stack trace\n{noformat(_middle_out(trace, room))}"


def _escaped(value: str, limit: int) -> str:
    """`value` escaped and cut to `limit` without splitting an escape or an entity."""
    escaped = escape_wiki(value)
    if len(escaped) <= limit:
        return escaped
    return re.sub(r"(\\|&[#\w]*)$", "", escaped[: limit - 1]) + "…"


def _middle_out(trace: str, limit: int) -> str:
    """`trace` cut to about `limit` characters, keeping its start and its (usually innermost) end."""
    if len(trace) <= limit:
        return trace
    head = max(limit // 4, 0)
    tail = max(limit - head, 0)
    omitted = len(trace) - head - tail
    return f"{trace[:head]}\n… {omitted} characters left out …\n{trace[len(trace) - tail :]}"


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
                SYSTEM,
                f"{current.key}: project {project}'s workflow has no transition from"
                f" {current.status!r} to a {CATEGORIES[category]} status",
            )
        self._post_transition(current.key, str(transition["id"]))
        return self.status(key)

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        return issue_fields(escalation, self.settings)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]

    def _statuses_of(self, keys: list[str]) -> list[IssueStatus]:
        """The issues of one batch; keys Jira says it does not know are left out and the rest asked again."""
        while keys:
            try:
                return [issue_status(issue) for issue in self._search(keys_jql(keys), STATUS_FIELDS)]
            except _UnknownKeys as exc:
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
                self._client = self._connect()
            return self._client

    def _connect(self) -> JIRA:
        """A client for the configured server; asks for `serverInfo` (Cloud or Data Center?)."""
        settings = self.settings
        if settings.pat:
            auth: dict[str, Any] = {"token_auth": _secret(settings.pat)}
        else:
            auth = {"basic_auth": (settings.email or "", _secret(settings.api_token))}
        try:
            client = JIRA(
                server=self.base_url,
                options={"verify": self._verify},
                max_retries=0,
                timeout=settings.timeout_seconds,
                get_server_info=True,
                **auth,
            )
        except KeyError as exc:  # serverInfo without versionNumbers
            raise Rejected(SYSTEM, f"{self.base_url} does not answer serverInfo like Jira") from exc
        # add_remote_link first lists application links (an admin-only request, whose refusal
        # becomes a warning) only to link to other Jira issues; a URL needs none of them.
        client._applicationlinks = []
        return client

    def _call(self, action: str, operation: Callable[[JIRA], T]) -> T:
        """`operation` on the client, with every failure in integrator's words."""
        jira = _translated("GET serverInfo", self._jira)
        return _translated(action, lambda: operation(jira))


class _UnknownKeys(Rejected):
    """Jira refused a `key in (...)` search because these keys (casefolded) name no issue it knows."""

    def __init__(self, message: str, keys: set[str]) -> None:
        super().__init__(SYSTEM, message)
        self.keys = keys


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
    """`operation` (a search of `jql`); a refusal that only names unknown keys of `jql` is `_UnknownKeys`."""
    try:
        return _translated("search", operation)
    except Rejected as exc:
        cause = exc.__cause__
        messages = _error_messages(cause) if isinstance(cause, JIRAError) else []
        named = [_QUOTED.search(m) for m in messages if "key" in m]
        keys = {m[1].casefold() for m in named if m and jql_string(m[1]).casefold() in jql.casefold()}
        if messages and len(keys) == len(messages):
            raise _UnknownKeys(exc.message, keys) from cause
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
        raise _error(action, exc) from exc
    except requests.RequestException as exc:
        message = f"{action}: {text.clip(str(exc), 300)}"
        raise Unavailable(SYSTEM, message, uncertain=_maybe_sent(exc)) from exc


def _error(action: str, exc: JIRAError) -> IntegrationError:
    status = exc.status_code
    message = f"{action}: {status or 'no status'} {_message(exc)}".rstrip()
    if status is None or 200 <= status < 300:  # no answer, or an answer without what we asked for
        return Unavailable(SYSTEM, message, uncertain=True)
    if status == 429 or status >= 500:
        return Unavailable(SYSTEM, message, retry_after=_retry_after(exc.response))
    return Rejected(SYSTEM, message)


def _body(exc: JIRAError) -> dict[str, Any]:
    try:
        body = exc.response.json() if exc.response is not None else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_messages(exc: JIRAError) -> list[str]:
    return [str(m) for m in _body(exc).get("errorMessages") or []]


def _message(exc: JIRAError) -> str:
    """Jira's `errorMessages` and `errors` (as `field: message`); never the request (it has the token)."""
    body = _body(exc)
    parts = _error_messages(exc)
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {why}" for field, why in errors.items()]
    if not parts and exc.response is not None:
        parts = [exc.response.reason or exc.response.text[:200]]
    return "; ".join(parts) or (exc.text or "")


def _retry_after(response: requests.Response | None) -> float | None:
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _maybe_sent(exc: requests.RequestException) -> bool:
    """False only when the request certainly never left: no connection was ever made."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return not isinstance(reason, NewConnectionError)
