"""What `integrator doctor` finds: one result per subject (an owner, or the setup) and check."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SETUP = "(setup)"
"""The subject of checks that concern no single owner: credentials, the registry, SMTP."""


class Outcome(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Finding:
    """One check of one subject: `detail` says what was found (ok), the fix to apply (problem), or
    why the check could not be made (not checked)."""

    subject: str
    check: str
    outcome: Outcome
    detail: str = ""

    @classmethod
    def ok(cls, subject: str, check: str, detail: str = "") -> Finding:
        return cls(subject, check, Outcome.OK, detail)

    @classmethod
    def problem(cls, subject: str, check: str, fix: str) -> Finding:
        return cls(subject, check, Outcome.PROBLEM, fix)

    @classmethod
    def not_checked(cls, subject: str, check: str, reason: str) -> Finding:
        return cls(subject, check, Outcome.NOT_CHECKED, reason)
