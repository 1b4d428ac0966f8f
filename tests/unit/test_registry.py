"""The ownership registry: GitHub's CODEOWNERS semantics, its errors, and agreement with `codeowners`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from codeowners import CodeOwners

from integrator.domain.catalog import Catalog
from integrator.domain.registry import MAX_BYTES, LineError, Registry, RegistryTooLarge, Rule

CONFIG = Path(__file__).resolve().parents[2] / "config"

# The example file of GitHub's "About code owners", without its last block (which re-assigns
# /apps/github and would hide the line with no owners).
GITHUB_EXAMPLE = """\
# This is a comment.
# Each line is a file pattern followed by one or more owners.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
"""


def owners_of(registry: Registry, location: str) -> tuple[str, tuple[str, ...]] | None:
    rule = registry.match(location)
    return (rule.pattern, rule.owners) if rule else None


@pytest.mark.parametrize(
    ("location", "pattern", "owners"),
    [
        ("README.md", "*", ("@global-owner1", "@global-owner2")),
        ("src/app.js", "*.js", ("@js-owner",)),
        ("cmd/server/main.go", "*.go", ("docs@example.com",)),
        ("notes/todo.txt", "*.txt", ("@octo-org/octocats",)),
        ("build/logs/today.log", "**/logs", ("@octocat",)),  # /build/logs/ matches too; the later line wins
        ("build/output.bin", "*", ("@global-owner1", "@global-owner2")),
        ("docs/getting-started.md", "/docs/", ("@doctocat",)),
        ("docs/build-app/troubleshooting.md", "/docs/", ("@doctocat",)),
        ("guides/docs/intro.md", "*", ("@global-owner1", "@global-owner2")),
        ("web/apps/index.js", "apps/", ("@octocat",)),
        ("apps/main/index.js", "/apps/", ("@octocat",)),
        ("apps/github/index.js", "/apps/github", ()),
        ("scripts/deploy.sh", "/scripts/", ("@doctocat", "@octocat")),
        ("deeply/nested/logs/app.txt", "**/logs", ("@octocat",)),
        ("scripts/logs/run.txt", "**/logs", ("@octocat",)),
        ("Docs/guide.md", "*", ("@global-owner1", "@global-owner2")),  # paths are case-sensitive
    ],
)
def test_github_example_file_decides_by_its_last_matching_line(
    location: str, pattern: str, owners: tuple[str, ...]
) -> None:
    assert owners_of(Registry.parse(GITHUB_EXAMPLE), location) == (pattern, owners)


def test_github_example_file_has_no_errors_and_keeps_lines_as_written() -> None:
    registry = Registry.parse(GITHUB_EXAMPLE)

    assert registry.errors == ()
    assert registry.rules[0] == Rule("*", ("@global-owner1", "@global-owner2"), 3)
    assert registry.rules[-1] == Rule("/apps/github", (), 14)
    assert [r.line for r in registry.rules] == list(range(3, 15))


def test_a_later_owner_of_a_subdirectory_replaces_the_earlier_line() -> None:
    registry = Registry.parse("/apps/ @octocat\n/apps/github @doctocat\n")

    assert owners_of(registry, "apps/github/main.rb") == ("/apps/github", ("@doctocat",))
    assert owners_of(registry, "apps/gitlab/main.rb") == ("/apps/", ("@octocat",))


def test_docs_star_matches_files_directly_inside_docs_only() -> None:
    registry = Registry.parse("* @all\ndocs/* @docs\n")

    assert owners_of(registry, "docs/a.md") == ("docs/*", ("@docs",))
    assert owners_of(registry, "docs/x/a.md") == ("*", ("@all",))
    assert owners_of(registry, "src/docs/a.md") == ("*", ("@all",))  # a middle slash anchors


def test_directory_patterns_cover_everything_beneath_and_a_leading_slash_anchors() -> None:
    registry = Registry.parse("logs/ @anywhere\n/build/ @root\n")

    assert owners_of(registry, "logs/a/b/c.txt") == ("logs/", ("@anywhere",))
    assert owners_of(registry, "src/logs/a.txt") == ("logs/", ("@anywhere",))
    assert owners_of(registry, "build/x/y.o") == ("/build/", ("@root",))
    assert registry.match("src/build/y.o") is None
    assert registry.match("logs") is None  # `logs/` names a directory; the location names none beneath


def test_extension_patterns_match_at_any_depth() -> None:
    registry = Registry.parse("*.js @js\n")

    assert registry.match("app.js") is not None
    assert registry.match("web/src/deep/app.js") is not None
    assert registry.match("web/src/app.jsx") is None


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("a/**/b", ["a/b", "a/x/b", "a/x/y/b/c.txt"], ["b", "x/a/b", "a/xb"]),
        ("a/**", ["a/f", "a/x/y/f"], ["a", "b/a/f"]),
        ("a/**/", ["a/x/f", "a/x/y/f"], ["a/f", "a"]),
        ("**/logs", ["logs", "logs/x", "a/b/logs/x"], ["a/logs.txt"]),
        ("/**/x", ["x", "a/x", "a/b/x/y"], ["a/xy"]),
        ("src/*/main.go", ["src/api/main.go"], ["src/main.go", "src/a/b/main.go"]),
        ("*_test.go", ["pkg/x_test.go", "x_test.go"], ["pkg/x.go"]),
        ("?.py", ["a.py", "pkg/b.py"], ["ab.py"]),
    ],
)
def test_double_stars_and_wildcards_follow_gitignore(
    pattern: str, matches: list[str], misses: list[str]
) -> None:
    registry = Registry.parse(f"{pattern} @owner\n")

    assert [p for p in matches if registry.match(p) is None] == []
    assert [p for p in misses if registry.match(p) is not None] == []


def test_an_escaped_space_is_a_literal_space_in_the_pattern() -> None:
    registry = Registry.parse("/my\\ docs/ @docs\n")

    assert registry.rules == (Rule("/my\\ docs/", ("@docs",), 1),)
    assert registry.match("my docs/guide.md") is not None
    assert registry.match("my/docs/guide.md") is None


def test_a_hash_in_owner_position_starts_a_comment_but_not_inside_a_pattern() -> None:
    registry = Registry.parse("*.js @js # @not-an-owner\nissue#12 @triage\n  # an indented comment\n")

    assert registry.errors == ()
    assert [r.owners for r in registry.rules] == [("@js",), ("@triage",)]
    assert owners_of(registry, "notes/issue#12") == ("issue#12", ("@triage",))


def test_a_matching_line_without_owners_leaves_the_location_unowned() -> None:
    registry = Registry.parse("* @platform\n/vendor/\n")

    assert registry.match("vendor/lib.py") == Rule("/vendor/", (), 2)
    assert registry.match("nothing/here.py") == Rule("*", ("@platform",), 1)
    assert Registry.parse("/vendor/ @x\n").match("src/main.py") is None


def test_the_first_handle_is_the_team_and_the_first_email_the_engineer() -> None:
    rule = Registry.parse("/db/ dba@acme.example @acme/db @acme/ops\n").rules[0]

    assert rule.team == "@acme/db"
    assert rule.email == "dba@acme.example"


@pytest.mark.parametrize(
    "location",
    [
        "services/ingest/pool.py",
        "/services/ingest/pool.py",
        "./services/ingest/pool.py",
        "services\\ingest\\pool.py",
        ".\\services\\ingest\\pool.py",
        "services//ingest///pool.py",
        "//services/ingest/pool.py",
    ],
)
def test_locations_are_normalised_before_matching(location: str) -> None:
    registry = Registry.parse("/services/ingest/ @acme/ingest\n")

    assert owners_of(registry, location) == ("/services/ingest/", ("@acme/ingest",))


def test_location_case_is_kept() -> None:
    assert Registry.parse("/services/ingest/ @acme/ingest\n").match("Services/Ingest/pool.py") is None


def test_a_slash_alone_matches_nothing_and_is_reported() -> None:
    registry = Registry.parse("/ @everyone\n")

    assert registry.match("README.md") is None
    assert registry.rules == ()
    assert registry.errors == (
        LineError(
            1,
            1,
            "Invalid pattern",
            "the pattern `/` matches nothing",
            "The pattern `/` will never match anything, did you mean `*` instead?",
        ),
    )


@pytest.mark.parametrize(
    ("line", "column", "kind"),
    [
        ("!docs/ @docs", 1, "Invalid pattern"),
        ("  src/[ab].js @web", 7, "Invalid pattern"),
        ("src/a].js @web", 6, "Invalid pattern"),
        ("\\#notes @docs", 1, "Invalid pattern"),
        ("docs\\", 5, "Invalid pattern"),
        ("* user", 3, "Invalid owner"),
        ("*   @acme/ingest  @bad_handle!", 19, "Invalid owner"),
        ("* @-leading-hyphen", 3, "Invalid owner"),
        ("* not-an-email@", 3, "Invalid owner"),
    ],
)
def test_invalid_lines_are_reported_with_line_column_and_kind_and_skipped(
    line: str, column: int, kind: str
) -> None:
    registry = Registry.parse(f"* @fallback\n{line}\n")

    assert [(e.line, e.column, e.kind) for e in registry.errors] == [(2, column, kind)]
    assert registry.rules == (Rule("*", ("@fallback",), 1),)
    assert all(e.message for e in registry.errors)


def test_an_owner_without_at_sign_gets_a_suggestion() -> None:
    (error,) = Registry.parse("* acme-platform\n").errors

    assert error.suggestion == "did you mean `@acme-platform`?"


def test_escaped_brackets_are_literal_characters() -> None:
    registry = Registry.parse("notes\\[draft\\].md @docs\n")

    assert registry.errors == ()
    assert registry.match("notes[draft].md") is not None


def test_unknown_owners_are_reported_only_against_known_owners_and_keep_the_line() -> None:
    text = "/services/ingest/ @acme/ingest @acme/Ingest dba@acme.example @someone\n"

    assert Registry.parse(text).errors == ()
    registry = Registry.parse(text, known_owners={"@acme/ingest", "@acme/query"})
    assert [(e.line, e.column, e.kind) for e in registry.errors] == [
        (1, 32, "Unknown owner"),
        (1, 62, "Unknown owner"),
    ]
    assert registry.errors[0].suggestion == "did you mean `@acme/ingest`?"
    assert registry.match("services/ingest/api.py") is not None  # emails are never unknown


def test_a_line_reports_every_problem_it_has() -> None:
    registry = Registry.parse("[docs] docs @acme/docs\n", known_owners=set())

    assert [(e.column, e.kind) for e in registry.errors] == [
        (1, "Invalid pattern"),
        (8, "Invalid owner"),
        (13, "Unknown owner"),
    ]


def test_windows_line_endings_and_a_byte_order_mark_are_accepted() -> None:
    registry = Registry.parse("\ufeff* @all\r\n/docs/ @docs\r\n")

    assert registry.errors == ()
    assert registry.rules == (Rule("*", ("@all",), 1), Rule("/docs/", ("@docs",), 2))


def test_a_registry_of_three_megabytes_or_more_is_refused() -> None:
    just_under = "#" * (MAX_BYTES - 1)
    assert Registry.parse(just_under).rules == ()

    with pytest.raises(RegistryTooLarge, match="3 MB"):
        Registry.parse("#" * MAX_BYTES)
    with pytest.raises(ValueError, match="3 MB"):  # counted in UTF-8 bytes, not characters
        Registry.parse("#" + "é" * (MAX_BYTES // 2))


def test_the_example_registry_is_clean_against_the_example_catalog() -> None:
    catalog = Catalog.load(CONFIG / "services.toml")
    registry = Registry.parse(
        (CONFIG / "CODEOWNERS").read_text(encoding="utf-8"), known_owners=catalog.handles
    )

    assert registry.errors == ()
    teams = {
        location: rule.team if (rule := registry.match(location)) else None
        for location in [
            "ingest-api",
            "/query-engine",
            "auth-service",
            "billing",
            "connectors",
            "web-console",
            "services/ingest/connectors/db/pool.py",
            "api/v2/ingest/batch",
            "api/v2/query/run",
            "services/auth/src/main/java/com/acme/auth/TokenService.java",
            "com/acme/auth/TokenService.java",
            "github.com/acme/query-engine/internal/planner/planner.go",
            "services/billing/src/Acme.Billing/Invoices/InvoiceRepository.cs",
            "connectors/postgres/src/pool.ts",
        ]
    }
    assert teams == {
        "ingest-api": "@acme/ingest",
        "/query-engine": "@acme/query",
        "auth-service": "@acme/identity",
        "billing": "@acme/billing",
        "connectors": "@acme/connectors",
        "web-console": "@acme/web",
        "services/ingest/connectors/db/pool.py": "@acme/ingest",
        "api/v2/ingest/batch": "@acme/ingest",
        "api/v2/query/run": "@acme/query",
        "services/auth/src/main/java/com/acme/auth/TokenService.java": "@acme/identity",
        "com/acme/auth/TokenService.java": "@acme/identity",
        "github.com/acme/query-engine/internal/planner/planner.go": "@acme/query",
        "services/billing/src/Acme.Billing/Invoices/InvoiceRepository.cs": "@acme/billing",
        "connectors/postgres/src/pool.ts": "@acme/connectors",
    }


# Differential test against the PyPI `codeowners` library. Excluded: escaped spaces (`\ `), which
# that library masks as a run of slashes before deciding whether a pattern is anchored, so
# `my\ file.md` is anchored there but matches at any depth on GitHub.
_DIRS = ["src", "lib", "docs", "api", "v2", "ingest", "logs", "test", "a", "b", "build", "apps"]
_DIRS += [f"mod{i}" for i in range(40)]
_FILES = ["main.go", "app.js", "README.md", "pool.py", "Makefile", "x_test.go", "index.ts"]
_GLOBS = ["*", "*.js", "*.go", "*.md", "a*", "?b", "**", "*_test.go", "b?ild", "*.py"]


def _random_segment(rng: random.Random) -> str:
    return rng.choice(rng.choices([_DIRS, _FILES, _GLOBS], weights=[6, 2, 2])[0])


def _random_pattern(rng: random.Random) -> str:
    pattern = "/".join(_random_segment(rng) for _ in range(rng.choice([1, 2, 2, 3, 3])))
    while pattern in ("*", "**"):  # rare in real files, and they would hide every earlier line
        pattern = _random_segment(rng)
    if rng.random() < 0.4:
        pattern = "/" + pattern
    if rng.random() < 0.3:
        pattern += "/"
    return pattern


def _random_path(rng: random.Random, patterns: list[str]) -> str:
    """A random path, or (half the time) one made to fit a pattern of the registry, then extended."""
    if rng.random() < 0.5:
        dirs = [rng.choice(_DIRS) for _ in range(rng.randint(0, 4))]
        return "/".join([*dirs, rng.choice(_FILES + _DIRS)])
    parts: list[str] = []
    for segment in rng.choice(patterns).strip("/").split("/"):
        if segment == "**":
            parts += [rng.choice(_DIRS) for _ in range(rng.randint(0, 2))]
        else:
            parts.append(segment.replace("*", rng.choice(["", "x", "mod1"])).replace("?", rng.choice("bux")))
    parts += [rng.choice(_DIRS + _FILES) for _ in range(rng.randint(0, 2))]
    return "/".join(p for p in parts if p) or "README.md"


def test_matches_agree_with_the_codeowners_library_on_random_registries() -> None:
    rng = random.Random(20261128)
    lines, patterns = [], []
    for _ in range(600):
        owners = rng.sample(["@acme/a", "@acme/b", "@carol", "dev@acme.example"], k=rng.randint(0, 2))
        patterns.append(_random_pattern(rng))
        lines.append(" ".join([patterns[-1], *owners]))
    text = "\n".join(lines) + "\n"
    ours, theirs = Registry.parse(text), CodeOwners(text)
    assert ours.errors == ()

    paths = {_random_path(rng, patterns) for _ in range(4000)}
    disagreements = []
    for path in sorted(paths):
        rule = ours.match(path)
        their_owners, their_line, _, _ = theirs.matching_line(path)
        if (rule.line if rule else None, list(rule.owners) if rule else []) != (
            their_line,
            [owner for _, owner in their_owners],
        ):
            disagreements.append((path, rule, their_line))
    assert len(paths) > 2500
    assert len({r.line for p in paths if (r := ours.match(p))}) > 150  # many lines really decide
    assert disagreements == []
