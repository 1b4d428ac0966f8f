"""The `Pager` port over PagerDuty's REST API: one high-urgency incident that wakes the owning engineer.

The only module that imports `pagerduty`. Its client retries on its own (forever on 429, three
times on network errors); here it does not: a response hook (`errors.stop_at_rate_limit`) stops a
429 before the client's loop sees it, and network errors are raised on the first failure, so
`retrying.RetryPolicy` is the only retry layer. Every request has the settings' timeout. Errors
leave as `errors` words them: `Unavailable` (429 with `ratelimit-reset`, 5xx, network) or
`Rejected` (other 4xx, with PagerDuty's own message).

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

from integrator.adapters.pagerduty import errors
from integrator.adapters.pagerduty.errors import SYSTEM
from integrator.adapters.pagerduty.payload import (
    incident_payload,
    incident_status,
    planned_payload,
    same_text,
)
from integrator.application.ports import Clock, SystemClock
from integrator.domain.escalation import Escalation, IncidentStatus, Page
from integrator.errors import ConfigError, IntegrationError, Rejected, Unavailable
from integrator.settings import PagerDutySettings

STATUSES = ("triggered", "acknowledged", "resolved")
PAGE_SIZE = 100  # the most `GET /incidents` gives in one answer
WINDOW = timedelta(days=90)  # well inside the 6 months PagerDuty allows between since and until
OFFSET_LIMIT = 10_000  # classic pagination refuses offset + limit beyond this
UNTIL_MARGIN = timedelta(minutes=1)  # `until` a little ahead: PagerDuty's clock may run ahead of ours


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
                event_hooks={"response": [errors.stop_at_rate_limit]},
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
        except errors.BadRequest:
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
        return any(same_text(str(note.get("content") or ""), text) for note in notes)

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
        priority_id, _ = self._priority_id()  # without one (none configured in PagerDuty): urgency alone
        priority = {"priority": {"id": priority_id, "type": "priority_reference"}} if priority_id else {}
        try:
            self._update(incident_id, urgency="high", **priority)
        except Rejected:
            if not self._already(incident_id, lambda incident: incident.urgency == "high"):
                raise

    def set_title(self, incident_id: str, title: str) -> None:
        self._update(incident_id, title=title)

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        return planned_payload(escalation, priority=self.settings.priority)

    def read(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON answer of `GET {path}` (the doctor's reads), failures in our words."""
        return self._call("GET", path, params=params or {})

    def user_id(self, email: str) -> str | None:
        """The id of the PagerDuty user whose email is exactly `email` (any case), if there is one."""
        return self._user_id(email)

    def _already(self, incident_id: str, wanted: Callable[[IncidentStatus], bool]) -> bool:
        """Whether the incident is already as a refused update wanted it (False when that cannot be read)."""
        try:
            return wanted(self.incident(incident_id))
        except IntegrationError:
            return False

    def _update(self, incident_id: str, **changes: Any) -> None:
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
        except errors.RateLimited as exc:
            raise Unavailable(SYSTEM, f"{action}: rate limited (429)", retry_after=exc.reset) from exc
        except pagerduty.HttpError as exc:  # 401 and redirects, which the client raises itself
            if exc.response is None:
                raise Rejected(SYSTEM, f"{action}: {exc}") from exc
            raise errors.from_response(action, exc.response) from exc
        except pagerduty.Error as exc:  # a network error, which the client no longer retries
            cause = exc.__cause__
            if not isinstance(cause, httpx2.TransportError):
                raise Rejected(SYSTEM, f"{action}: {exc}") from exc
            raise errors.from_network(action, cause) from exc
        if not response.is_success:
            raise errors.from_response(action, response)
        try:
            data = response.json() if response.content else {}
        except ValueError as exc:
            raise Unavailable(SYSTEM, f"{action}: the answer was not JSON", uncertain=True) from exc
        return data if isinstance(data, dict) else {}


def _incident_path(incident_id: str) -> str:
    return f"/incidents/{quote(incident_id, safe='')}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
