"""The service catalog, and how a registry line and the catalog together decide who is paged."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrator.domain.owner import Team
from integrator.domain.ownership import Catalog, Registry, resolve_owner
from integrator.errors import ConfigError

CONFIG = Path(__file__).resolve().parents[2] / "config"

CATALOG = """
[defaults]
owner = "@acme/platform"

[owners."@acme/platform"]
service = "platform"
jira_project = "PLAT"
pagerduty_service = "PPLAT01"
senior_engineer = "pat@acme.example"

[owners."@acme/ingest"]
service = "ingest-api"
jira_project = "ING"
jira_component = "ingest-api"
pagerduty_service = "PING001"
senior_engineer = "alice@acme.example"
breach_contacts = ["vp-eng@acme.example", "ingest-leads@acme.example"]
chat_webhook = "https://chat.acme.example/hooks/ingest"
"""

REGISTRY = """\
/services/ingest/               @acme/ingest
/services/ingest/connectors/    @acme/ingest bob@acme.example
/services/ingest/vendor/
/services/ingest/legacy/        @acme/retired
*.sql                           dba@acme.example
"""


def test_reads_every_field_of_an_owner_into_a_team() -> None:
    catalog = Catalog.parse(CATALOG)

    assert catalog.handles == frozenset({"@acme/platform", "@acme/ingest"})
    assert catalog.default_owner == "@acme/platform"
    assert catalog.team("@acme/ingest") == Team(
        handle="@acme/ingest",
        service="ingest-api",
        jira_project="ING",
        pagerduty_service="PING001",
        senior_engineer="alice@acme.example",
        jira_component="ingest-api",
        breach_contacts=("vp-eng@acme.example", "ingest-leads@acme.example"),
        chat_webhook="https://chat.acme.example/hooks/ingest",
    )
    assert catalog.team("@acme/platform") == Team(
        handle="@acme/platform",
        service="platform",
        jira_project="PLAT",
        pagerduty_service="PPLAT01",
        senior_engineer="pat@acme.example",
    )
    assert catalog.team("@acme/nobody") is None


def test_the_example_catalog_loads_with_a_default_owner() -> None:
    catalog = Catalog.load(CONFIG / "services.toml")

    assert catalog.default_owner == "@acme/platform"
    assert {t.service for t in catalog.teams.values()} >= {
        "ingest-api",
        "query-engine",
        "auth-service",
        "billing",
        "connectors",
        "web-console",
    }


@pytest.mark.parametrize("field", ["service", "jira_project", "pagerduty_service", "senior_engineer"])
def test_each_missing_required_field_is_named(field: str) -> None:
    text = "\n".join(line for line in CATALOG.splitlines() if not line.startswith(f"{field} = "))

    with pytest.raises(ConfigError) as caught:
        Catalog.parse(text, source="services.toml")

    message = str(caught.value)
    assert message.startswith("services.toml: invalid catalog")
    assert f'owners."@acme/platform".{field}: is required' in message
    assert f'owners."@acme/ingest".{field}: is required' in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (('"ingest-leads@acme.example"', '"ingest leads"'), 'owners."@acme/ingest".breach_contacts[1]: '),
        (('senior_engineer = "alice@acme.example"', 'senior_engineer = "alice"'), ".senior_engineer: "),
        (('jira_project = "ING"', 'jira_project = "ing project"'), 'owners."@acme/ingest".jira_project: '),
        (('chat_webhook = "https:', 'chat_webhook = "ftp:'), 'owners."@acme/ingest".chat_webhook: '),
        (
            ("jira_component =", "jira_componnent ="),
            'owners."@acme/ingest".jira_componnent: is not a known field',
        ),
        (('[owners."@acme/ingest"]', '[owners."acme-ingest"]'), "owners.acme-ingest: is not an @user"),
        (
            ('owner = "@acme/platform"', 'owner = "@acme/core"'),
            "defaults.owner: @acme/core is not in [owners]",
        ),
    ],
)
def test_a_bad_field_is_named_with_the_reason(change: tuple[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match="invalid catalog") as caught:
        Catalog.parse(CATALOG.replace(*change))

    assert named in str(caught.value)


def test_a_catalog_without_owners_is_refused() -> None:
    with pytest.raises(ConfigError, match="owners: is required"):
        Catalog.parse('[defaults]\nowner = "@acme/platform"\n')


def test_a_file_that_is_not_toml_or_cannot_be_read_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        Catalog.parse("[owners\n")
    with pytest.raises(ConfigError, match="cannot read the catalog"):
        Catalog.load(tmp_path / "missing.toml")


def resolve(*locations: str) -> tuple[str, str, str | None, int | None] | None:
    catalog = Catalog.parse(CATALOG)
    owner = resolve_owner(locations, Registry.parse(REGISTRY), catalog)
    return (owner.team.handle, owner.engineer, owner.location, owner.line) if owner else None


def test_the_first_owned_location_decides_and_pages_the_senior_engineer() -> None:
    assert resolve("README.md", "services/ingest/api/batch.py", "services/ingest/connectors/db/pool.py") == (
        "@acme/ingest",
        "alice@acme.example",
        "services/ingest/api/batch.py",
        1,
    )


def test_an_email_on_the_deciding_line_is_paged_instead_of_the_senior_engineer() -> None:
    assert resolve("services/ingest/connectors/db/pool.py") == (
        "@acme/ingest",
        "bob@acme.example",
        "services/ingest/connectors/db/pool.py",
        2,
    )


def test_a_line_without_owners_or_with_an_unknown_team_passes_to_the_next_location() -> None:
    assert resolve("services/ingest/vendor/six.py", "services/ingest/api.py")[:2] == (
        "@acme/ingest",
        "alice@acme.example",
    )
    assert resolve("services/ingest/legacy/old.py", "services/ingest/api.py")[3] == 1


def test_an_email_only_line_pages_that_email_under_the_default_team() -> None:
    assert resolve("services/ingest/schema/tables.sql") == (
        "@acme/platform",
        "dba@acme.example",
        "services/ingest/schema/tables.sql",
        5,
    )


def test_unowned_locations_fall_back_to_the_default_owner_without_a_line() -> None:
    catalog = Catalog.parse(CATALOG)
    owner = resolve_owner(["README.md", "services/ingest/vendor/x.py"], Registry.parse(REGISTRY), catalog)

    assert owner is not None
    assert (owner.team.handle, owner.engineer, owner.location, owner.line, owner.pattern) == (
        "@acme/platform",
        "pat@acme.example",
        None,
        None,
        None,
    )
    assert "default owner" in owner.explain()


def test_no_owner_at_all_without_a_default_owner() -> None:
    catalog = Catalog.parse(CATALOG.replace('owner = "@acme/platform"', ""))

    assert resolve_owner(["README.md"], Registry.parse(REGISTRY), catalog) is None
    assert resolve_owner(["db/x.sql"], Registry.parse(REGISTRY), catalog) is None
    assert resolve_owner([], Registry.parse(REGISTRY), catalog) is None
