"""The deals of one failure: the ARR summed per currency, the match told in plain words (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from integrator.application.escalate import parse_report
from integrator.application.linking import crossed
from integrator.domain.deals import EscalatedDeal, ago, arr_at_risk, describe_arr, match_notice
from tests.builders import make_escalation
from tests.support import report_data

AT = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def deal(number: int, arr: str, currency: str = "USD") -> EscalatedDeal:
    data = report_data()
    data["deal"] = {"account": f"Account {number}", "arr": arr, "currency": currency}
    return EscalatedDeal(number, parse_report(data), AT)


def test_the_arr_at_risk_is_summed_per_currency_never_mixed() -> None:
    deals = [deal(1, "500000"), deal(2, "200k", "EUR"), deal(3, "480,000.50"), deal(4, "0", "EUR")]

    assert [(a.currency, a.amount) for a in arr_at_risk(deals)] == [
        ("USD", Decimal("980000.50")),
        ("EUR", Decimal("200000")),
    ]
    assert describe_arr(deals) == "980,000.50 USD + 200,000 EUR"


def test_the_threshold_is_crossed_by_one_currency_alone_and_only_once() -> None:
    line = Decimal(1_000_000)
    one = make_escalation(linked_deals=(deal(2, "300000"),))
    two = make_escalation(linked_deals=(deal(2, "300000"), deal(3, "300000")))

    assert crossed(one, two, line)  # 480,000 + 300,000 + 300,000 = 1,080,000 USD
    assert not crossed(two, two, line)  # already past it: not crossed again
    eur = make_escalation(linked_deals=(deal(2, "900000", "EUR"),))
    assert not crossed(make_escalation(), eur, line)  # 480,000 USD and 900,000 EUR: not summed together


def test_the_match_is_told_with_how_long_ago_the_escalation_was_opened() -> None:
    assert ago(AT, AT + timedelta(minutes=25)) == "25 min ago"
    assert ago(AT, AT + timedelta(hours=2, minutes=10)) == "2 h ago"
    assert ago(AT, AT + timedelta(days=3)) == "3 days ago"
    assert match_notice("Initech", "2268abc", AT, AT + timedelta(hours=2)) == (
        "Same failure as escalation 2268abc, opened 2 h ago for Initech — the engineer is already paged."
        " This report will be added to it."
    )
