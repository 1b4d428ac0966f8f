"""In-memory fakes of integrator's ports, a controllable clock, and a services builder for tests."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from integrator import bootstrap
from integrator.application.ports import HaltHook, Pager, Tracker
from integrator.application.retrying import RetryPolicy
from integrator.domain.escalation import Escalation, IncidentStatus, IssueStatus, Page, Ticket
from integrator.errors import IntegrationError, Rejected
from integrator.settings import Settings
from integrator.store.memory import MemoryStore

CATALOG = """
[defaults]
owner = "@acme/platform"

[owners."@acme/platform"]
service = "platform"
jira_project = "PLAT"
pagerduty_service = "PPLAT01"
senior_engineer = "pat@acme.example"

[owners."@acme/ingest"]
service = "ingest-api"
jira_project = "ING"
jira_component = "ingest-api"
pagerduty_service = "PING001"
senior_engineer = "alice@acme.example"
breach_contacts = ["vp-eng@acme.example"]
"""

# A pasted Python trace whose innermost vendor frame is the ingest connectors' pool.
TRACE = """Traceback (most recent call last):
  File "/app/services/ingest/api/batch.py", line 88, in load_batch
    rows = pool.fetch(cursor)
  File "/app/services/ingest/connectors/db/pool.py", line 142, in fetch
    conn = self._acquire(timeout=self.timeout)
  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/pool/base.py", line 301, in _acquire
    raise TimeoutError('QueuePool limit reached')
