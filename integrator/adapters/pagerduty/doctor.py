"""The doctor's reads of PagerDuty: key, From user, priority, and each owner's service and engineer.

Reads only, through `PagerDutyPager.read`. A read the key may not make (403) is "not checked".
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from integrator.adapters.pagerduty.client import PagerDutyPager
from integrator.adapters.pagerduty.errors import Forbidden, Missing
from integrator.domain.checkup import SETUP, Finding
from integrator.domain.owner import Team
from integrator.errors import IntegrationError
from integrator.settings import PagerDutySettings


class PagerDutyWiring:
    """The `WiringCheck` of PagerDuty."""

    system = "PagerDuty"

    def __init__(self, pager: PagerDutyPager, settings: PagerDutySettings) -> None:
        self._pager = pager
        self._settings = settings

    def check_access(self) -> list[Finding]:
        sender = self._settings.from_email or ""
        try:
            sender_id = self._pager.user_id(sender)
        except IntegrationError as exc:
            fix = "check INTEGRATOR_PAGERDUTY__API_KEY (a REST API key) and __API_URL"
            return [Finding.problem(SETUP, "pagerduty.access", f"{exc.message}: {fix}")]
        found = [Finding.ok(SETUP, "pagerduty.access", f"the key reads {self._settings.api_url}")]
        if sender_id is None:
            fix = f"no PagerDuty user has the email {sender}: set INTEGRATOR_PAGERDUTY__FROM_EMAIL to one"
            found.append(Finding.problem(SETUP, "pagerduty.from_user", fix))
        else:
            found.append(Finding.ok(SETUP, "pagerduty.from_user", f"{sender} ({sender_id})"))
        return [*found, _read(SETUP, "pagerduty.priority", self._priority)]

    def check_team(self, team: Team) -> list[Finding]:
        subject = team.handle
        return [
            _read(subject, "pagerduty.service", lambda: self._service(subject, team.pagerduty_service)),
            _read(subject, "pagerduty.engineer", lambda: self._engineer(subject, team.senior_engineer)),
        ]

    def _priority(self) -> Finding:
        wanted = self._settings.priority
        names = [str(p.get("name")) for p in self._pager.read("/priorities").get("priorities") or []]
        if any(name.casefold() == wanted.casefold() for name in names):
            return Finding.ok(SETUP, "pagerduty.priority", wanted)
        fix = (
            f"no priority named {wanted!r} (it has: {', '.join(names) or 'none; are priorities enabled?'}):"
            " enable incident priorities or set INTEGRATOR_PAGERDUTY__PRIORITY"
        )
        return Finding.problem(SETUP, "pagerduty.priority", fix)

    def _service(self, subject: str, service_id: str) -> Finding:
        check = "pagerduty.service"
        try:
            service = self._pager.read(f"/services/{quote(service_id, safe='')}")["service"]
        except Missing:
            fix = f"no PagerDuty service {service_id}: fix pagerduty_service in the catalog"
            return Finding.problem(subject, check, fix)
        policy = (service.get("escalation_policy") or {}).get("id")
        if not policy:
            return Finding.problem(
                subject, check, f"service {service_id} has no escalation policy: give it one"
            )
        try:
            found = self._pager.read(f"/escalation_policies/{quote(str(policy), safe='')}")
        except Missing:
            fix = f"service {service_id}'s escalation policy {policy} does not exist: give it one"
            return Finding.problem(subject, check, fix)
        policy_name = found["escalation_policy"].get("name")
        return Finding.ok(subject, check, f"{service.get('name')}, escalating by {policy_name!r}")

    def _engineer(self, subject: str, email: str) -> Finding:
        user_id = self._pager.user_id(email)
        if user_id is None:
            fix = (
                f"no PagerDuty user has the email {email}: add one or fix senior_engineer"
                " (until then, pages go to the service's escalation policy)"
            )
            return Finding.problem(subject, "pagerduty.engineer", fix)
        return Finding.ok(subject, "pagerduty.engineer", f"{email} ({user_id})")


def _read(subject: str, check: str, read: Callable[[], Finding]) -> Finding:
    """What `read` finds; "not checked" when the key may not read it, a problem when PagerDuty fails."""
    try:
        return read()
    except Forbidden as exc:
        return Finding.not_checked(subject, check, f"the key may not read this ({exc.message})")
    except IntegrationError as exc:
        return Finding.problem(subject, check, exc.message)
