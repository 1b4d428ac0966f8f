"""Cuts the vendored API contracts (`tests/contracts/`) out of the official Jira and PagerDuty OpenAPI files.

Only the operations integrator and its test fakes use are kept, with every component they
reference (transitively). The official files' known defects (see `SOURCES.md`) are worked around
the same way as in `shared/specs/derived/`. Each output records its upstream source, version and
the sha256 of the input under `info.x-vendored`; `SOURCES.md` says the same for people.

    python scripts/cut_specs.py                  # from ../shared/specs into tests/contracts
    python scripts/cut_specs.py --check          # exit 1 when tests/contracts is not what it would write
    python scripts/cut_specs.py --from DIR --to DIR
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPOSITORY.parent / "shared" / "specs"
DEFAULT_TARGET = REPOSITORY / "tests" / "contracts"
JIRA_API = "/rest/api/2"
PD_JSON = "application/json"
PD_VND = "application/vnd.pagerduty+json;version=2"

Document = dict[str, Any]


@dataclass(frozen=True)
class Source:
    """One official file, where it comes from, how it is repaired, and what is kept of it."""

    name: str
    upstream: str
    operations: tuple[tuple[str, str], ...]
    fixes: tuple[str, ...]
    repair: Callable[[Document], None]

    @property
    def file(self) -> str:
        return f"{self.name}.json"


# -- repairs of the official files' known defects ---------------------------------------------------


def repair_jira(document: Document) -> None:
    """Examples that are JSON in a string become JSON; the serverInfo example gets `deploymentType`."""
    for node in _nodes(document):
        example = node.get("example")
        if isinstance(example, str) and example[:1] in ("{", "["):
            try:
                node["example"] = json.loads(example)
            except ValueError:
                continue
    info = document["paths"][f"{JIRA_API}/serverInfo"]["get"]["responses"]["200"]["content"][PD_JSON]
    if isinstance(info.get("example"), dict):
        info["example"].setdefault("deploymentType", "Cloud")


def repair_pagerduty(document: Document) -> None:
    """What a strict validator needs to accept the requests the real PagerDuty accepts."""
    components = document["components"]
    for schema in components["schemas"].values():
        for node in _nodes(schema):
            if node.get("readOnly") is True:
                del node["readOnly"]
    content_type = components["parameters"].get("header_Content-Type")
    if content_type is not None:
        content_type["required"] = False
    for item in document["paths"].values():
        for response in (r for operation in _operations(item) for r in _responses(operation)):
            content = response.get("content") or {}
            if PD_JSON in content and PD_VND not in content:
                content[PD_VND] = copy.deepcopy(content[PD_JSON])
    for name, response in components.get("responses", {}).items():
        content = response.get("content") or {}
        if PD_JSON in content and PD_VND not in content:
            own = f"#/components/responses/{name}/content/application~1json/schema"
            content[PD_VND] = {"schema": {"$ref": own}}
    body = components["schemas"]["IncidentBody"]
    details = body["properties"]["details"]
    body["properties"]["details"] = {
        "oneOf": [{"type": "string"}, {"type": "object"}],
        **{key: value for key, value in details.items() if key != "type"},
    }
    body["properties"].setdefault("type", {"type": "string", "enum": ["incident_body"]})


SOURCES = (
    Source(
        name="jira-platform-v2",
        upstream="Atlassian's Jira Cloud platform REST API v2 (OpenAPI 3.0.1), as copied in "
        "shitchell/jira-cloud-rest-api v2/openapi.json @ 10c4f760",
        operations=tuple(
            (method, JIRA_API + path)
            for method, path in (
                ("get", "/serverInfo"),
                ("get", "/myself"),
                ("get", "/field"),
                ("get", "/priority"),
                ("get", "/issuetype"),
                ("get", "/project"),
                ("get", "/project/{projectIdOrKey}"),
                ("post", "/issue"),
                ("get", "/issue/{issueIdOrKey}"),
                ("put", "/issue/{issueIdOrKey}"),  # a linked deal's label
                ("get", "/issue/{issueIdOrKey}/comment"),
                ("post", "/issue/{issueIdOrKey}/comment"),
                ("get", "/issue/{issueIdOrKey}/remotelink"),
                ("post", "/issue/{issueIdOrKey}/remotelink"),
                ("get", "/issue/{issueIdOrKey}/transitions"),
                ("post", "/issue/{issueIdOrKey}/transitions"),
                ("get", "/search/jql"),
                ("get", "/search"),
                ("post", "/search"),
                ("get", "/issue/createmeta/{projectIdOrKey}/issuetypes"),
                ("get", "/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}"),
                ("get", "/status"),
                ("get", "/workflowscheme/project"),
                ("get", "/workflow/search"),
            )
        ),
        fixes=(
            "response examples that are JSON encoded as strings are parsed",
            "the serverInfo example gets `deploymentType: Cloud`",
        ),
        repair=repair_jira,
    ),
    Source(
        name="pagerduty-rest",
        upstream="PagerDuty REST API v2 (OpenAPI 3.0.2), PagerDuty/api-schema "
        "reference/REST/openapiv3.json @ 2326e6b9",
        operations=(
            ("get", "/users"),
            ("get", "/priorities"),
            ("get", "/incidents"),
            ("post", "/incidents"),
            ("put", "/incidents"),
            ("get", "/incidents/{id}"),
            ("put", "/incidents/{id}"),
            ("get", "/incidents/{id}/notes"),
            ("post", "/incidents/{id}/notes"),
            ("get", "/services/{id}"),
            ("get", "/escalation_policies/{id}"),
        ),
        fixes=(
            "`readOnly` is removed from the component schemas (reference objects mark `id`/`type` "
            "read-only, so a strict validator rejects every real request)",
            "the `Content-Type` header parameter is optional (it is declared required, even on GET)",
            f"every `{PD_JSON}` response is also declared as `{PD_VND}`, which clients ask for",
            "`IncidentBody.details` is a string or an object (the API takes a string); "
            "`IncidentBody.type` is declared (`incident_body`)",
        ),
        repair=repair_pagerduty,
    ),
)


# -- the cut ---------------------------------------------------------------------------------------


def cut(document: Document, source: Source, *, sha256: str) -> Document:
    """`document` (repaired) reduced to `source.operations` and what they reference."""
    paths: dict[str, Any] = {}
    for method, path in source.operations:
        item = document["paths"][path]
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k not in _METHODS})
        kept[method] = item[method]
    result: Document = {
        "openapi": document["openapi"],
        "info": {
            **{k: v for k, v in document["info"].items() if k in ("title", "version")},
            "x-vendored": {
                "upstream": source.upstream,
                "version": document["info"]["version"],
                "input": source.file,
                "input_sha256": sha256,
                "fixes": list(source.fixes),
                "script": "scripts/cut_specs.py",
            },
        },
        "servers": document["servers"],
        "paths": paths,
    }
    security = document.get("security")
    if security is not None:
        result["security"] = security
    result["components"] = _referenced(document, result)
    return result


def _referenced(document: Document, kept: Document) -> Document:
    """The components `kept` references, transitively, plus the security schemes it names."""
    components = document.get("components", {})
    chosen: dict[str, dict[str, Any]] = {}
    pending = list(_refs(kept))
    while pending:
        ref = pending.pop()
        section, name = ref.removeprefix("#/components/").split("/")[:2]  # a whole component
        if name in chosen.get(section, {}):
            continue
        target = components[section][name]
        chosen.setdefault(section, {})[name] = target
        pending += _refs(target)
    schemes = {name for requirement in _security(kept) for name in requirement}
    if schemes:
        chosen["securitySchemes"] = {name: components["securitySchemes"][name] for name in sorted(schemes)}
    return {section: dict(sorted(chosen[section].items())) for section in sorted(chosen)}


def _security(kept: Document) -> Iterator[dict[str, Any]]:
    yield from kept.get("security") or []
    for item in kept["paths"].values():
        for operation in _operations(item):
            yield from operation.get("security") or []


def _refs(node: Any) -> list[str]:
    return [n["$ref"] for n in _nodes(node) if isinstance(n.get("$ref"), str)]


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operations(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [item[method] for method in _METHODS if isinstance(item.get(method), dict)]


def _responses(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in (operation.get("responses") or {}).values() if isinstance(r, dict)]


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in `node`, depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


# -- files -----------------------------------------------------------------------------------------


def render(source: Source, folder: Path) -> str:
    """The vendored text of `source`, from the official file in `folder`."""
    raw = (folder / source.file).read_bytes()
    document = json.loads(raw)
    source.repair(document)
    vendored = cut(document, source, sha256=hashlib.sha256(raw).hexdigest())
    return json.dumps(vendored, indent=1, ensure_ascii=False) + "\n"


def sources_note(outputs: dict[str, str]) -> str:
    """`SOURCES.md`: where each vendored file comes from, and how it was changed."""
    lines = [
        "# Vendored API contracts",
        "",
        "Cut by `scripts/cut_specs.py` from the official OpenAPI files (kept outside the project in",
        "`../shared/specs/`): only the operations integrator and its test fakes use, and the components",
        "they reference. Do not edit by hand: change the script's operation list and run it again;",
        "`tests/integration/test_contracts.py` checks that these files are what it writes.",
        "",
    ]
    for source in SOURCES:
        info = json.loads(outputs[source.file])["info"]["x-vendored"]
        lines += [
            f"## `{source.file}`",
            "",
            f"- upstream: {source.upstream}",
            f"- version: `{info['version']}`",
            f"- input sha256: `{info['input_sha256']}`",
            f"- operations: {', '.join(f'`{m.upper()} {p}`' for m, p in source.operations)}",
            *(f"- fixed: {fix}" for fix in source.fixes),
            "",
        ]
    return "\n".join(lines)


def outputs(folder: Path) -> dict[str, str]:
    """Every file the script writes (name → text), from the official files in `folder`."""
    written = {source.file: render(source, folder) for source in SOURCES}
    written["SOURCES.md"] = sources_note(written)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--to", dest="target", type=Path, default=DEFAULT_TARGET)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for name, text in outputs(args.source).items():
        path = args.target / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"{path} ({len(text.encode()):,} bytes)")
    if stale:
        print(f"not what {Path(__file__).name} writes: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
