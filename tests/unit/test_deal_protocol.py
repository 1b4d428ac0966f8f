"""Every deal keeps its own protocol (in-memory store): its people in the disclosure, its customer's
updates, its environment's halt; a later deal is told what is left of the shared fix clock; the
incident's title and the P1's summary carry the ARR at risk, rewritten once per link and unlink."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from integrator.application.disclosure import disclosure
from integrator.application.escalate import parse_report
from integrator.application.halting import owe_resume
from integrator.application.updates import CustomerUpdate, next_update_number, send_customer_update
from integrator.bootstrap import Services
from integrator.domain.escalation import Changes, EffectKind, Escalation, State
from integrator.errors import Conflict, InvalidInput, Unavailable
from integrator.messages.customer import customer_timeline, customer_update_draft
from integrator.messages.email import compose
from integrator.messages.facts import shared_title
from tests.support import CATALOG, TRACE, FakeClock, MemoryPager, MemoryTracker, memory_services, report_data
from tests.unit.test_halt import ENVIRONMENTS, MemoryHaltHook

ENVIRONMENTS += """
[environments."poc-hooli-eu2"]
halt_url = "https://poc-control.hooli.example/hooks/halt"
secret = "env:POC_HALT_SECRET"
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # 2026-11-28 15:00 UTC


@pytest.fixture
def pager() -> MemoryPager:
    return MemoryPager()


@pytest.fixture
def tracker() -> MemoryTracker:
    return MemoryTracker()


@pytest.fixture
def hook() -> MemoryHaltHook:
    return MemoryHaltHook()


@pytest.fixture
def services(
    tmp_path: Path, clock: FakeClock, pager: MemoryPager, tracker: MemoryTracker, hook: MemoryHaltHook
) -> Services:
    catalog = CATALOG + ENVIRONMENTS
    return memory_services(tmp_path, clock=clock, pager=pager, tracker=tracker, catalog=catalog, halt=hook)


def deal(account: str, arr: object, *, currency: str = "USD", **failure: Any) -> dict[str, Any]:
    """A report of the connection-pool failure (one fingerprint) from `account`'s proof-of-concept."""
    data = report_data(stack_trace=TRACE, **failure)
    low = account.lower()
    data["deal"] = {
        "account": account,
        "arr": arr,
        "currency": currency,
        "economic_buyer": {"name": f"Buyer {account}", "email": f"buyer@{low}.example"},
        "executive_sponsor": {"name": "Dana Whitfield", "email": "dana@acme.example"},
    }
    data["reporter"] = {"name": f"SE {account}", "email": f"se@{low}.example", "time_zone": "UTC"}
    return data


def escalate(services: Services, data: dict[str, Any]) -> Escalation:
    escalation, _ = services.escalator.escalate(parse_report(data))
    return services.dispatcher.drive(escalation.id)


def three_deals(services: Services) -> Escalation:
    escalate(services, deal("Initech", 500000))
    escalate(services, deal("Globex", "480,000"))
    return escalate(services, deal("Hooli", 250000, currency="EUR"))


def test_each_link_rewrites_the_title_and_the_summary_once_with_the_arr_at_risk_summed(
    services: Services, pager: MemoryPager, tracker: MemoryTracker
) -> None:
    first = escalate(services, deal("Initech", 500000))
    assert pager.titles == []
    assert tracker.summaries == []

    escalate(services, deal("Globex", "480,000"))
    escalation = escalate(services, deal("Hooli", 250000, currency="EUR"))
    services.dispatcher.drive_due()  # a later pass sends nothing again

    two = "[POC] Initech +1 deal ($980k ARR at risk): Batch ingest drops rows"
    three = "[POC] Initech +2 deals ($980k + €250k ARR at risk): Batch ingest drops rows"
    assert [title for _, title in pager.titles] == [two, three]
    assert [summary for _, summary in tracker.summaries] == [two, three]
    assert tracker.labels[escalation.ticket_key] == ["deal-globex", "deal-hooli"]  # in the same edits
    assert shared_title(escalation) == three
    assert shared_title(first) == "[POC] Initech ($500k ARR): Batch ingest drops rows"  # one deal: as filed


