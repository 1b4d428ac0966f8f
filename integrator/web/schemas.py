"""The API's documented shapes: what `present.escalation_dict` and the error handlers already produce.

These models only describe; the routes answer with those dicts. The schemathesis test checks the
two agree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from integrator.domain.escalation import EffectKind, EffectState, State


class OwnerOut(BaseModel):
    team: str
    service: str
    engineer: str
    location: str | None
    line: int | None
    pattern: str | None
    explanation: str


class FingerprintOut(BaseModel):
    id: str = Field(description="16 hex digits; the same failure reported again has the same id")
    exception: str | None
    frames: list[str] = Field(description="`path:function` of the innermost own frames, innermost first")
    team: str
    text: str = Field(description='for people: "matches on: `Exception` at `path:function` ← ..."')


class PagerDutyOut(BaseModel):
    incident_id: str | None
    url: str | None
    state: str | None
    assignee: str | None
    note: str | None


class JiraOut(BaseModel):
    key: str | None
    url: str | None
    state: str | None


class EffectOut(BaseModel):
    kind: EffectKind
    target: str
    state: EffectState
    attempts: int
    last_error: str | None
    next_attempt_at: str | None


class HaltOut(BaseModel):
    state: Literal[
        "pending", "halted", "planned", "failed", "resuming", "resumed", "resume_planned", "resume_failed"
    ] = Field(description="the hook confirmed `halted`/`resumed`; `planned` = dry-run, nothing sent")
    at: str | None = Field(description="when the hook confirmed the halt (or the resume)")
    environment: str


class EventOut(BaseModel):
    at: str
    kind: str
    text: str


class DisclosureOut(BaseModel):
    role: Literal[
        "economic_buyer",
        "executive_sponsor",
        "account_executive",
        "executive_escalation",
        "engineer",
        "reporter",
        "breach_contact",
    ]
    name: str
    email: str | None
    channel: str
    state: Literal["told", "planned", "pending", "failed", "not_named"]
    at: str | None
    detail: str
    deal: int | None = Field(
        default=None,
        description="the deal whose person this is (1 = the first report's); null = every deal's",
    )


class DealOut(BaseModel):
    deal: int = Field(description="1 = the first report; later reports of the same failure follow")
    account: str
    arr: str = Field(description='a decimal number as a string, e.g. "480000"')
    currency: str
    reporter: str
    criterion: str
    title: str
    created_at: str
    rca_due: str | None = Field(default=None, description="when this deal's customer is promised the RCA")
    halt: HaltOut | None = Field(
        default=None, description="this deal's environment halt; null when none asked"
    )
    status_url: str | None = Field(
        default=None, description="this deal's customer status page, while shared; null when not"
    )


class AmountOut(BaseModel):
    currency: str
    amount: str = Field(description="the deals' ARR in this currency, summed (currencies are never mixed)")


class EscalationOut(BaseModel):
    id: str
    url: str
    state: State
    dry_run: bool
    created_at: str
    rca_due: str
    fix_due: str
    account: str
    arr: str = Field(description='a decimal number as a string, e.g. "480000"')
    currency: str
    title: str
    reporter: str
    idempotency_key: str | None
    owner: OwnerOut
    fingerprint: FingerprintOut | None = Field(description="null when the report had no stack trace")
    pagerduty: PagerDutyOut
    jira: JiraOut
    effects: list[EffectOut]
    timeline: list[EventOut]
    halt: HaltOut | None = Field(
        default=None, description="deal 1's halt (each deal's is in `deals`); null when none was asked"
    )
    disclosure: list[DisclosureOut] = Field(
        description="who has been told, per role: the first thing to read"
    )
    deals: list[DealOut] = Field(description="every deal this failure puts at risk, the first report first")
    arr_at_risk: list[AmountOut] = Field(description="the deals' ARR summed per currency")


class CreatedOut(EscalationOut):
    warnings: list[str] = Field(
        description="what the reporter is warned of, e.g. a customer contact not named"
    )
    linked: bool = Field(
        description="true: the report was added, as another deal, to an open escalation of the same"
        " failure (no new page, no new P1); the answer is that escalation, still 201"
    )
    deal: int = Field(description="the deal this report is in the escalation (1 when it opened it)")


class EscalationList(BaseModel):
    escalations: list[EscalationOut]


class ErrorOut(BaseModel):
    error: str = Field(description="a stable code: invalid, unauthorized, forbidden, not_found, conflict, …")
    message: str
    fields: dict[str, str] = Field(description="for `invalid`: a message per bad field, by dotted name")
    existing: str | None = Field(default=None, description="for `conflict`: the escalation holding the key")


class PreviewIn(BaseModel):
    locations: list[str] = Field(default=[], max_length=200)
    stack_trace: str = Field(default="", max_length=200_000)


class PreviewOwner(OwnerOut):
    rule: str | None = Field(description="the deciding registry line as written")


class PreviewOut(BaseModel):
    locations: list[str]
    owner: PreviewOwner | None
    message: str


class ContactOut(BaseModel):
    name: str
    email: str | None


class AccountOut(BaseModel):
    name: str = Field(description="as the latest report spelled it")
    arr: str = Field(description='a decimal number as a string, e.g. "480000.00"')
    currency: str
    poc_ends_on: str | None
    economic_buyer: ContactOut | None
    executive_sponsor: ContactOut | None
    account_executive: ContactOut | None
    escalation_id: str = Field(description="the escalation of the account's latest report")
    updated_at: str


class AccountList(BaseModel):
    accounts: list[AccountOut]


OpenFilter = Literal["open", "pending", "paged", "acknowledged", "fixed", "closed"]
