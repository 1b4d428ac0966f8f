"""A report stored under earlier, looser input rules still reads back: nothing stored is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from integrator.domain.report import FailureReport
from tests.support import MemoryPager, MemoryTracker, make_services, report_data, write_config


def accepted_before() -> dict[str, object]:
    """What the old checks let through: two addresses in one field, a date far in the future."""
    data = report_data()
    data["deal"]["executive_sponsor"]["email"] = "root,sponsor@acme.example"
    data["reporter"]["email"] = "priya@acme.test"
    data["rca_due"] = "9000-01-01T17:00:00+00:00"
    return data


def test_todays_rules_refuse_what_the_old_ones_accepted() -> None:
    with pytest.raises(ValidationError):
        FailureReport.model_validate(accepted_before())


def test_a_report_accepted_under_the_old_rules_reads_back_from_the_store(
    database_url: str, tmp_path: Path
) -> None:
    settings = write_config(tmp_path, database_url=database_url)
    services = make_services(settings, pager=MemoryPager(), tracker=MemoryTracker())
    stored, _ = services.escalator.submit(FailureReport.stored(accepted_before()))

    again = services.store.get(stored.id)

    assert again.report == stored.report
    assert again.report.deal.executive_sponsor is not None
    assert again.report.deal.executive_sponsor.email == "root,sponsor@acme.example"