def test_an_unlink_rewrites_them_without_the_deal_and_its_number_is_not_given_again(
    services: Services, pager: MemoryPager, tracker: MemoryTracker, clock: FakeClock
) -> None:
    escalation = three_deals(services)
    clock.advance(minutes=5)

    services.escalator.unlink(escalation.id, 3, by="priya")
    services.dispatcher.drive(escalation.id)
    again = escalate(services, deal("Umbrella", 100000))

    assert [title for incident, title in pager.titles[2:] if incident == escalation.incident_id] == [
        "[POC] Initech +1 deal ($980k ARR at risk): Batch ingest drops rows",
        "[POC] Initech +2 deals ($1.1M ARR at risk): Batch ingest drops rows",
    ]
    assert len(tracker.summaries) == 4
    assert [d.number for d in again.deals] == [1, 2, 4]  # deal 3 went; its number is not reused
    assert len([n for _, n in pager.notes if "Umbrella" in n]) == 1  # so the new deal's note is owed


def test_a_later_deals_people_are_told_how_much_of_the_shared_fix_clock_is_left(
    services: Services, clock: FakeClock
) -> None:
    escalate(services, deal("Initech", 500000))
    clock.advance(hours=6, minutes=48)
    escalation = escalate(services, deal("Globex", 480000))

    (owed,) = [f for f in escalation.effects if f.target == "escalated:se@globex.example"]
    assert owed.payload["deal"] == 2
    said = compose(
        escalation.for_deal(2), topic="escalated", role="reporter", to="se@globex.example", now=clock.now()
    )
    text = " ".join(said.body.split())
    assert said.subject == "Escalated: [POC] Globex ($480k ARR): Batch ingest drops rows"
    assert (
        "It is the same failure already escalated for Initech: the engineer is already paged and the fix is"
        " shared. The fix is due 2026-11-30 15:00 UTC, 41 h 12 min from now; the 48-hour clock started"
        " with the first report for Initech."
    ) in text
    first = compose(escalation, topic="escalated", role="reporter", to="se@initech.example", now=clock.now())
    assert "The 48-hour fix clock has started." in first.body  # deal 1's words are as before


def test_the_disclosure_has_each_deals_people_then_those_every_deal_shares_once(services: Services) -> None:
    escalation = three_deals(services)

    rows = [(r.deal, r.role.value, r.email) for r in disclosure(escalation)]

    assert rows == [
        (1, "economic_buyer", "buyer@initech.example"),
        (1, "executive_sponsor", "dana@acme.example"),
        (1, "account_executive", None),
        (1, "reporter", "se@initech.example"),
        (2, "economic_buyer", "buyer@globex.example"),
        (2, "executive_sponsor", "dana@acme.example"),
        (2, "account_executive", None),
        (2, "reporter", "se@globex.example"),
        (3, "economic_buyer", "buyer@hooli.example"),
        (3, "executive_sponsor", "dana@acme.example"),
        (3, "account_executive", None),
        (3, "reporter", "se@hooli.example"),
        (None, "executive_escalation", None),
        (None, "engineer", "bob@acme.example"),
        (None, "breach_contact", "vp-eng@acme.example"),
    ]
    states = {(r.deal, r.role.value): r.state.value for r in disclosure(escalation)}
    assert states[(3, "reporter")] == "planned"  # told of the report (dry-run email: planned)
    assert {states[(n, "economic_buyer")] for n in (1, 2, 3)} == {"pending"}  # no customer update yet


