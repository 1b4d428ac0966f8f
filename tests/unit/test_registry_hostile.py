"""Hostile registry lines match in linear time, agree with gitignore's own regexes, and are flagged."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern
from typer.testing import CliRunner

from integrator.cli.app import app
from integrator.domain.registry import LineWarning, Registry
from tests.support import REGISTRY, write_config

HOSTILE = "*a*a*a*a*a*a*a*b"


@pytest.mark.parametrize("length", [60, 200_000])
def test_a_line_of_eight_stars_decides_nothing_for_a_run_of_as_and_still_owns_its_files(length: int) -> None:
    registry = Registry.parse(f"*  @acme/platform\n{HOSTILE}  @acme/ingest\n")

    decided = registry.match("a" * length)
    owned = registry.match("src/" + "a" * length + "b")

    assert decided is not None
    assert decided.line == 1
    assert owned is not None
    assert owned.line == 2


def test_many_double_stars_against_a_deep_path_decide_by_the_last_matching_line() -> None:
    registry = Registry.parse("**/a/**/a/**/a/**/a/**/b  @acme/ingest\n")

    assert registry.match("a/" * 50_000 + "c") is None
    assert registry.match("a/" * 4 + "x/b") is not None


def test_a_location_behind_a_hundred_thousand_dot_slashes_is_normalised_in_one_pass() -> None:
    registry = Registry.parse("*  @acme/platform\n/docs/  @acme/docs\n")

    rule = registry.match("./" * 100_000 + "docs/a.md")

    assert rule is not None
    assert rule.owners == ("@acme/docs",)


def test_pathological_lines_are_warned_about_and_still_valid() -> None:
    registry = Registry.parse(
        f"docs/*  @acme/docs\n  {HOSTILE}  @acme/ingest\n**/a/**/b/**/c/**/d/**/e  @acme/query\n"
    )

    assert registry.errors == ()
    assert len(registry.rules) == 3
    assert [(w.line, w.column, w.kind) for w in registry.warnings] == [
        (2, 3, "Slow pattern"),
        (3, 1, "Slow pattern"),
    ]
    assert registry.warnings[0].message.startswith("8 `*` wildcards in one segment")
    assert registry.warnings[1].message.startswith("5 `**` in one pattern")
    assert all(isinstance(w, LineWarning) and w.suggestion for w in registry.warnings)


def test_registry_check_prints_the_warning_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = write_config(tmp_path, registry=REGISTRY + f"{HOSTILE}  @acme/ingest\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INTEGRATOR_REGISTRY", str(settings.registry))
    monkeypatch.setenv("INTEGRATOR_CATALOG", str(settings.catalog))

    result = CliRunner().invoke(app, ["registry", "check"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    line = len(REGISTRY.splitlines()) + 1
    assert f"{settings.registry}:{line}:1: Slow pattern: 8 `*` wildcards in one segment" in result.stdout


_SEGMENTS = ["a", "b", "ab", "*", "**", "a*", "*a", "*a*", "a*b", "?", "a?", "*?*", "***", "a**b", "\\*"]
_SEGMENTS += ["a\\ b", "*a*a*b", "?*b", "*b*"]
_PATH_SEGMENTS = ["a", "b", "ab", "aab", "ba", "abab", "*", "a b", "x", "aaab", "bab"]


def _pattern(rng: random.Random) -> str:
    pattern = "/".join(rng.choice(_SEGMENTS) for _ in range(rng.randint(1, 4)))
    pattern = ("/" if rng.random() < 0.3 else "") + pattern + ("/" if rng.random() < 0.3 else "")
    return pattern if pattern != "/" else "a"


def _gitignore_regex(pattern: str) -> re.Pattern[str]:
    if pattern.endswith("**/") and (len(pattern) == 3 or pattern[-4] == "/"):
        pattern += "*/"  # as the registry reads a trailing `**/` (see its docstring)
    regex, _ = GitIgnoreBasicPattern.pattern_to_regex(pattern)
    return re.compile(regex or "(?!)")


def test_linear_matching_agrees_with_gitignore_regexes_on_random_patterns_and_paths() -> None:
    rng = random.Random(20261129)
    compared = 0
    for _ in range(3000):
        pattern = _pattern(rng)
        registry, expected = Registry.parse(f"{pattern} @acme/a\n"), _gitignore_regex(pattern)
        assert registry.errors == ()
        for _ in range(12):
            path = "/".join(rng.choice(_PATH_SEGMENTS) for _ in range(rng.randint(1, 5)))
            path += "/" if rng.random() < 0.2 else ""
            assert (registry.match(path) is not None) == bool(expected.search(path)), (pattern, path)
            compared += 1
    assert compared == 36_000
