"""The world the fakes start with: Acme Data's Jira projects and PagerDuty account, as constants to name.

Credentials here are what the fixtures' fakes accept; anything else gets a 401.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- Jira ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JiraProject:
    key: str
    id: str
    name: str
    components: tuple[str, ...]


@dataclass(frozen=True)
class JiraStatus:
    id: str
    name: str
    category: str  # Jira's status category key: "new", "indeterminate" or "done"


@dataclass(frozen=True)
class Transition:
    """A workflow transition: `id` is a string, as in Jira's API; `to` names the target status."""

    id: str
    name: str
    to: str


@dataclass(frozen=True)
class Named:
    id: str
    name: str


JIRA_EMAIL = "integrator@acme.example"
JIRA_API_TOKEN = "jira-api-token-for-tests"  # Cloud: basic auth with the email
JIRA_PAT = "jira-personal-access-token-for-tests"  # Data Center: bearer
JIRA_ACCOUNT_ID = "557058:0f4c1a2e-acme-integrator"
JIRA_DISPLAY_NAME = "Integrator (Acme Data)"

ING = JiraProject("ING", "10000", "Ingest", ("ingest-api", "connectors-db", "pipeline"))
QRY = JiraProject("QRY", "10001", "Query Engine", ("query-engine", "planner"))
AUTH = JiraProject("AUTH", "10002", "Identity", ("auth-service", "sso"))
BIL = JiraProject("BIL", "10003", "Billing", ("billing", "invoicing"))
CON = JiraProject("CON", "10004", "Connectors", ("connectors", "sdk"))
WEB = JiraProject("WEB", "10005", "Web Console", ("web-console", "dashboards"))
PLAT = JiraProject("PLAT", "10006", "Platform", ("platform",))  # the default owner in tests/support.py
JIRA_PROJECTS = (ING, QRY, AUTH, BIL, CON, WEB, PLAT)

JIRA_PRIORITIES = (
    Named("1", "Highest"),
    Named("2", "High"),
    Named("3", "Medium"),
    Named("4", "Low"),
    Named("5", "Lowest"),
)
JIRA_ISSUE_TYPES = (Named("10001", "Bug"), Named("10002", "Task"))

TO_DO = JiraStatus("10000", "To Do", "new")
IN_PROGRESS = JiraStatus("3", "In Progress", "indeterminate")
DONE = JiraStatus("10001", "Done", "done")
JIRA_STATUSES = (TO_DO, IN_PROGRESS, DONE)

DEFAULT_WORKFLOW = (
    Transition("11", "To Do", "To Do"),
    Transition("21", "In Progress", "In Progress"),
    Transition("31", "Done", "Done"),
)
WORKFLOW_WITHOUT_DONE = DEFAULT_WORKFLOW[:2]
"""For a project whose workflow has no transition into the done category."""

# -- PagerDuty -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdUser:
    id: str
    name: str
    email: str
    job_title: str = "Software Engineer"


@dataclass(frozen=True)
class PdEscalationPolicy:
    id: str
    name: str
    on_call: str  # user id paged first


@dataclass(frozen=True)
class PdService:
    id: str
    name: str
    escalation_policy: str  # escalation policy id


@dataclass(frozen=True)
class PdPriority:
    id: str
    name: str
    description: str


PD_API_KEY = "pd-api-key-for-tests"
PD_FROM = "integrator@acme.example"  # the From user of every write

ALICE = PdUser("PALICE1", "Alice Moreau", "alice@acme.example", "Senior Engineer, Ingest")
BOB = PdUser("PBOB001", "Bob Nguyen", "bob@acme.example")
CAROL = PdUser("PCAROL1", "Carol Diaz", "carol@acme.example", "Senior Engineer, Identity")
DAVE = PdUser("PDAVE01", "Dave Okafor", "dave@acme.example", "Senior Engineer, Billing")
ERIN = PdUser("PERIN01", "Erin Walsh", "erin@acme.example", "Senior Engineer, Connectors")
FRANK = PdUser("PFRANK1", "Frank Rahman", "frank@acme.example", "Senior Engineer, Web")
PAT = PdUser("PPAT001", "Pat Kim", "pat@acme.example", "Senior Engineer, Platform")
INTEGRATOR = PdUser("PINTEG1", "Integrator Bot", PD_FROM, "Automation")
PD_USERS = (ALICE, BOB, CAROL, DAVE, ERIN, FRANK, PAT, INTEGRATOR)

PD_ESCALATION_POLICIES = (
    PdEscalationPolicy("PEPING1", "Ingest on-call", ALICE.id),
    PdEscalationPolicy("PEPQRY1", "Query on-call", BOB.id),
    PdEscalationPolicy("PEPAUT1", "Identity on-call", CAROL.id),
    PdEscalationPolicy("PEPBIL1", "Billing on-call", DAVE.id),
    PdEscalationPolicy("PEPCON1", "Connectors on-call", ERIN.id),
    PdEscalationPolicy("PEPWEB1", "Web on-call", FRANK.id),
    PdEscalationPolicy("PEPPLT1", "Platform on-call", PAT.id),
)

PING001 = PdService("PING001", "ingest-api", "PEPING1")
PQRY001 = PdService("PQRY001", "query-engine", "PEPQRY1")
PAUTH01 = PdService("PAUTH01", "auth-service", "PEPAUT1")
PBIL001 = PdService("PBIL001", "billing", "PEPBIL1")
PCON001 = PdService("PCON001", "connectors", "PEPCON1")
PWEB001 = PdService("PWEB001", "web-console", "PEPWEB1")
PPLAT01 = PdService("PPLAT01", "platform", "PEPPLT1")  # the default owner in tests/support.py
PD_SERVICES = (PING001, PQRY001, PAUTH01, PBIL001, PCON001, PWEB001, PPLAT01)

PD_PRIORITIES = tuple(
    PdPriority(f"PRI{level}", f"P{level}", description)
    for level, description in enumerate(
        ("Critical: customer-facing outage", "High", "Moderate", "Low", "Informational"), start=1
    )
)