def test_an_update_to_deal_two_is_owed_to_its_buyer_only_and_tells_that_deal_alone(
    services: Services, clock: FakeClock
) -> None:
    escalation = three_deals(services)
    update = CustomerUpdate.checked(
        to="buyer@globex.example", subject="Update", body="We are on it.", deal="2"
    )

    assert send_customer_update(services.store, escalation, update, number=1, by="priya", now=clock.now())

    after = services.store.get(escalation.id)
    owed = [(f.target, f.payload["to"], f.payload.get("deal")) for f in after.effects if "update" in f.target]
    assert owed == [("customer-update:1", "buyer@globex.example", 2)]
    buyers = {r.deal: r for r in disclosure(after) if r.role.value == "economic_buyer"}
    assert buyers[2].channel == "customer update"
    assert (buyers[1].state.value, buyers[3].state.value) == ("pending", "pending")
    services.dispatcher.drive(escalation.id)
    buyers = {
        r.deal: r for r in disclosure(services.store.get(escalation.id)) if r.role.value == "economic_buyer"
    }
    assert (buyers[1].state.value, buyers[2].state.value, buyers[3].state.value) == (
        "pending",
        "planned",
        "pending",
    )
    assert [e.text for e in after.timeline if e.kind == "customer_update_sent"] == [
        "Customer update sent to buyer@globex.example (deal 2) by priya"
    ]


def test_an_update_to_every_deal_is_one_update_owing_each_deals_buyer_an_email(
    services: Services, clock: FakeClock
) -> None:
    escalation = three_deals(services)
    update = CustomerUpdate.checked(to="", subject="Update", body="The fix is in progress.", deal="all")

    send_customer_update(services.store, escalation, update, number=1, by="priya", now=clock.now())
    again = send_customer_update(services.store, escalation, update, number=1, by="priya", now=clock.now())

    after = services.store.get(escalation.id)
    owed = [(f.target, f.payload["to"]) for f in after.effects if "update" in f.target]
    assert owed == [
        ("customer-update:1", "buyer@initech.example"),
        ("customer-update:1:deal-2", "buyer@globex.example"),
        ("customer-update:1:deal-3", "buyer@hooli.example"),
    ]
    assert again is False
    assert next_update_number(after) == 2


@pytest.mark.parametrize(
    ("deal_field", "message"),
    [("x", "must be a deal number (1, 2, …) or all"), ("7", "has no deal 7")],
)
def test_an_update_to_a_deal_that_is_not_there_is_refused_naming_the_deal(
    services: Services, clock: FakeClock, deal_field: str, message: str
) -> None:
    escalation = three_deals(services)

    def send() -> None:
        update = CustomerUpdate.checked(to="a@b.example", subject="Update", body="Hi.", deal=deal_field)
        send_customer_update(services.store, escalation, update, number=1, by="priya", now=clock.now())

    with pytest.raises(InvalidInput) as refused:
        send()

    assert message in refused.value.fields["deal"]
    assert not [f for f in services.store.get(escalation.id).effects if "update" in f.target]


def test_a_linked_deal_asking_a_halt_halts_its_own_environment_and_is_resumed_on_its_own(
    services: Services, hook: MemoryHaltHook, clock: FakeClock
) -> None:
    escalate(services, deal("Initech", 500000, halt=True, environment="poc-globex-eu1"))
    escalate(services, deal("Globex", 480000))
    escalation = escalate(services, deal("Hooli", 250000, halt=True, environment="poc-hooli-eu2"))

    assert [(c.body["environment"], c.body["account"]) for c in hook.calls] == [
        ("poc-globex-eu1", "Initech"),
        ("poc-hooli-eu2", "Hooli"),
    ]
    assert [f.target for f in escalation.effects if f.kind == EffectKind.HALT] == ["", "deal-3"]
    with pytest.raises(Conflict, match="not fixed"):
        owe_resume(services.store, escalation, by="priya", now=clock.now(), deal=3)
    with pytest.raises(Conflict, match="did not halt deal 2's test environment"):
        owe_resume(services.store, escalation, by="priya", now=clock.now(), deal=2)

    services.store.apply(
        escalation.id, now=clock.now(), changes=Changes(state=State.FIXED, fixed_at=clock.now())
    )
    owe_resume(services.store, services.store.get(escalation.id), by="priya", now=clock.now(), deal=3)
    services.dispatcher.drive(escalation.id)
    assert [(c.body["action"], c.body["environment"]) for c in hook.calls[2:]] == [
        ("resume", "poc-hooli-eu2")
    ]

    owe_resume(services.store, services.store.get(escalation.id), by="priya", now=clock.now())  # the rest
    services.dispatcher.drive(escalation.id)
    assert [(c.body["action"], c.body["environment"]) for c in hook.calls[3:]] == [
        ("resume", "poc-globex-eu1")
    ]


