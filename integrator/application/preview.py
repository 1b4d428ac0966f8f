"""Who would be paged for these locations, and the registry line that decided, before anything is sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from integrator.application.escalate import Escalator
from integrator.domain.owner import Owner
from integrator.domain.ownership import resolve_owner
from integrator.domain.traces import extract_locations

MAX_LOCATIONS = 200


@dataclass(frozen=True)
class Preview:
    locations: tuple[str, ...]  # in the order they are tried: stack-trace frames first, then those given
    owner: Owner | None
    rule: str | None  # the deciding registry line as written, `pattern owner...`


def preview_owner(escalator: Escalator, *, locations: Sequence[str], stack_trace: str) -> Preview:
    """The owner `escalator` would resolve for a report with these locations and this trace."""
    found = extract_locations(stack_trace, escalator.source_roots)
    given = [location.strip() for location in locations if location.strip()]
    tried = tuple(dict.fromkeys([*found, *given]))[:MAX_LOCATIONS]
    owner = resolve_owner(tried, escalator.registry, escalator.catalog)
    rule = None
    if owner is not None and owner.line is not None:
        match = next((r for r in escalator.registry.rules if r.line == owner.line), None)
        rule = " ".join([match.pattern, *match.owners]) if match else owner.pattern
    return Preview(locations=tried, owner=owner, rule=rule)


def preview_dict(preview: Preview) -> dict[str, Any]:
    owner = preview.owner
    return {
        "locations": list(preview.locations),
        "owner": None
        if owner is None
        else {
            "team": owner.team.handle,
            "service": owner.team.service,
            "engineer": owner.engineer,
            "location": owner.location,
            "line": owner.line,
            "pattern": owner.pattern,
            "rule": preview.rule,
            "explanation": owner.explain(),
        },
        "message": _message(preview),
    }


def _message(preview: Preview) -> str:
    if preview.owner is not None:
        return f"Would page {preview.owner.engineer} ({preview.owner.team.handle})"
    if not preview.locations:
        return "Paste a stack trace or enter a location to see who would be paged."
    return "No registry line and no default owner covers these locations."