TimeoutError: QueuePool limit reached"""


REGISTRY = """
# Platform owns everything not claimed below.
*                       @acme/platform
/services/ingest/       @acme/ingest
ingest-api              @acme/ingest
/services/ingest/connectors/   @acme/ingest bob@acme.example
"""


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 28, 15, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


Failure = Callable[[], IntegrationError] | None


@dataclass
class MemoryPager:
    """PagerDuty as a list of incidents; `failures` are raised, in order, before succeeding.

    `states` holds each incident as the status sync reads it (a page starts it triggered, high);
    a test moves an incident by setting its entry.
    """

    pages: dict[str, Page] = field(default_factory=dict)  # by incident key
    notes: list[tuple[str, str]] = field(default_factory=list)
    failures: list[IntegrationError] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    states: dict[str, IncidentStatus] = field(default_factory=dict)  # by incident id
    resolved: list[str] = field(default_factory=list)  # incident ids `resolve` was asked for
    raised: list[str] = field(default_factory=list)  # incident ids `raise_urgency` was asked for
    titles: list[tuple[str, str]] = field(default_factory=list)  # (incident id, title) of each retitle

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def page(self, escalation: Escalation) -> Page:
        self.calls.append("page")
        self._maybe_fail()
        page = Page(incident_id=f"P{len(self.pages) + 1}", url="https://pd.example/i", assignee="U1")
        self.pages[escalation.id] = page
        self.states[page.incident_id] = IncidentStatus(page.incident_id, escalation.id, "triggered", "high")
        return page

    def find(self, escalation: Escalation) -> Page | None:
        self.calls.append("find")
        return self.pages.get(escalation.id)

    def add_note(self, incident_id: str, text: str) -> None:
        self.calls.append("note")
        self._maybe_fail()
        self.notes.append((incident_id, text))

    def has_note(self, incident_id: str, text: str) -> bool:
        self.calls.append("has_note")
        self._maybe_fail()
        return (incident_id, text) in self.notes

    def incidents(self, service_ids: Collection[str], *, since: datetime) -> list[IncidentStatus]:
        self.calls.append("incidents")
        self._maybe_fail()
        return list(self.states.values())

    def incident(self, incident_id: str) -> IncidentStatus:
        self.calls.append("incident")
        self._maybe_fail()
        return self.states.get(incident_id) or IncidentStatus(incident_id, None, "triggered", "high")

    def resolve(self, incident_id: str) -> None:
        self.calls.append("resolve")
        self._maybe_fail()
        self.resolved.append(incident_id)
        self.states[incident_id] = replace(self.incident(incident_id), status="resolved")

    def raise_urgency(self, incident_id: str) -> None:
        self.calls.append("raise_urgency")
        self._maybe_fail()
        self.raised.append(incident_id)
        self.states[incident_id] = replace(self.incident(incident_id), urgency="high")

    def set_title(self, incident_id: str, title: str) -> None:
        self.calls.append("set_title")
        self._maybe_fail()
        self.titles.append((incident_id, title))

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        return {"incident_key": escalation.id}


CATEGORY_STATUS = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}


@dataclass
class MemoryTracker:
    """Jira as a dict of tickets; `failures` are raised by `file`, in order, before it succeeds.

    `issues` holds each issue's status (a filed ticket starts "To Do"); a key not in it is one Jira
    does not know. `missing_transitions` are the categories the workflow cannot move an issue into.
    """

    tickets: dict[str, Ticket] = field(default_factory=dict)  # by label
    links: dict[tuple[str, str], str] = field(default_factory=dict)
    comments: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, list[str]] = field(default_factory=dict)  # by key, as added
    summaries: list[tuple[str, str]] = field(default_factory=list)  # (key, summary) of each rewrite
    failures: list[IntegrationError] = field(default_factory=list)
    apply_before_failing: bool = False  # the lost-answer case: the create lands, the reply does not
    calls: list[str] = field(default_factory=list)
    issues: dict[str, IssueStatus] = field(default_factory=dict)  # by key
    moves: list[tuple[str, str]] = field(default_factory=list)  # (key, category) of each transition
    missing_transitions: set[str] = field(default_factory=set)

    def file(self, escalation: Escalation) -> Ticket:
        self.calls.append("file")
        if self.failures:
            if self.apply_before_failing:
                self._create(escalation)
            raise self.failures.pop(0)
        return self._create(escalation)

    def _create(self, escalation: Escalation) -> Ticket:
        key = f"{escalation.owner.team.jira_project}-{len(self.tickets) + 1}"
        ticket = Ticket(key=key, url=f"https://jira.example/browse/{key}")
        self.tickets[escalation.label] = ticket
        self.issues[key] = IssueStatus(key, "To Do", "new")
        return ticket

    def find(self, escalation: Escalation) -> Ticket | None:
        self.calls.append("find")
        return self.tickets.get(escalation.label)

    def link(self, key: str, *, url: str, title: str) -> None:
        self.calls.append("link")
        self.links[(key, url)] = title

    def comment(self, key: str, text: str) -> None:
        self.comments.append((key, text))

    def has_comment(self, key: str, text: str) -> bool:
        self.calls.append("has_comment")
        return (key, text) in self.comments

    def add_label(self, key: str, label: str) -> None:
        self.labels.setdefault(key, []).append(label)

    def set_summary(self, key: str, summary: str, *, label: str | None = None) -> None:
        self.calls.append("set_summary")
        self.summaries.append((key, summary))
        if label:
            self.add_label(key, label)

    def statuses(self, keys: Collection[str]) -> list[IssueStatus]:
        self.calls.append("statuses")
        return [self.issues[key] for key in dict.fromkeys(keys) if key in self.issues]

    def status(self, key: str) -> IssueStatus:
        self.calls.append("status")
        if key not in self.issues:
            raise Rejected("Jira", f"GET issue {key}: 404 Issue does not exist")
        return self.issues[key]

    def transition_to(self, key: str, category: str) -> IssueStatus:
        self.calls.append("transition_to")
        current = self.status(key)
        if current.category == category:
            return current
        if category in self.missing_transitions:
            project = key.rsplit("-", 1)[0]
            message = f"{key}: project {project}'s workflow has no transition from {current.status!r}"
            raise Rejected("Jira", f"{message} to a {CATEGORY_STATUS[category]} status")
        self.moves.append((key, category))
        done = category == "done"
        self.issues[key] = IssueStatus(key, CATEGORY_STATUS[category], category, "Done" if done else None)
        return self.issues[key]

    def plan(self, escalation: Escalation) -> dict[str, Any]:
        return {"labels": [escalation.label]}


def write_config(
    directory: Path, *, registry: str = REGISTRY, catalog: str = CATALOG, database_url: str | None = None
) -> Settings:
    (directory / "CODEOWNERS").write_text(registry)
    (directory / "services.toml").write_text(catalog)
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url or f"sqlite:///{directory / 'integrator.db'}",
        registry=directory / "CODEOWNERS",
        catalog=directory / "services.toml",
        public_url="https://integrator.acme.example",
    )


def make_services(
    settings: Settings,
    *,
    clock: FakeClock | None = None,
    pager: Pager | None = None,
    tracker: Tracker | None = None,
    retry: RetryPolicy | None = None,
    storage: bootstrap.Storage | None = None,
    halt: HaltHook | None = None,
) -> bootstrap.Services:
    return bootstrap.build(
        settings,
        clock=clock or FakeClock(),
        retry=retry or RetryPolicy.none(),
        pager=pager,
        tracker=tracker,
        storage=storage,
        halt=halt,
    )


NO_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:9/unit-tests-use-no-database"


def memory_services(
    directory: Path,
    *,
    clock: FakeClock | None = None,
    pager: Pager | None = None,
    tracker: Tracker | None = None,
    store: MemoryStore | None = None,
    registry: str = REGISTRY,
    catalog: str = CATALOG,
    halt: HaltHook | None = None,
) -> bootstrap.Services:
    """Services over the in-memory store: no database is opened (its URL names none that answers)."""
    settings = write_config(directory, registry=registry, catalog=catalog, database_url=NO_DATABASE)
    storage = bootstrap.memory_storage(settings, store)
    return make_services(settings, clock=clock, pager=pager, tracker=tracker, storage=storage, halt=halt)


def report_data(**failure: Any) -> dict[str, Any]:
    """A complete, valid report as the JSON API and --file take it; `failure` fields override."""
    return {
        "deal": {
            "account": "Globex",
            "arr": 480000,
            "economic_buyer": {"name": "Hank Scorpio", "email": "hank@globex.example"},
            "executive_sponsor": {"name": "Dana Whitfield", "email": "dana@acme.example"},
        },
        "failure": {
            "title": "Batch ingest drops rows",
            "criterion": "MSP-3: zero data loss",
            "observed": "1.2% of rows missing",
            "locations": ["services/ingest/api/batch.py"],
            **failure,
        },
        "reporter": {"name": "Priya", "email": "priya@acme.example", "time_zone": "America/New_York"},
    }
