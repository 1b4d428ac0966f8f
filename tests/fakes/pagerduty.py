"""A fake PagerDuty REST API v2 over HTTPS on loopback (the `pagerduty` client refuses plain http).

Users (searchable with `query`), priorities, and incidents with PagerDuty's rules: writes need a
`From` header naming a user of the account, one assignee at most, and a second open incident
with the same `incident_key` on a service is refused with 400. Lists page with
`limit`/`offset`/`more` (and `total` on request) up to offset+limit 10,000, as PagerDuty allows;
`GET /incidents` covers at most 6 months between `since` and `until` (a wider range is a 400).
Auth is `Authorization: Token token=KEY`.
`rate_limit` answers 429 the way PagerDuty does: `ratelimit-*` headers and no `Retry-After`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.faults import Armed, Status
from tests.fakes.pagerduty_model import PdIncident, PdNote, Render
from tests.fakes.pagerduty_rules import Invalid, change, new_incident, requester, set_status
from tests.fakes.records import Recorded, Reply, json_reply
from tests.fakes.server import FakeServer, route
from tests.fakes.world import (
    PD_API_KEY,
    PD_ESCALATION_POLICIES,
    PD_PRIORITIES,
    PD_SERVICES,
    PD_USERS,
    PdEscalationPolicy,
    PdPriority,
    PdService,
    PdUser,
)

JSON = "application/json; charset=utf-8"
DEFAULT_WINDOW = timedelta(days=30)  # what GET /incidents covers without since/until or date_range=all
LONGEST_WINDOW = timedelta(days=180)  # "Maximum range is 6 months"; a wider since/until is refused
OFFSET_LIMIT = 10_000  # classic pagination stops here: "Offset+limit exceeds maximum allowed value of 10000"
ID = r"(?P<id>[^/]+)"


def _error(status: int, message: str, *errors: str, code: int = 2001) -> Reply:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = list(errors)
    return json_reply(status, {"error": body}, content_type=JSON)


def _invalid(*errors: str) -> Reply:
    return _error(400, "Invalid Input Provided", *errors)


def _page(request: Recorded, key: str, items: Sequence[dict[str, Any]]) -> Reply:
    """One page of a classic-paginated list."""
    limit = min(max(int(request.param("limit") or 25), 1), 100)
    offset = max(int(request.param("offset") or 0), 0)
    if offset + limit > OFFSET_LIMIT:
        return _error(
            400,
            "Arguments Caused Error",
            f"Offset+limit exceeds maximum allowed value of {OFFSET_LIMIT}. Please try to refine your"
            " search to reduce the returned set of records below this number, like adding a date range.",
            code=2002,
        )
    wants_total = (request.param("total") or "false").lower() == "true"
    chosen = list(items[offset : offset + limit])
    return json_reply(
        200,
        {
            key: chosen,
            "limit": limit,
            "offset": offset,
            "more": offset + limit < len(items),
            "total": len(items) if wants_total else None,
        },
        content_type=JSON,
    )


class FakePagerDuty(FakeServer):
    spec_name = "pagerduty-rest"

    def __init__(
        self,
        *,
        tls: bool = True,
        validate: bool = True,
        users: Sequence[PdUser] = PD_USERS,
        services: Sequence[PdService] = PD_SERVICES,
        escalation_policies: Sequence[PdEscalationPolicy] = PD_ESCALATION_POLICIES,
        priorities: Sequence[PdPriority] = PD_PRIORITIES,
        api_key: str = PD_API_KEY,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(tls=tls, validate=validate)
        self.users = {user.id: user for user in users}
        self.services = {service.id: service for service in services}
        self.escalation_policies = {policy.id: policy for policy in escalation_policies}
        self.priorities = list(priorities)
        self.api_key = api_key
        self._now = clock or (lambda: datetime.now(UTC))
        self._incidents: list[PdIncident] = []
        self._routes = [
            route("GET", "/users", self._list_users),
            route("GET", "/priorities", self._list_priorities),
            route("GET", f"/services/{ID}", self._get_service),
            route("GET", f"/escalation_policies/{ID}", self._get_escalation_policy),
            route("GET", "/incidents", self._list_incidents),
            route("POST", "/incidents", self._create),
            route("PUT", "/incidents", self._update_many),
            route("GET", f"/incidents/{ID}", self._get_incident),
            route("PUT", f"/incidents/{ID}", self._update_one),
            route("GET", f"/incidents/{ID}/notes", self._notes),
            route("POST", f"/incidents/{ID}/notes", self._add_note),
        ]

    # -- what tests use ----------------------------------------------------------------------------

    def rate_limit(self, times: int | None, reset_seconds: int, *, bare: bool = False) -> Armed:
        """Answer the next `times` requests (None: until cleared) with 429; `bare`: no headers, no body."""
        if bare:
            return self.faults.add("*", ".*", Status(429), times=times)
        headers = {
            "ratelimit-limit": "960",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(reset_seconds),
            "Content-Type": JSON,
        }
        body = json.dumps({"error": {"message": "Rate Limit Exceeded", "code": 2020}}).encode()
        return self.faults.add("*", ".*", Status(429, headers, body), times=times)

    def incident(self, incident_id: str) -> PdIncident:
        """A copy of the incident; KeyError when there is none."""
        with self._lock:
            return copy.deepcopy(self._get(incident_id))

    @property
    def incidents(self) -> list[PdIncident]:
        with self._lock:
            return copy.deepcopy(self._incidents)

    def trigger(self, service_id: str, incident_key: str | None = None, *, title: str = "An alert") -> str:
        """Open an incident on the service as its monitoring would (assigned by escalation policy); its id."""
        with self._lock:
            service = self.services[service_id]
            number = len(self._incidents) + 1
            incident = PdIncident(
                id=f"Q{number:04d}ACMEINC",
                number=number,
                title=title,
                service=service,
                created_at=self._now(),
                incident_key=incident_key,
                assignee_ids=[self.escalation_policies[service.escalation_policy].on_call],
            )
            self._incidents.append(incident)
            return incident.id

    def acknowledge(self, incident_id: str, by_user_id: str) -> None:
        """The engineer acknowledges the page (as from the phone app)."""
        with self._lock:
            set_status(self._get(incident_id), "acknowledged", by_user_id, self._now())

    def resolve(self, incident_id: str, by_user_id: str | None = None) -> None:
        """The incident is resolved by a user, or (None) by the service itself."""
        with self._lock:
            set_status(self._get(incident_id), "resolved", by_user_id, self._now())

    # -- plumbing ----------------------------------------------------------------------------------

    @property
    def _render(self) -> Render:
        return Render(self.url, self.users)

    def _authenticate(self, request: Recorded) -> Reply | None:
        if request.headers.get("authorization") == f"Token token={self.api_key}":
            return None
        return _error(401, "Unauthorized", code=2006)

    def _not_found(self, request: Recorded) -> Reply:
        return _error(404, "Not Found", code=2100)

    def _refused(self, error: Exception) -> Reply | None:
        return _invalid(*error.reasons) if isinstance(error, Invalid) else None

    def _requester(self, request: Recorded) -> PdUser:
        return requester(self.users, request.headers.get("from"))

    def _get(self, incident_id: str) -> PdIncident:
        found = next((i for i in self._incidents if i.id == incident_id), None)
        if found is None:
            raise KeyError(incident_id)
        return found

    def _with_incident(self, match: Any, answer: Callable[[PdIncident], Reply]) -> Reply:
        found = next((i for i in self._incidents if i.id == match["id"]), None)
        return answer(found) if found else _error(404, "Not Found", "Incident Not Found", code=2100)

    def _one(self, incident: PdIncident, request: Recorded) -> Reply:
        return json_reply(200, {"incident": self._render.incident(incident)}, content_type=JSON)

    # -- endpoints ---------------------------------------------------------------------------------

    def _list_priorities(self, request: Recorded, match: Any) -> Reply:
        return _page(request, "priorities", [self._render.priority(p) for p in self.priorities])

    def _get_service(self, request: Recorded, match: Any) -> Reply:
        service = self.services.get(match["id"])
        if service is None:
            return _error(404, "Not Found", "Service not found", code=2100)
        return json_reply(200, {"service": self._render.service(service)}, content_type=JSON)

    def _get_escalation_policy(self, request: Recorded, match: Any) -> Reply:
        policy = self.escalation_policies.get(match["id"])
        if policy is None:
            return _error(404, "Not Found", "Escalation Policy not found", code=2100)
        return json_reply(
            200, {"escalation_policy": self._render.escalation_policy(policy)}, content_type=JSON
        )

    def _get_incident(self, request: Recorded, match: Any) -> Reply:
        return self._with_incident(match, lambda incident: self._one(incident, request))

    def _list_users(self, request: Recorded, match: Any) -> Reply:
        query = (request.param("query") or "").casefold()
        found = [u for u in self.users.values() if query in u.name.casefold() or query in u.email.casefold()]
        return _page(request, "users", [self._render.user(u) for u in found])

    def _list_incidents(self, request: Recorded, match: Any) -> Reply:
        window = self._window(request)
        key = request.param("incident_key")
        statuses = set(request.params("statuses[]"))
        services = set(request.params("service_ids[]"))
        users = set(request.params("user_ids[]"))
        urgencies = set(request.params("urgencies[]"))
        found = [
            i
            for i in self._incidents
            if (key is None or i.incident_key == key)
            and (not statuses or i.status in statuses)
            and (not services or i.service.id in services)
            and (not users or users & set(i.assignee_ids))
            and (not urgencies or i.urgency in urgencies)
            and (window is None or window[0] <= i.created_at < window[1])
        ]
        return _page(request, "incidents", [self._render.incident(i) for i in found])

    def _window(self, request: Recorded) -> tuple[datetime, datetime] | None:
        if request.param("date_range") == "all":
            return None
        now = self._now()

        def moment(name: str, default: datetime) -> datetime:
            value = request.param(name)
            if not value:
                return default
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise Invalid(f"{name.capitalize()} is not a valid date") from None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

        until = moment("until", now + timedelta(seconds=1))
        since = moment("since", until - DEFAULT_WINDOW)
        if until - since > LONGEST_WINDOW:
            raise Invalid("The date range between since and until cannot exceed 6 months")
        return since, until

    def _create(self, request: Recorded, match: Any) -> Reply:
        self._requester(request)
        incident = new_incident(
            request.json,
            number=len(self._incidents) + 1,
            now=self._now(),
            users=self.users,
            services=self.services,
            escalation_policies=self.escalation_policies,
            priorities=self.priorities,
            existing=self._incidents,
        )
        self._incidents.append(incident)
        return json_reply(201, {"incident": self._render.incident(incident)}, content_type=JSON)

    def _update_one(self, request: Recorded, match: Any) -> Reply:
        wanted = request.json.get("incident") if isinstance(request.json, dict) else None

        def update(incident: PdIncident) -> Reply:
            change(incident, wanted, self._requester(request), self._now(), self.priorities)
            return self._one(incident, request)

        return self._with_incident(match, update)

    def _update_many(self, request: Recorded, match: Any) -> Reply:
        by = self._requester(request)
        wanted = request.json.get("incidents") if isinstance(request.json, dict) else None
        if not isinstance(wanted, list):
            raise Invalid("incidents is required")
        by_id = {i.id: i for i in self._incidents}
        if missing := [str(w.get("id")) for w in wanted if w.get("id") not in by_id]:
            raise Invalid(f"Incident Not Found: {', '.join(missing)}")
        for one in wanted:
            change(by_id[one["id"]], one, by, self._now(), self.priorities)
        updated = [self._render.incident(by_id[w["id"]]) for w in wanted]
        body = {"incidents": updated, "limit": len(updated), "offset": 0, "more": False, "total": None}
        return json_reply(200, body, content_type=JSON)

    def _notes(self, request: Recorded, match: Any) -> Reply:
        return self._with_incident(
            match,
            lambda i: json_reply(200, {"notes": [self._render.note(n) for n in i.notes]}, content_type=JSON),
        )

    def _add_note(self, request: Recorded, match: Any) -> Reply:
        by = self._requester(request)
        note = request.json.get("note") if isinstance(request.json, dict) else None
        content = note.get("content") if isinstance(note, dict) else None
        if not isinstance(content, str) or not content.strip():
            raise Invalid("Note content cannot be empty")

        def add(incident: PdIncident) -> Reply:
            added = PdNote(
                f"PNOTE{len(incident.notes) + 1:04d}{incident.number:04d}", by.id, content, self._now()
            )
            incident.notes.append(added)
            return json_reply(200, {"note": self._render.note(added)}, content_type=JSON)

        return self._with_incident(match, add)
