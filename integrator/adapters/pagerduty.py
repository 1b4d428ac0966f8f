"""The `Pager` port over PagerDuty's REST API: one high-urgency incident that wakes the owning engineer.

The `pagerduty` client retries on its own (forever on 429, three times on network errors); here it
does not: a response hook stops a 429 before the client's loop sees it, and network errors are
raised on the first failure, so `retrying.RetryPolicy` is the only retry layer. Every request has
the settings' timeout. Errors leave as `Unavailable` (429 with `ratelimit-reset`, 5xx, network)
or `Rejected` (other 4xx, with PagerDuty's own message).

The status sync reads incidents through the list endpoint, 100 a request: PagerDuty covers at most
6 months between `since` and `until` (asked for in windows of `WINDOW`) and pages at most 10,000
deep (a window that deep is split in two and read again).
"""

from __future__ import annotations

import ssl
from collections import deque
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
import pagerduty

from integrator.application.ports import Clock, SystemClock
from integrator.domain.escalation import Escalation, IncidentStatus, Page
from integrator.errors import ConfigError, IntegrationError, Rejected, Unavailable
from integrator.messages import facts as text
from integrator.settings import PagerDutySettings

SYSTEM = "PagerDuty"
DETAILS_LIMIT = 2_000  # per free-text field of the incident body; the page is read on a phone
STATUSES = ("triggered", "acknowledged", "resolved")
PAGE_SIZE = 100  # the most `GET /incidents` gives in one answer
WINDOW = timedelta(days=90)  # well inside the 6 months PagerDuty allows between since and until
OFFSET_LIMIT = 10_000  # classic pagination refuses offset + limit beyond this
UNTIL_MARGIN = timedelta(minutes=1)  # `until` a little ahead: PagerDuty's clock may run ahead of ours


def incident_payload(
    escalation: Escalation, *, user_id: str | None, priority_id: str | None
) -> dict[str, Any]:
    """The `POST /incidents` body: keyed by the escalation id, assigned to `user_id` when there is one.

    Without `user_id` the incident goes to the service's escalation policy; without `priority_id`
    it carries no priority.
    """
    incident: dict[str, Any] = {
        "type": "incident",
        "title": text.title(escalation),
        "service": {"id": escalation.owner.team.pagerduty_service, "type": "service_reference"},
        "urgency": "high",
        "incident_key": escalation.id,
        "body": {"type": "incident_body", "details": details(escalation)},
    }
    if priority_id:
        incident["priority"] = {"id": priority_id, "type": "priority_reference"}
    if user_id:
        incident["assignments"] = [{"assignee": {"id": user_id, "type": "user_reference"}}]
    return {"incident": incident}


def details(escalation: Escalation) -> str:
    """The incident body as plain text: what broke, for which deal, why you, and where to read more."""
    lines = [f"{label}: {text.clip(value, DETAILS_LIMIT)}" for label, value in text.facts(escalation)]
    description = escalation.report.failure.description
    if description:
        lines += ["", text.clip(description, DETAILS_LIMIT)]
    if escalation.report.failure.stack_trace.strip():
        lines += ["", f"Stack trace: in the escalation, {escalation.url}"]
    return "\n".join(lines)


def incident_status(incident: dict[str, Any]) -> IncidentStatus:
    """An incident of the REST API as the status sync sees it: who acknowledged it last, who resolved it."""
    acknowledgements = incident.get("acknowledgements") or []
    last = acknowledgements[-1] if acknowledgements else {}
    status = str(incident["status"])
    changed_by = incident.get("last_status_change_by") or {}
    return IncidentStatus(
        incident_id=str(incident["id"]),
        incident_key=incident.get("incident_key"),
        status=status,
        urgency=str(incident.get("urgency") or "high"),
        acknowledged_by=(last.get("acknowledger") or {}).get("summary"),
        acknowledged_at=_time(last.get("at")),
        resolved_by=changed_by.get("summary") if status == "resolved" else None,
        updated_at=_time(incident.get("updated_at")),
    )


