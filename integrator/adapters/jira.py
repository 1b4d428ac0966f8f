"""The `Tracker` port over Jira's REST API v2 (Cloud or Data Center): the P1 and its fix clock.

The `jira` client is built on first use (its constructor asks the server for `serverInfo`) with
`max_retries=0`, so `retrying.RetryPolicy` is the only retry layer, and the settings' timeout on
every request. Text is Jira wiki markup: whatever a person typed is escaped (`escape_wiki`), a
stack trace goes in a `{noformat}` block it cannot close. Errors leave as `Unavailable` (429 with
`Retry-After`, 5xx, network) or `Rejected` (other 4xx, naming the fields Jira complained about).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from datetime import UTC
from typing import Any, TypeVar, cast

import requests
from jira import JIRA, JIRAError
from pydantic import SecretStr
from urllib3.exceptions import MaxRetryError, NewConnectionError

from integrator.adapters import text
from integrator.errors import ConfigError, IntegrationError, Rejected, Unavailable
from integrator.model import Escalation, Ticket
from integrator.settings import JiraSettings

T = TypeVar("T")

SYSTEM = "Jira"
DESCRIPTION_LIMIT = 32_000  # Jira refuses text fields over 32,767 characters
FACT_LIMIT = 1_000
PROSE_LIMIT = 6_000
LABELS = ("integrator", "poc-escalation")

_SPECIAL = re.compile(r"[\\&*_\-+^~?{}\[\]|!#()]|:(?=[PD])")
_BLOCK_START = re.compile(r"^([ \t]*)(h[1-6]|bq)\.", re.MULTILINE)
_NOFORMAT = re.compile(r"\{(?=noformat)", re.IGNORECASE)
_PLAIN_URL = re.compile(r"^https?://[^\s\[\]|{}]+$")


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


def noformat(value: str) -> str:
    """`value` in a `{noformat}` block; a `{noformat}` in it gets a zero-width space, so cannot close it."""
    return "{noformat}\n" + _NOFORMAT.sub("{\u200b", value.rstrip("\n")) + "\n{noformat}"


def jql_string(value: str) -> str:
    """`value` as a quoted JQL string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


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

    dry_run = False

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
        self._call(f"POST comment on {key}", lambda jira: jira.add_comment(key, text))

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        return issue_fields(escalation, self.settings)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]

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


def _message(exc: JIRAError) -> str:
    """Jira's `errorMessages` and `errors` (as `field: message`); never the request (it has the token)."""
    try:
        body = exc.response.json() if exc.response is not None else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    parts = [str(m) for m in body.get("errorMessages") or []]
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
