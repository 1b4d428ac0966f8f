"""Who owns a failure: the catalog's team and the engineer to page, with the line that decided."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Team:
    """One owner handle of the catalog: the microservice and where its work goes."""

    handle: str
    service: str
    jira_project: str
    pagerduty_service: str
    senior_engineer: str
    jira_component: str | None = None
    breach_contacts: tuple[str, ...] = ()
    chat_webhook: str | None = None
    executive_escalation: tuple[str, ...] = ()  # told at report time, at breach and at fix


@dataclass(frozen=True)
class Owner:
    """Who owns a failure, and why: the location and the registry line that decided."""

    team: Team
    engineer: str
    location: str | None
    line: int | None
    pattern: str | None

    def explain(self) -> str:
        if self.line is None:
            return f"no registry line owns the locations; {self.team.handle} is the catalog's default owner"
        return (
            f"{self.location!r} matches line {self.line} ({self.pattern}) of the registry,"
            f" owned by {self.team.handle}"
        )
