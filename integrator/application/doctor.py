"""`integrator doctor`: every outside system's checks of the wiring, the registry's, and the verdict.

Reads only. Each system is a `ports.WiringCheck` (bootstrap hands in `Unconfigured` for one
without credentials); the registry and the catalog are checked here, as are the catalog's hook
URLs (well-formed HTTPS; nothing is posted) and that each environment's hook secret is set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from integrator.application.ports import WiringCheck
from integrator.domain.checkup import SETUP, Finding, Outcome
from integrator.domain.halt import Environment
from integrator.domain.owner import Team
from integrator.domain.ownership import Catalog, LineError, Registry


@dataclass(frozen=True)
class Checkup:
    """Every finding, setup first, then owner by owner; healthy when none is a problem."""

    findings: tuple[Finding, ...]

    @property
    def healthy(self) -> bool:
        return not any(f.outcome is Outcome.PROBLEM for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        """The `--json` shape: `{"healthy": bool, "findings": [{subject, check, outcome, detail}]}`."""
        return {
            "healthy": self.healthy,
            "findings": [
                {"subject": f.subject, "check": f.check, "outcome": f.outcome.value, "detail": f.detail}
                for f in self.findings
            ],
        }


class Unconfigured:
    """The `WiringCheck` of a system without credentials (dry-run): nothing to check, and why."""

    def __init__(self, system: str, reason: str) -> None:
        self.system = system
        self._reason = reason

    def check_access(self) -> list[Finding]:
        return [Finding.not_checked(SETUP, f"{self.system.lower()}.access", self._reason)]

    def check_team(self, team: Team) -> list[Finding]:
        return []


def examine(
    *,
    systems: Sequence[WiringCheck],
    catalog: Catalog,
    registry: Registry,
    registry_name: str,
    environ: Mapping[str, str] | None = None,
) -> Checkup:
    """The setup (registry, each system's access), then each catalog owner in every system."""
    findings = registry_findings(registry, registry_name)
    for system in systems:
        findings += system.check_access()
    named = {owner for rule in registry.rules for owner in rule.owners}
    for team in catalog.teams.values():
        findings.append(used_finding(team.handle, named, catalog))
        for system in systems:
            findings += system.check_team(team)
        if team.chat_webhook:
            findings.append(hook_finding(team.handle, "chat.webhook", team.chat_webhook))
    for environment in catalog.environments.values():
        findings += halt_findings(environment, environ)
    return Checkup(tuple(findings))


def halt_findings(environment: Environment, environ: Mapping[str, str] | None) -> list[Finding]:
    """An environment's halt hook: its URL, and whether its secret's variable is set (never its value)."""
    if not environment.halt_url or not environment.secret_variable:
        return []
    name, variable = environment.name, environment.secret_variable
    found = [hook_finding(name, "halt.url", environment.halt_url)]
    if environ is None:
        found.append(Finding.not_checked(name, "halt.secret", "the process environment was not given"))
    elif environ.get(variable):
        found.append(Finding.ok(name, "halt.secret", f"{variable} is set"))
    else:
        fix = f"{variable} is not set: export the hook's Standard Webhooks secret (whsec_…) for integrator"
        found.append(Finding.problem(name, "halt.secret", fix))
    return found


def registry_findings(registry: Registry, name: str) -> list[Finding]:
    """`registry check` as findings: one problem per invalid line (unknown owners included)."""
    findings = [Finding.problem(SETUP, "registry", _line_error(name, e)) for e in registry.errors]
    if not registry.errors:
        rules = len(registry.rules)
        findings.append(Finding.ok(SETUP, "registry", f"{name}: {rules} rules, every owner known"))
    return findings


def used_finding(handle: str, named: set[str], catalog: Catalog) -> Finding:
    """A catalog owner that no registry line names (and is not the default) is never paged."""
    if handle in named or handle == catalog.default_owner:
        return Finding.ok(handle, "registry.used", "named by the registry")
    fix = f'no registry line names {handle}: add one, or remove [owners."{handle}"] from the catalog'
    return Finding.problem(handle, "registry.used", fix)


def hook_finding(subject: str, check: str, url: str) -> Finding:
    """A hook URL is well-formed HTTPS (nothing is posted to it); only its scheme and host are shown,
    since whoever has the whole URL can post to it."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return Finding.ok(subject, check, f"https://{parts.hostname}/… (not posted to)")
    shown = f"{parts.scheme or '(no scheme)'}://{parts.hostname or '(no host)'}/…"
    return Finding.problem(
        subject, check, f"{shown} is not a well-formed https:// URL: fix it in the catalog"
    )


def _line_error(name: str, error: LineError) -> str:
    hint = f" ({error.suggestion})" if error.suggestion else ""
    return f"{name}:{error.line}:{error.column}: {error.kind}: {error.message}{hint}"