def test_each_deals_customer_is_promised_its_own_rca_and_told_it_was_sent_only_when_it_was(
    services: Services, clock: FakeClock
) -> None:
    escalate(services, deal("Initech", 500000))  # 15:00 UTC: the RCA promised by 19:00 (4 h ahead)
    clock.advance(hours=20)  # 11:00 UTC the next day: by 17:00
    escalation = escalate(services, deal("Globex", 480000))
    rca = CustomerUpdate.checked(
        to="buyer@initech.example", subject="RCA", body="The cause.", includes_rca=True
    )
    send_customer_update(services.store, escalation, rca, number=1, by="priya", now=clock.now())
    after = services.store.get(escalation.id)

    assert [d.rca_due.isoformat() for d in after.deals] == [
        "2026-11-28T19:00:00+00:00",
        "2026-11-29T17:00:00+00:00",
    ]
    to_initech = customer_update_draft(after)
    to_globex = customer_update_draft(after.for_deal(2))
    assert to_initech is not None
    assert to_globex is not None
    assert "We sent you the root-cause analysis on Sunday 29 November 2026 at 11:00 UTC." in to_initech.body
    assert (
        "You will receive the root-cause analysis by Sunday 29 November 2026 at 17:00 UTC." in to_globex.body
    )
    assert to_globex.to == "buyer@globex.example"
    assert "Initech" not in to_globex.body  # a customer reads only its own deal
    assert [text for _, text in customer_timeline(after.for_deal(2))].count("Root-cause analysis sent") == 0
    assert [text for _, text in customer_timeline(after)].count("Root-cause analysis sent") == 1


class FlakyTitles(MemoryPager):
    """PagerDuty answering the first retitle with a 503."""

    def set_title(self, incident_id: str, title: str) -> None:
        if not getattr(self, "failed", False):
            self.failed = True
            raise Unavailable("PagerDuty", "PUT /incidents: 503")
        super().set_title(incident_id, title)


def test_a_retitle_waits_for_the_one_owed_before_it_so_the_last_sent_has_every_deal(
    tmp_path: Path, clock: FakeClock
) -> None:
    pager = FlakyTitles()
    services = memory_services(tmp_path, clock=clock, pager=pager, tracker=MemoryTracker())
    escalate(services, deal("Initech", 500000))
    services.escalator.submit(parse_report(deal("Globex", 480000)))  # stored, not yet driven
    escalation, _ = services.escalator.submit(parse_report(deal("Hooli", 250000)))

    services.dispatcher.drive(escalation.id)  # deal 2's retitle meets a 503; deal 3's waits behind it
    waiting = {
        f.target: f.state.value
        for f in services.store.get(escalation.id).effects
        if f.kind == EffectKind.TITLE
    }
    assert pager.titles == []
    assert waiting == {"deal-2": "pending", "deal-3": "pending"}
    clock.advance(minutes=10)
    services.dispatcher.drive_due()

    assert [title for _, title in pager.titles] == [
        "[POC] Initech +2 deals ($1.2M ARR at risk): Batch ingest drops rows",
        "[POC] Initech +2 deals ($1.2M ARR at risk): Batch ingest drops rows",
    ]
