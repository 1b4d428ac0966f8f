"""Customer updates on the in-memory store: owed once per update, a stale page refused, bad input named."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrator.application.escalate import parse_report
from integrator.application.updates import CustomerUpdate, next_update_number, send_customer_update
from integrator.domain.escalation import EffectKind
from integrator.errors import InvalidInput
from tests.support import FakeClock, MemoryPager, MemoryTracker, memory_services, report_data

UPDATE = CustomerUpdate.checked(to="hank@globex.example", subject="Update on your POC", body="We are on it.")


def test_an_update_is_owed_once_even_when_the_form_is_sent_twice(tmp_path: Path) -> None:
    clock = FakeClock()
    services = memory_services(tmp_path, clock=clock, pager=MemoryPager(), tracker=MemoryTracker())
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    number = next_update_number(escalation)

    first = send_customer_update(
        services.store, escalation, UPDATE, number=number, by="priya", now=clock.now()
    )
    again = send_customer_update(
        services.store, escalation, UPDATE, number=number, by="priya", now=clock.now()
    )

    after = services.store.get(escalation.id)
    updates = [
        f for f in after.effects if f.kind == EffectKind.EMAIL and f.target.startswith("customer-update:")
    ]
    assert (first, again) == (True, False)
    assert [(f.target, f.payload["to"]) for f in updates] == [("customer-update:1", "hank@globex.example")]
    assert [e.text for e in after.timeline if e.kind == "customer_update_sent"] == [
        "Customer update sent to hank@globex.example by priya"
    ]
    assert next_update_number(after) == 2


def test_a_different_update_from_a_stale_page_is_refused_not_lost(tmp_path: Path) -> None:
    clock = FakeClock()
    services = memory_services(tmp_path, clock=clock, pager=MemoryPager(), tracker=MemoryTracker())
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    send_customer_update(services.store, escalation, UPDATE, number=1, by="priya", now=clock.now())
    other = CustomerUpdate.checked(to="hank@globex.example", subject="Other", body="Different words.")

    with pytest.raises(InvalidInput) as refused:
        send_customer_update(
            services.store, services.store.get(escalation.id), other, number=1, by="sam", now=clock.now()
        )

    assert "number" in refused.value.fields


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"to": "", "subject": "s", "body": "b"}, "to"),
        ({"to": "a@b.example, c@d.example", "subject": "s", "body": "b"}, "to"),
        ({"to": "a@b.example", "subject": "two\nlines", "body": "b"}, "subject"),
        ({"to": "a@b.example", "subject": "s", "body": ""}, "body"),
    ],
)
def test_bad_update_fields_are_named(fields: dict[str, str], bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        CustomerUpdate.checked(**fields)
    assert bad in refused.value.fields
