"""The accounts contract: every store remembers an account from its latest report, the same way."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from integrator.application.escalate import parse_report
from integrator.bootstrap import Services
from integrator.domain.accounts import Contact
from integrator.errors import NotFound
from tests.support import FakeClock, report_data


def report(account: str = "Globex", **deal: Any) -> dict[str, Any]:
    data = report_data()
    data["deal"] = {**data["deal"], "account": account, **deal}
    return data


def submit(services: Services, data: dict[str, Any]) -> str:
    escalation, _ = services.escalator.submit(parse_report(data))
    return escalation.id


def names(services: Services, prefix: str, *, limit: int = 10) -> list[str]:
    return [a.name for a in services.accounts.find(prefix, limit=limit)]


def test_an_accepted_report_remembers_its_account(services: Services) -> None:
    data = report(arr="$1.2M", poc_ends_on="2026-12-18")
    data["deal"]["account_executive"] = {"name": "Avery", "email": "avery@acme.example"}
    escalation_id = submit(services, data)

    account = services.accounts.get("globex")

    assert account.name == "Globex"
    assert (account.arr, account.currency) == (Decimal("1200000"), "USD")
    assert account.poc_ends_on == date(2026, 12, 18)
    assert account.economic_buyer == Contact("Hank Scorpio", "hank@globex.example")
    assert account.executive_sponsor == Contact("Dana Whitfield", "dana@acme.example")
    assert account.account_executive == Contact("Avery", "avery@acme.example")
    assert account.escalation_id == escalation_id


def test_the_latest_report_wins_but_an_empty_contact_keeps_the_remembered_one(
    services: Services, clock: FakeClock
) -> None:
    submit(services, report(poc_ends_on="2026-12-18"))
    clock.advance(hours=1)
    later = report("GLOBEX ", arr="€900k", economic_buyer={"name": "Marge Bouvier"})
    del later["deal"]["executive_sponsor"]
    latest_id = submit(services, later)

    account = services.accounts.get("Globex")

    assert account.name == "GLOBEX"
    assert (account.arr, account.currency) == (Decimal("900000"), "EUR")
    assert account.economic_buyer == Contact("Marge Bouvier", None)  # named again: replaced whole
    assert account.executive_sponsor == Contact("Dana Whitfield", "dana@acme.example")  # left empty: kept
    assert account.poc_ends_on == date(2026, 12, 18)
    assert account.escalation_id == latest_id
    assert [a.name for a in services.accounts.find("glo", limit=10)] == ["GLOBEX"]


def test_accounts_are_found_by_prefix_in_any_case_ordered_by_name_and_bounded(services: Services) -> None:
    for name in ("Initech", "Globex Japan", "globex", "Globe Theatre", "Hooli"):
        submit(services, report(name))

    assert names(services, "GLOB") == ["Globe Theatre", "globex", "Globex Japan"]
    assert names(services, "globex") == ["globex", "Globex Japan"]
    assert names(services, "glob", limit=2) == ["Globe Theatre", "globex"]
    assert names(services, "", limit=3) == ["Globe Theatre", "globex", "Globex Japan"]
    assert names(services, "Umbrella") == []


def test_an_unknown_account_is_not_found_and_named(services: Services) -> None:
    with pytest.raises(NotFound, match="'Umbrella'"):
        services.accounts.get("Umbrella")


def test_a_repeated_report_leaves_the_account_as_the_first_one_left_it(services: Services) -> None:
    submit(services, {**report(arr=480000), "idempotency_key": "k-1"})
    again, created = services.escalator.submit(parse_report({**report(arr=999000), "idempotency_key": "k-1"}))

    assert not created
    assert services.accounts.get("Globex").arr == Decimal("480000")
    assert services.accounts.get("Globex").escalation_id == again.id


def test_a_name_too_long_to_remember_is_still_escalated(services: Services) -> None:
    escalation_id = submit(services, report("G" * 300))

    assert services.store.get(escalation_id).report.deal.account == "G" * 300
    assert services.accounts.find("G", limit=10) == []


def test_two_reports_of_one_new_account_at_once_are_both_stored(services: Services) -> None:
    results: list[str] = []
    start = threading.Barrier(2)

    def report_it(arr: str) -> None:
        start.wait()
        results.append(submit(services, report("Umbrella", arr=arr)))

    workers = [threading.Thread(target=report_it, args=(arr,)) for arr in ("100k", "200k")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(results) == 2
    account = services.accounts.get("umbrella")
    assert account.escalation_id in results
    assert account.arr in {Decimal("100000"), Decimal("200000")}
