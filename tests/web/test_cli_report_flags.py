"""A report as flags: one for every field, `--account` filling the rest, messages naming the flags."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner, Result

from integrator.cli.app import app
from integrator.cli.reportflags import FLAGS
from integrator.domain.report import FailureReport, Person
from tests.support import TRACE
from tests.web.conftest import World

MINIMAL = ("--title", "Batch ingest drops rows", "--location", "services/ingest/api/batch.py")
ME = ("--reporter-email", "priya@acme.example")


def cli(world: World, *args: str) -> Result:
    world.clock.advance(seconds=1)  # each report the latest: `stored` reads the newest
    return CliRunner().invoke(app, list(args), obj=world.services)


def stored(world: World) -> FailureReport:
    latest = world.services.store.recent()[0]
    return latest.report


def test_every_report_field_has_a_flag(world: World, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    trace.write_text(TRACE)
    result = cli(
        world, "escalate", "--json",
        "--account", "Globex", "--arr", "USD 480,000", "--currency", "USD", "--poc-ends-on", "2026-12-18",
        "--economic-buyer-name", "Hank Scorpio", "--economic-buyer-email", "hank@globex.example",
        "--executive-sponsor-name", "Dana Whitfield", "--executive-sponsor-email", "dana@acme.example",
        "--account-executive-name", "Avery Kim", "--account-executive-email", "avery@acme.example",
        "--title", "Batch ingest drops rows", "--description", "Rows vanish under load",
        "--criterion", "MSP-3: zero data loss", "--observed", "1.2% of rows missing",
        "--location", "services/ingest/api/batch.py", "--location", "ingest-api",
        "--stack-trace", str(trace), "--environment", "poc-globex-eu1", "--test-halted",
        "--occurred-at", "2026-11-28T02:00:00+00:00",
        "--reporter-name", "Priya", "--reporter-email", "priya@acme.example", "--time-zone", "Europe/Berlin",
        "--rca-due", "2026-11-28T17:00:00+01:00", "--idempotency-key", "globex-2026-11-28",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    report = stored(world)
    assert report.deal.account == "Globex"
    assert (report.deal.arr, report.deal.currency) == (Decimal("480000"), "USD")
    assert report.deal.poc_ends_on == date(2026, 12, 18)
    assert report.deal.economic_buyer == Person(name="Hank Scorpio", email="hank@globex.example")
    assert report.deal.executive_sponsor == Person(name="Dana Whitfield", email="dana@acme.example")
    assert report.deal.account_executive == Person(name="Avery Kim", email="avery@acme.example")
    failure = report.failure
    assert (failure.title, failure.description) == ("Batch ingest drops rows", "Rows vanish under load")
    assert (failure.criterion, failure.observed) == ("MSP-3: zero data loss", "1.2% of rows missing")
    assert failure.locations == ["services/ingest/api/batch.py", "ingest-api"]
    assert failure.stack_trace == TRACE
    assert (failure.environment, failure.test_halted) == ("poc-globex-eu1", True)
    assert failure.occurred_at == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert (report.reporter.name, report.reporter.email) == ("Priya", "priya@acme.example")
    assert report.reporter.time_zone == "Europe/Berlin"
    assert report.rca_due == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
    assert report.idempotency_key == "globex-2026-11-28"
    assert json.loads(result.stdout)["account"] == "Globex"


def test_the_help_lists_a_flag_for_every_field_on_escalate_and_plan(world: World) -> None:
    for command in ("escalate", "plan"):
        shown = cli(world, command, "--help").output
        assert all(f.flag in shown for f in FLAGS), command


def test_a_known_account_fills_what_the_flags_do_not_give(world: World) -> None:
    first = cli(
        world, "escalate", *MINIMAL, *ME, "--account", "Globex", "--arr", "€1.2M",
        "--poc-ends-on", "2026-12-18",
        "--economic-buyer-name", "Hank Scorpio", "--economic-buyer-email", "hank@globex.example",
    )  # fmt: skip
    assert first.exit_code == 0, first.output

    again = cli(world, "escalate", *MINIMAL, *ME, "--account", "globex", "--poc-ends-on", "2027-01-15")

    assert again.exit_code == 0, again.output
    deal = stored(world).deal
    assert deal.account == "Globex"
    assert (deal.arr, deal.currency) == (Decimal("1200000"), "EUR")
    assert deal.poc_ends_on == date(2027, 1, 15)  # given: kept as given
    assert deal.economic_buyer == Person(name="Hank Scorpio", email="hank@globex.example")


def test_an_arr_given_with_its_own_currency_keeps_it_over_the_accounts(world: World) -> None:
    assert cli(world, "escalate", *MINIMAL, *ME, "--account", "Globex", "--arr", "€1.2M").exit_code == 0

    again = cli(world, "escalate", *MINIMAL, *ME, "--account", "Globex", "--arr", "$500k")

    assert again.exit_code == 0, again.output
    assert (stored(world).deal.arr, stored(world).deal.currency) == (Decimal("500000"), "USD")


def test_a_new_account_is_simply_the_reports_account(world: World) -> None:
    result = cli(world, "escalate", *MINIMAL, *ME, "--account", "Initech", "--arr", "250k")

    assert result.exit_code == 0, result.output
    assert stored(world).deal.account == "Initech"
    assert world.services.accounts.get("initech").arr == Decimal("250000")


def test_the_account_fills_only_the_missing_deal_fields_of_a_file(world: World, tmp_path: Path) -> None:
    assert cli(world, "escalate", *MINIMAL, *ME, "--account", "Globex", "--arr", "480k",
               "--economic-buyer-name", "Hank Scorpio").exit_code == 0  # fmt: skip
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(
            {
                "deal": {"arr": "900k"},
                "failure": {"title": "Again", "locations": ["ingest-api"]},
                "reporter": {"email": "priya@acme.example"},
            }
        )
    )

    result = cli(world, "escalate", "--file", str(report), "--account", "Globex")

    assert result.exit_code == 0, result.output
    deal = stored(world).deal
    assert (deal.account, deal.arr) == ("Globex", Decimal("900000"))
    assert deal.economic_buyer == Person(name="Hank Scorpio", email=None)


def test_messages_name_the_flags_that_were_typed(world: World) -> None:
    result = cli(
        world, "escalate", "--account", "", "--arr", "lots", "--title", "T", "--reporter-email", "priya at"
    )

    assert result.exit_code == 2
    assert "--account: is required" in result.stderr
    assert (
        "--arr: 'lots' is not an amount; write it like 480000, 480,000, $500k, 1.2M or USD 480000"
        in result.stderr
    )
    assert "--reporter-email: is not an email address" in result.stderr
    assert "deal." not in result.stderr
    assert "reporter." not in result.stderr
    assert world.escalation_count() == 0


def test_the_location_rule_is_said_in_flags(world: World) -> None:
    result = cli(world, "escalate", "--account", "Globex", "--arr", "480k", "--title", "T", *ME)

    assert result.exit_code == 2
    assert "--location: --location or --stack-trace is required" in result.stderr


def test_a_missing_required_flag_is_named(world: World) -> None:
    result = cli(world, "escalate", *MINIMAL, "--account", "Globex", "--arr", "480k")

    assert result.exit_code == 2
    assert "--reporter-email: is required" in result.stderr


def test_a_file_and_report_flags_together_are_refused_naming_the_flags(world: World, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("{}")

    result = cli(world, "escalate", "--file", str(report), "--title", "T", "--arr", "5k")

    assert result.exit_code == 2
    assert "--arr: give the report in --file or as flags, not both" in result.stderr
    assert "--title: give the report in --file or as flags, not both" in result.stderr


def test_a_file_keeps_its_json_paths_in_messages(world: World, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps({"deal": {"account": "Globex", "arr": "lots"}, "failure": {}, "reporter": {}})
    )

    result = cli(world, "escalate", "--file", str(report))

    assert result.exit_code == 2
    assert "deal.arr: 'lots' is not an amount" in result.stderr
    assert "failure.title: is required" in result.stderr
    assert "reporter.email: is required" in result.stderr


def test_plan_takes_the_same_flags_and_stores_nothing(world: World) -> None:
    result = cli(world, "plan", "--json", *MINIMAL, *ME, "--account", "Globex", "--arr", "$500k")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sent"] is False
    assert world.escalation_count() == 0


def test_the_old_reporter_flag_still_works(world: World) -> None:
    result = cli(
        world, "escalate", *MINIMAL, "--account", "Globex", "--arr", "480000", "--reporter", "p@acme.example"
    )

    assert result.exit_code == 0, result.output
    assert stored(world).reporter.email == "p@acme.example"
