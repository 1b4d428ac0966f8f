"""Registry lookups against the PyPI `codeowners` library: same answers, and how many times faster.

Run: `python -m tests.bench.bench_registry` (or `python tests/bench/bench_registry.py`). It builds a
realistic 5,000-rule registry of a large monorepo and ~20,000 distinct locations, checks that every
location gets the same deciding line and owners from both, then times one pass of each over all
locations. Every path is looked up once per pass and nothing is cached, so the figures are uncached.
Exits 1 if any answer differs or integrator is less than 20x faster.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `integrator` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from codeowners import CodeOwners

from integrator.domain.registry import Registry

RULES = 5_000
PATHS = 20_000
REQUIRED_SPEEDUP = 20.0

_WORDS = [
    "ingest",
    "query",
    "auth",
    "billing",
    "connector",
    "console",
    "report",
    "alert",
    "metric",
    "search",
    "export",
    "audit",
]
_KINDS = ["api", "worker", "engine", "service", "gateway", "sync", "store", "scheduler"]
_MODULES = [
    "api",
    "core",
    "db",
    "cache",
    "handlers",
    "models",
    "jobs",
    "client",
    "server",
    "internal",
    "util",
    "config",
    "migrations",
]
_SUBS = ["v1", "v2", "pool", "retry", "auth", "schema", "http", "grpc", "events", "queue", "storage"]
_FILES = [
    "main.go",
    "app.py",
    "pool.py",
    "handler.ts",
    "index.js",
    "Service.java",
    "Repository.cs",
    "schema.sql",
    "README.md",
]


def _services() -> list[str]:
    return [f"{word}-{kind}" for word in _WORDS for kind in _KINDS]  # 96 microservices


def build_registry(rng: random.Random) -> str:
    lines = [
        "# Acme monorepo ownership (generated for the benchmark)",
        "*                        @acme/platform",
        "*.tf                     @acme/infra",
        "*.proto                  @acme/api-design",
        "*.sql                    dba@acme.example",
        "Dockerfile               @acme/platform",
        "**/migrations/           @acme/data",
        "/docs/                   @acme/docs",
        "docs/*.md                @acme/docs",
        "/.github/                @acme/platform",
    ]
    services = _services()
    while len(lines) < RULES + 1:  # one comment line
        service = rng.choice(services)
        team = f"@acme/{service}"
        email = f" {service.split('-')[0]}-oncall@acme.example" if rng.random() < 0.1 else ""
        module, sub = rng.choice(_MODULES), rng.choice(_SUBS)
        lines.append(
            rng.choice(
                [
                    f"/services/{service}/ {team}",
                    f"/services/{service}/{module}/ {team}{email}",
                    f"/services/{service}/{module}/{sub}/ {team}{email}",
                    f"/services/{service}/{module}/*.py {team}",
                    f"/services/{service}/{module}/{sub}/**/*.go {team}",
                    f"/services/{service}/{module}/{rng.choice(_FILES)} {team}{email}",
                    f"/api/v{rng.randint(1, 3)}/{service}/ {team}",
                    f"/api/v{rng.randint(1, 3)}/{service}/{sub}/ {team}{email}",
                    f"/{service} {team}",
                    f"**/com/acme/{service.replace('-', '')}/{module}/ {team}",
                    f"/libs/{module}-{sub}/ {team}",
                    f"/services/{service}/{module}/{sub}/generated/",
                ]
            )
        )
    return "\n".join(lines) + "\n"


def build_paths(rng: random.Random) -> list[str]:
    services = _services()
    paths: set[str] = set()
    while len(paths) < PATHS:
        service, module, sub = rng.choice(services), rng.choice(_MODULES), rng.choice(_SUBS)
        depth = [rng.choice([*_SUBS, "generated", "x"]) for _ in range(rng.randint(0, 2))]
        file = rng.choice(_FILES)
        package = f"com/acme/{service.replace('-', '')}/{module}"
        paths.add(
            rng.choice(
                [
                    "/".join(["services", service, module, sub, *depth, file]),
                    "/".join(["services", service, module, *depth, file]),
                    "/".join(["services", service, module, sub, *depth, f"{rng.randint(0, 999)}_{file}"]),
                    f"api/v{rng.randint(1, 3)}/{service}/{sub}/{rng.randint(0, 99_999)}",
                    f"{package}/{file.split('.')[0]}{rng.randint(0, 99)}.kt",
                    f"libs/{module}-{sub}/{'/'.join(depth)}/{file}",
                    f"tools/{rng.randint(0, 9999)}/{file}",
                    f"docs/{sub}/{rng.randint(0, 9999)}.md",
                    f"{service}",
                ]
            )
        )
    return sorted(paths, key=lambda _: rng.random())


def main() -> int:
    rng = random.Random(20261128)
    text, paths = build_registry(rng), build_paths(rng)

    started = time.perf_counter()
    ours = Registry.parse(text)
    our_parse = time.perf_counter() - started
    started = time.perf_counter()
    theirs = CodeOwners(text)
    their_parse = time.perf_counter() - started

    started = time.perf_counter()
    our_answers = [ours.match(path) for path in paths]
    our_time = time.perf_counter() - started
    started = time.perf_counter()
    their_answers = [theirs.matching_line(path) for path in paths]
    their_time = time.perf_counter() - started

    differ = [
        path
        for path, rule, (owners, line, _, _) in zip(paths, our_answers, their_answers, strict=True)
        if (rule.line if rule else None, list(rule.owners) if rule else []) != (line, [o for _, o in owners])
    ]
    decided_by = {rule.line for rule in our_answers if rule}
    speedup = their_time / our_time

    print(f"registry: {len(ours.rules):,} rules, {len(ours.errors)} errors, {len(text):,} bytes")
    print(f"locations: {len(paths):,} distinct; {len(decided_by):,} different lines decide them")
    print(f"parse:     integrator {our_parse * 1000:8.1f} ms   codeowners {their_parse * 1000:8.1f} ms")
    print(
        f"lookups:   integrator {len(paths) / our_time:12,.0f}/s ({our_time / len(paths) * 1e6:6.1f} µs each)"
        f"   codeowners {len(paths) / their_time:10,.0f}/s ({their_time / len(paths) * 1e6:8.1f} µs each)"
    )
    print(f"speed-up:  {speedup:.1f}x (uncached; required: {REQUIRED_SPEEDUP:.0f}x)")
    print(f"answers:   {len(paths) - len(differ):,} identical, {len(differ)} different")
    for path in differ[:10]:
        print(f"  differs: {path}")
    return 0 if not differ and speedup >= REQUIRED_SPEEDUP else 1


if __name__ == "__main__":
    sys.exit(main())