def windows(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """[since, until) cut into consecutive spans of at most `WINDOW`."""
    spans = []
    while since < until:
        spans.append((since, min(since + WINDOW, until)))
        since += WINDOW
    return spans


class PagerDutyPager:
    """Pages through PagerDuty's REST API v2 as `settings.from_email`."""

    offset_limit = OFFSET_LIMIT

    def __init__(
        self, settings: PagerDutySettings, *, verify: bool | str = True, clock: Clock | None = None
    ) -> None:
        if not settings.configured or settings.api_key is None or settings.from_email is None:
            raise ConfigError("PagerDuty needs INTEGRATOR_PAGERDUTY__API_KEY and __FROM_EMAIL")
        self.settings = settings
        try:
            client = pagerduty.RestApiV2Client(
                settings.api_key.get_secret_value(),
                default_from=settings.from_email,
                base_url=settings.api_url.rstrip("/"),
                verify=_tls(verify),
                event_hooks={"response": [_stop_at_rate_limit]},
            )
        except pagerduty.UrlError as exc:
            raise ConfigError(f"INTEGRATOR_PAGERDUTY__API_URL: {exc}") from exc
        client.timeout = settings.timeout_seconds  # type: ignore[assignment]  # declared int; httpx takes float
        client.max_network_attempts = 0  # raise the first network error instead of retrying it
        client.retry = {}  # no status is retried by the client (429 never reaches its loop)
        self._client = client
        self._users: dict[str, str] = {}  # email (casefolded) -> user id
        self._priorities: dict[str, str] | None = None  # name (casefolded) -> priority id
        self._clock = clock or SystemClock()  # `until` of the incident list

    def close(self) -> None:
        self._client.close()

    def page(self, escalation: Escalation) -> Page:
        email = escalation.owner.engineer
        user_id = self._user_id(email)
        priority_id, priority_note = self._priority_id()
        notes = [priority_note] if priority_note else []
        if user_id is None:
            notes.insert(0, f"no PagerDuty user with email {email}; paged the service's escalation policy")
        body = incident_payload(escalation, user_id=user_id, priority_id=priority_id)
        try:
            incident = self._call("POST", "/incidents", json=body)["incident"]
        except _BadRequest:
            # PagerDuty refuses a second open incident with our key: an earlier, lost attempt got through.
            earlier = self.find(escalation)
            if earlier is None:
                raise
            return earlier
        return Page(
            incident_id=str(incident["id"]),
            url=incident.get("html_url"),
            assignee=user_id,
            note="; ".join(notes),
        )

    def find(self, escalation: Escalation) -> Page | None:
        params = {"incident_key": escalation.id, "date_range": "all"}
        incidents = self._call("GET", "/incidents", params=params).get("incidents") or []
        if not incidents:
            return None
        incident = incidents[0]
        assignees = [a["assignee"]["id"] for a in incident.get("assignments") or [] if a.get("assignee")]
        return Page(
            incident_id=str(incident["id"]),
            url=incident.get("html_url"),
            assignee=assignees[0] if assignees else None,
        )

    def add_note(self, incident_id: str, text: str) -> None:
        self._call("POST", f"{_incident_path(incident_id)}/notes", json={"note": {"content": text}})

    def has_note(self, incident_id: str, text: str) -> bool:
        notes = self._call("GET", f"{_incident_path(incident_id)}/notes").get("notes") or []
        return any(_same_text(str(note.get("content") or ""), text) for note in notes)

    def incidents(self, service_ids: Collection[str], *, since: datetime) -> list[IncidentStatus]:
        services = sorted(set(service_ids))
        found: dict[str, IncidentStatus] = {}
        if services:
            until = self._clock.now() + UNTIL_MARGIN
            for incident in self._list_incidents(services, since.astimezone(UTC), until):
                found[str(incident["id"])] = incident_status(incident)
        return list(found.values())

    def incident(self, incident_id: str) -> IncidentStatus:
        return incident_status(self._call("GET", _incident_path(incident_id))["incident"])

    def resolve(self, incident_id: str) -> None:
        try:
            self._update(incident_id, status="resolved")
        except Rejected:
            # PagerDuty refuses to resolve a resolved incident: what was wanted is already so.
            if not self._already(incident_id, lambda incident: incident.status == "resolved"):
                raise

    def raise_urgency(self, incident_id: str) -> None:
        try:
            self._update(incident_id, urgency="high")
        except Rejected:
            if not self._already(incident_id, lambda incident: incident.urgency == "high"):
                raise

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        return incident_payload(
            escalation,
            user_id=f"<looked up: {escalation.owner.engineer}>",
            priority_id=f"<looked up: {self.settings.priority}>",
        )

    def _already(self, incident_id: str, wanted: Callable[[IncidentStatus], bool]) -> bool:
        """Whether the incident is already as a refused update wanted it (False when that cannot be read)."""
        try:
            return wanted(self.incident(incident_id))
        except IntegrationError:
            return False

    def _update(self, incident_id: str, **changes: str) -> None:
        body = {"incident": {"type": "incident_reference", **changes}}
        self._call("PUT", _incident_path(incident_id), json=body)

    def _list_incidents(
        self, services: list[str], since: datetime, until: datetime
    ) -> Iterator[dict[str, Any]]:
        """Every incident of `services` created in [since, until), window by window, 100 a request.

        A window whose incidents go deeper than PagerDuty pages is halved and read again (the
        caller keeps each incident once).
        """
        pending = deque(windows(since, until))
        while pending:
            start, end = pending.popleft()
            params: dict[str, Any] = {
                "service_ids[]": services,
                "statuses[]": list(STATUSES),
                "since": _iso(start),
                "until": _iso(end),
                "time_zone": "UTC",
                "limit": PAGE_SIZE,
            }
            offset, more = 0, True
            while more:
                if offset + PAGE_SIZE > self.offset_limit and end - start > timedelta(seconds=2):
                    middle = start + (end - start) / 2
                    pending.extendleft([(middle, end), (start, middle)])
                    break
                body = self._call("GET", "/incidents", params={**params, "offset": offset})
                page = body.get("incidents") or []
                yield from page
                offset += len(page)
                more = bool(body.get("more")) and bool(page)

    def _user_id(self, email: str) -> str | None:
        """The PagerDuty user whose email is exactly `email` (any case); found users are remembered."""
        key = email.casefold()
        if key not in self._users:
            users = self._call("GET", "/users", params={"query": email, "limit": 100}).get("users") or []
            match = next((u for u in users if str(u.get("email", "")).casefold() == key), None)
            if match is None:
                return None
            self._users[key] = str(match["id"])
        return self._users[key]

    def _priority_id(self) -> tuple[str | None, str]:
        """The id of the configured priority, or None and why not."""
        name = self.settings.priority
        if self._priorities is None:
            try:
                found = self._call("GET", "/priorities").get("priorities") or []
            except Rejected as exc:
                return None, f"could not read PagerDuty priorities ({exc.message}); paged without a priority"
            self._priorities = {str(p["name"]).casefold(): str(p["id"]) for p in found}
        priority_id = self._priorities.get(name.casefold())
        if priority_id is None:
            return (
                None,
                f"PagerDuty has no priority named {name!r} (are priorities enabled?); paged without one",
            )
        return priority_id, ""

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request, its JSON answer, or the error it came to in integrator's words."""
        action = f"{method} {path}"
        try:
            response = self._client.request(method, path, **kwargs)
        except _RateLimited as exc:
            raise Unavailable(SYSTEM, f"{action}: rate limited (429)", retry_after=exc.reset) from exc
        except pagerduty.HttpError as exc:  # 401 and redirects, which the client raises itself
            if exc.response is None:
                raise Rejected(SYSTEM, f"{action}: {exc}") from exc
            raise _error(action, exc.response) from exc
        except pagerduty.Error as exc:  # a network error, which the client no longer retries
            cause = exc.__cause__
            if not isinstance(cause, httpx2.TransportError):
                raise Rejected(SYSTEM, f"{action}: {exc}") from exc
            raise Unavailable(SYSTEM, f"{action}: {cause!r}", uncertain=_maybe_sent(cause)) from exc
        if not response.is_success:
            raise _error(action, response)
        try:
            data = response.json() if response.content else {}
        except ValueError as exc:
            raise Unavailable(SYSTEM, f"{action}: the answer was not JSON", uncertain=True) from exc
        return data if isinstance(data, dict) else {}


class _BadRequest(Rejected):
    """A 400: the one refusal that may mean "an open incident with this key already exists"."""


class _RateLimited(Exception):
    def __init__(self, reset: float | None) -> None:
        super().__init__(f"rate limited; resets in {reset} s")
        self.reset = reset


def _stop_at_rate_limit(response: httpx2.Response) -> None:
    """Raise on a 429 inside the HTTP client, before `pagerduty`'s endless 429 loop can sleep on it."""
    if response.status_code == 429:
        raise _RateLimited(_seconds(response.headers.get("ratelimit-reset")))


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error(action: str, response: httpx2.Response) -> IntegrationError:
    status = response.status_code
    message = f"{action}: {status} {_message(response)}"
    if status == 429 or status >= 500:
        return Unavailable(SYSTEM, message, retry_after=_seconds(response.headers.get("ratelimit-reset")))
    return _BadRequest(SYSTEM, message) if status == 400 else Rejected(SYSTEM, message)


def _message(response: httpx2.Response) -> str:
    """PagerDuty's own words: `error.message` and each of `error.errors`."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return response.text[:200] or response.reason_phrase
    message = str(error.get("message") or response.reason_phrase)
    errors = "; ".join(str(e) for e in error.get("errors") or [])
    return f"{message}: {errors}" if errors else message


def _incident_path(incident_id: str) -> str:
    return f"/incidents/{quote(incident_id, safe='')}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: Any) -> datetime | None:
    """A PagerDuty timestamp (ISO 8601) as an aware datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _same_text(stored: str, sent: str) -> bool:
    """Whether a note PagerDuty shows is the text we sent (line endings and outer blanks aside)."""

    def normal(value: str) -> str:
        return value.replace("\r\n", "\n").strip()

    return normal(stored) == normal(sent)


def _maybe_sent(cause: httpx2.TransportError) -> bool:
    """False only when the request certainly never left (no connection was made)."""
    return not isinstance(cause, httpx2.ConnectError | httpx2.ConnectTimeout | httpx2.PoolTimeout)


def _tls(verify: bool | str) -> ssl.SSLContext | bool:
    """What `verify` asks for, as the SSL context the HTTP client wants (a CA bundle file or folder)."""
    if isinstance(verify, bool):
        return verify
    try:
        if Path(verify).is_dir():
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the CA bundle {verify}: {exc}") from exc
