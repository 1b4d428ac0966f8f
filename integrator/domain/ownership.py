"""Who owns a failure: the registry's deciding line for its locations, turned into a catalog team.

The registry lives in `integrator.registry` and the catalog in `integrator.catalog`; both are
re-exported here, so `from integrator.ownership import Registry, Catalog, resolve_owner` works.

How a location's deciding line becomes an owner:

- The first `@handle` on the line is the team. When the catalog does not know that handle, the
  location is treated as unowned (the next location, then the default owner, decides);
  `integrator registry check` reports such a handle as "Unknown owner".
- The first email on the line is the engineer to page; without one, the team's senior engineer.
- A line whose owners are only emails (GitHub allows `*.go docs@example.com`) pages that email,
  under the catalog's default owner team (whose Jira project and PagerDuty service are used);
  without a default owner such a line cannot be paged and the location counts as unowned.
- A line with no owners leaves its location unowned.
"""

from __future__ import annotations

from collections.abc import Sequence

from integrator.domain.catalog import Catalog
from integrator.domain.owner import Owner
from integrator.domain.registry import LineError, Registry, RegistryTooLarge, Rule, normalise

__all__ = [
    "Catalog",
    "LineError",
    "Registry",
    "RegistryTooLarge",
    "Rule",
    "default_owner",
    "normalise",
    "owner_of",
    "resolve_owner",
]


def resolve_owner(locations: Sequence[str], registry: Registry, catalog: Catalog) -> Owner | None:
    """The owner decided by the first owned location, else the catalog's default owner, else None."""
    for location in locations:
        rule = registry.match(location)
        owner = owner_of(location, rule, catalog) if rule is not None else None
        if owner is not None:
            return owner
    return default_owner(catalog)


def owner_of(location: str, rule: Rule, catalog: Catalog) -> Owner | None:
    """The owner that `rule` (the line deciding `location`) names, or None when it names none we can page."""
    if rule.team is not None:
        team = catalog.team(rule.team)
    else:
        team = catalog.team(catalog.default_owner) if catalog.default_owner and rule.email else None
    if team is None:
        return None
    engineer = rule.email or team.senior_engineer
    return Owner(team=team, engineer=engineer, location=location, line=rule.line, pattern=rule.pattern)


def default_owner(catalog: Catalog) -> Owner | None:
    """The catalog's default owner, for failures no registry line owns."""
    team = catalog.team(catalog.default_owner) if catalog.default_owner else None
    if team is None:
        return None
    return Owner(team=team, engineer=team.senior_engineer, location=None, line=None, pattern=None)
