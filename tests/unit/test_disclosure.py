"""Who knows, the contacts check, the executive escalation in the catalog, and the reminder's clock (pure)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from integrator.application.announce import owed_by, tell
from integrator.application.disclosure import Disclosed, disclosure
from integrator.application.escalate import parse_report
from integrator.domain.catalog import Catalog
from integrator.domain.escalation import (
    Effect,
    EffectKind,
    EffectState,
    Escalation,
    Event,
    Topic,
)
from integrator.domain.protocol import missing_contacts
from integrator.domain.status import plan_clock
from integrator.errors import ConfigError, InvalidInput
from tests.builders import CREATED_AT, make_escalation, make_owner, make_report, make_team
from tests.support import memory_services, report_data
from tests.unit.test_catalog import CATALOG

WITHIN = timedelta(minutes=60)


def email(effect_id: int, target: str, state: EffectState = EffectState.DONE, **fields: Any) -> Effect:
    result = fields.pop("result", {"at": CREATED_AT.isoformat()} if state == EffectState.DONE else {})
    return Effect(
        effect_id,
        EffectKind.EMAIL,
        state,
        attempts=1,
        last_error=fields.pop("last_error", None),
        next_attempt_at=None,
        target=target,
        result=result,
        **fields,
    )


def row(e: Escalation, role: str, address: str | None = None) -> Disclosed:
    found = [r for r in disclosure(e) if r.role.value == role and (address is None or r.email == address)]
    assert len(found) == 1, found
    return found[0]


def test_each_role_reads_off_the_effect_that_tells_it() -> None:
    e = make_escalation(
        effects=(
            Effect(
                1, EffectKind.PAGE, EffectState.DONE, 1, None, None, result={"at": CREATED_AT.isoformat()}
            ),
            email(2, "escalated:dana@acme.example"),
            email(3, "escalated:sam@acme.example", EffectState.FAILED, last_error="550 no such user"),
            email(4, "escalated:priya@acme.example", EffectState.PENDING, last_error="451 try later"),
        )
    )

    assert (row(e, "engineer").state, row(e, "engineer").at) == ("told", CREATED_AT)
    assert row(e, "executive_sponsor").state == "told"
    assert (row(e, "account_executive").state, row(e, "account_executive").detail) == (
        "failed",
        "550 no such user",
    )
    assert (row(e, "reporter").state, row(e, "reporter").detail) == ("pending", "451 try later")
    assert row(e, "economic_buyer").state == "pending"
    assert row(e, "executive_escalation").state == "not_named"
    assert "told only if the fix clock is breached" in row(e, "breach_contact").detail


def test_a_dry_run_email_is_planned_at_the_time_it_was_planned_never_told() -> None:
    planned = email(1, "escalated:dana@acme.example", result={"dry_run": True, "would_send": {}})
    event = Event(
        CREATED_AT, "dry_run", "Dry-run: would email", {"effect": "email", "target": planned.target}
    )

    e = make_escalation(effects=(planned,), timeline=(event,))

    assert (row(e, "executive_sponsor").state, row(e, "executive_sponsor").at) == ("planned", CREATED_AT)


def test_the_economic_buyer_is_told_by_a_customer_update_to_their_address_only() -> None:
    other = email(1, "customer-update:1", payload={"to": "someone@globex.example"})
    assert row(make_escalation(effects=(other,)), "economic_buyer").state == "pending"

    to_buyer = email(2, "customer-update:2", payload={"to": "HANK@globex.example"})
    told = row(make_escalation(effects=(other, to_buyer)), "economic_buyer")

    assert (told.state, told.channel) == ("told", "customer update")


def test_people_the_report_leaves_out_are_not_named_and_a_name_without_email_says_so() -> None:
    report = make_report(
        deal={
            "economic_buyer": {"name": "Hank Scorpio"},
            "executive_sponsor": None,
            "account_executive": None,
        }
    )
    e = make_escalation(report=report)

    assert row(e, "economic_buyer").state == "not_named"
    assert row(e, "economic_buyer").detail == "Hank Scorpio is named without an email: nobody can tell them"
    assert row(e, "executive_sponsor").state == "not_named"
    assert row(e, "account_executive").detail == "the report names nobody"


def test_the_executive_escalation_row_follows_its_latest_email_and_lists_each() -> None:
    team = make_team(executive_escalation=("vp@acme.example", "cto@acme.example"))
    e = make_escalation(
        owner=make_owner(team=team),
        effects=(
            email(1, "escalated:vp@acme.example"),
            email(2, "breach:vp@acme.example", EffectState.PENDING),
        ),
    )

    vp = row(e, "executive_escalation", "vp@acme.example")
    assert vp.state == "told"
    assert vp.detail == "of the report (sent), the breach (pending)"
    assert row(e, "executive_escalation", "cto@acme.example").state == "pending"


def test_only_the_missing_customer_contacts_are_named() -> None:
    assert missing_contacts(make_report()) == []
    assert missing_contacts(make_report(deal={"executive_sponsor": None})) == ["deal.executive_sponsor.email"]
    assert missing_contacts(
        make_report(deal={"economic_buyer": {"name": "Hank"}, "executive_sponsor": None})
    ) == [
        "deal.economic_buyer.email",
        "deal.executive_sponsor.email",
    ]


def test_the_escalator_warns_refuses_or_lets_be_as_the_setting_says(tmp_path: Path) -> None:
    escalator = memory_services(tmp_path).escalator
    data = report_data()
    del data["deal"]["executive_sponsor"]
    report = parse_report(data)
    assert [w.split(":")[0] for w in escalator.warnings(report)] == ["deal.executive_sponsor.email"]
    escalator.contacts = "off"
    assert escalator.warnings(report) == []
    escalator.contacts = "require"
    with pytest.raises(InvalidInput) as refused:
        escalator.submit(report)
    assert list(refused.value.fields) == ["deal.executive_sponsor.email"]
    assert escalator.store.recent() == []


def test_the_owners_executive_escalation_replaces_the_defaults_and_others_take_the_defaults() -> None:
    text = CATALOG.replace("[defaults]\n", '[defaults]\nexecutive_escalation = ["vp@acme.example"]\n', 1)
    text += '\nexecutive_escalation = ["director@acme.example"]\n'  # the last owner's override

    catalog = Catalog.parse(text)

    assert catalog.teams["@acme/platform"].executive_escalation == ("vp@acme.example",)
    assert catalog.teams["@acme/ingest"].executive_escalation == ("director@acme.example",)
    assert Catalog.parse(CATALOG).teams["@acme/ingest"].executive_escalation == ()


def test_a_bad_executive_escalation_address_is_named() -> None:
    with pytest.raises(ConfigError, match=r"defaults\.executive_escalation\[0\]"):
        Catalog.parse(
            CATALOG.replace("[defaults]\n", '[defaults]\nexecutive_escalation = ["not an email"]\n', 1)
        )


def test_the_executive_escalation_is_told_of_the_report_the_breach_and_the_fix_only() -> None:
    e = make_escalation(owner=make_owner(team=make_team(executive_escalation=("vp@acme.example",))))

    told = {topic: [o.target for o in tell(e, topic) if o.kind == EffectKind.EMAIL] for topic in Topic}

    for topic in (Topic.ESCALATED, Topic.BREACH, Topic.FIXED):
        assert f"{topic}:vp@acme.example" in told[topic]
    for topic in (Topic.ACKNOWLEDGED, Topic.FIX_50, Topic.RCA, Topic.TELL_CUSTOMER):
        assert f"{topic}:vp@acme.example" not in told[topic]
    assert told[Topic.TELL_CUSTOMER] == ["tell_customer:priya@acme.example"]


def test_the_reminder_is_due_once_at_its_minute_unless_the_customer_was_told() -> None:
    e = make_escalation(fix_due=CREATED_AT + timedelta(hours=48), rca_due=CREATED_AT + timedelta(hours=8))

    assert not plan_clock(e, now=CREATED_AT + timedelta(minutes=59), tell_customer_within=WITHIN)
    due = plan_clock(e, now=CREATED_AT + WITHIN, tell_customer_within=WITHIN)
    assert [ev.kind for ev in due.events] == ["clock:tell_customer"]
    assert due.events[0].text.startswith("Reminded priya@acme.example that the customer has not been told")
    assert [o.target for o in owed_by(e, due)] == ["tell_customer:priya@acme.example"]

    reminded = make_escalation(fix_due=e.fix_due, rca_due=e.rca_due, timeline=due.events)
    assert not plan_clock(reminded, now=CREATED_AT + timedelta(hours=2), tell_customer_within=WITHIN)
    told = Event(CREATED_AT + timedelta(minutes=5), "customer_update_sent", "Customer update sent", {})
    updated = make_escalation(fix_due=e.fix_due, rca_due=e.rca_due, timeline=(told,))
    assert not plan_clock(updated, now=CREATED_AT + timedelta(hours=2), tell_customer_within=WITHIN)
    assert not plan_clock(e, now=CREATED_AT + timedelta(hours=2))  # no minutes given: no reminder
