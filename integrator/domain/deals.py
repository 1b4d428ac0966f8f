"""The deals an escalation stands for: one failure, reported from several proofs-of-concept (no I/O).

The first report is deal 1; a later report of the same failure (same fingerprint, escalation not
yet fixed) becomes the next deal instead of a second page and P1. The ARR at risk is summed per
currency, never across currencies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from integrator.domain.money import exact
from integrator.domain.rca import default_rca_due

if TYPE_CHECKING:
    from integrator.domain.report import FailureReport


@dataclass(frozen=True)
class EscalatedDeal:
    """One deal of an escalation: its number (1 = the first report) and the report its SE sent."""

    number: int
    report: FailureReport
    created_at: datetime
    status_token: str | None = None  # this deal's customer status page (deal 1's is the escalation's)
    status_url: str | None = None  # its link, while it is shared

    @property
    def account(self) -> str:
        return self.report.deal.account

    @property
    def arr(self) -> Decimal:
        return Decimal(self.report.deal.arr)

    @property
    def currency(self) -> str:
        return self.report.deal.currency

    @property
    def reporter(self) -> str:
        return self.report.reporter.email

    @property
    def rca_due(self) -> datetime:
        """When this deal's customer is promised the root-cause analysis: as its report says, else by
        default from when it was reported (the RCA itself is shared; each promise is the deal's)."""
        return promised_rca(self.created_at, self.report.rca_due, self.report.reporter.time_zone)

    @property
    def target(self) -> str:
        """The effect target of what this deal alone owes (its note, its comment)."""
        return f"deal-{self.number}"

    @property
    def label(self) -> str:
        """The Jira label the P1 gets for this deal: `deal-` and the account, as Jira labels allow."""
        return "deal-" + ("-".join(re.findall(r"[a-z0-9]+", self.account.lower())) or str(self.number))

    def describe(self) -> str:
        """One line for the incident's note and the P1's comment: account, ARR, criterion, the SE."""
        failure, reporter = self.report.failure, self.report.reporter
        who = f"{reporter.name} <{reporter.email}>" if reporter.name else reporter.email
        criterion = f"; criterion: {failure.criterion}" if failure.criterion else ""
        return (
            f"Same failure reported for another deal (deal {self.number}): {self.account}, "
            f"ARR {exact(self.arr, self.currency)}{criterion}; reported by {who}: {failure.title}"
        )


def promised_rca(created_at: datetime, stated: datetime | None, time_zone: str) -> datetime:
    """When a deal's RCA is promised: as its report states, else by default from its report time."""
    return stated or default_rca_due(created_at, time_zone)


@dataclass(frozen=True)
class Amount:
    currency: str
    amount: Decimal


def arr_at_risk(deals: Sequence[EscalatedDeal]) -> list[Amount]:
    """The summed ARR of the deals, one amount per currency (in the order currencies first appear)."""
    sums: dict[str, Decimal] = {}
    for deal in deals:
        sums[deal.currency] = sums.get(deal.currency, Decimal(0)) + deal.arr
    return [Amount(currency, amount) for currency, amount in sums.items()]


def ago(then: datetime, now: datetime) -> str:
    """`2 h ago`, `25 min ago`, `3 days ago`: how long since an escalation was opened."""
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def match_notice(account: str, escalation_id: str, opened_at: datetime, now: datetime) -> str:
    """What the Sales Engineer is shown before sending a report of a failure already escalated."""
    return (
        f"Same failure as escalation {escalation_id}, opened {ago(opened_at, now)} for {account}"
        " — the engineer is already paged. This report will be added to it."
    )


def describe_arr(deals: Sequence[EscalatedDeal]) -> str:
    """`1,440,000 USD + 200,000 EUR`: the ARR at risk as one line."""
    return " + ".join(exact(a.amount, a.currency) for a in arr_at_risk(deals))
