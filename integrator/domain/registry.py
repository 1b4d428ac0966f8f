"""The ownership registry: a CODEOWNERS file parsed, validated and matched with GitHub's semantics.

Patterns are gitignore patterns (read as pathspec's plain "gitignore" pattern reads them, which
agrees with GitHub, and matched in linear time: see `gitignore.py`) less GitHub's three unsupported
features — leading `!`, unescaped `[ ]` and `\\#` — which make a line invalid. Decisions where
GitHub's documentation leaves room:

- A line with any invalid part (pattern or owner) is skipped whole, as GitHub documents ("If any
  line in your CODEOWNERS file contains invalid syntax, that line will be skipped"); each invalid
  part is reported, so `integrator registry check` shows everything wrong with the line at once.
- An *unknown* owner (a well-formed handle missing from `known_owners`) is reported but does not
  skip the line: the handle names nobody we can page, yet the line's pattern still decides.
- `/` alone is reported as an invalid pattern, with GitHub's own suggestion; it matches nothing.
- A trailing `**/` (as in `a/**/`) covers the directories inside `a`, not `a`'s own files, as in
  git; pathspec folds it into `a/**`, so it is rewritten to `a/**/*/` before translation.

Lookups use an index rather than trying every rule from the end: rules are filed under the literal
leading directories of an anchored pattern, the literal name or the extension of the first segment
of an unanchored one, or (few) under "unindexed". A location gathers the candidates its own
segments select, and the highest line whose regex really matches wins.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

from integrator.domain.gitignore import compile_pattern, slow_pattern

MAX_BYTES = 3 * 1024 * 1024  # GitHub does not load a CODEOWNERS file of this size or more

ErrorKind = Literal["Invalid pattern", "Invalid owner", "Unknown owner"]
WarningKind = Literal["Slow pattern"]

_USER = re.compile(r"@[A-Za-z0-9][A-Za-z0-9-]{0,38}")
_TEAM = re.compile(r"@[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9][\w.-]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_BARE_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][\w.-]*)?")
_TOKEN = re.compile(r"\S+")
_SLASHES = re.compile(r"/{2,}")
_LEADING = re.compile(r"^(?:\./|/)+")  # every leading `./` and `/`, removed in one pass
_WILDCARDS = frozenset("*?[")


class RegistryTooLarge(ValueError):
    """The registry text is 3 MB or more; GitHub refuses such a file, and so do we."""


@dataclass(frozen=True)
class Rule:
    """One valid registry line: its pattern and owners as written, and its 1-based line number."""

    pattern: str
    owners: tuple[str, ...]
    line: int

    @property
    def team(self) -> str | None:
        """The first `@handle` of the line: the team whose Jira project and PagerDuty service apply."""
        return next((o for o in self.owners if o.startswith("@")), None)

    @property
    def email(self) -> str | None:
        """The first email owner of the line: the person to page instead of the team's senior engineer."""
        return next((o for o in self.owners if not o.startswith("@")), None)


@dataclass(frozen=True)
class LineError:
    """A problem on one line, reported the way GitHub's CODEOWNERS errors API reports it."""

    line: int
    column: int
    kind: ErrorKind
    message: str
    suggestion: str | None = None


@dataclass(frozen=True)
class LineWarning:
    """A valid line that deserves a look; it still matches as written, and `registry check` prints it."""

    line: int
    column: int
    kind: WarningKind
    message: str
    suggestion: str | None = None


def normalise(location: str) -> str:
    """`\\` → `/`, repeated `/` collapsed, leading `./` and `/` removed; case is kept."""
    path = location.replace("\\", "/") if "\\" in location else location
    if "//" in path:
        path = _SLASHES.sub("/", path)
    if path.startswith(("./", "/")):
        path = _LEADING.sub("", path, count=1)
    return path


class Registry:
    """The valid rules of a registry (in file order), the errors of its invalid lines, and lookups."""

    def __init__(
        self,
        rules: Sequence[tuple[Rule, re.Pattern[str]]],
        errors: Sequence[LineError],
        warnings: Sequence[LineWarning] = (),
    ) -> None:
        self.rules: tuple[Rule, ...] = tuple(rule for rule, _ in rules)
        self.errors: tuple[LineError, ...] = tuple(errors)
        self.warnings: tuple[LineWarning, ...] = tuple(warnings)
        self._search: list[Callable[[str], re.Match[str] | None]] = [regex.search for _, regex in rules]
        self._index = _Index([rule.pattern for rule in self.rules])

    @property
    def findings(self) -> tuple[LineError | LineWarning, ...]:
        """Errors and warnings together in line order: what `integrator registry check` prints."""
        return tuple(sorted((*self.errors, *self.warnings), key=lambda found: (found.line, found.column)))

    @classmethod
    def parse(cls, text: str, known_owners: Collection[str] | None = None) -> Registry:
        """Parse a CODEOWNERS text; `known_owners` (the catalog's handles) enables "Unknown owner"."""
        _refuse_large(text)
        known = frozenset(known_owners) if known_owners is not None else None
        rules: list[tuple[Rule, re.Pattern[str]]] = []
        errors: list[LineError] = []
        warnings: list[LineWarning] = []
        for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
            parsed, line_errors = _parse_line(raw.removesuffix("\r"), number, known)
            errors += line_errors
            if parsed is not None:
                rules.append(parsed)
                column = len(raw) - len(raw.lstrip()) + 1
                slow = slow_pattern(parsed[0].pattern)
                warnings += [LineWarning(number, column, "Slow pattern", *why) for why in slow]
        return cls(rules, errors, warnings)

    def match(self, location: str) -> Rule | None:
        """The rule that decides `location`: the last matching line, or None when no line matches."""
        path = normalise(location)
        if not path:
            return None
        search = self._search
        for number in self._index.candidates(path.split("/")):
            if search[number](path) is not None:
                return self.rules[number]
        return None


def _refuse_large(text: str) -> None:
    size = len(text)
    if size * 4 >= MAX_BYTES and size < MAX_BYTES:  # only then can the encoded size be in doubt
        size = len(text.encode("utf-8", errors="surrogatepass"))
    if size >= MAX_BYTES:
        raise RegistryTooLarge(
            f"the registry is {size:,} bytes or more;"
            f" CODEOWNERS files must be under 3 MB ({MAX_BYTES:,} bytes)"
        )


def _parse_line(
    raw: str, number: int, known: frozenset[str] | None
) -> tuple[tuple[Rule, re.Pattern[str]] | None, list[LineError]]:
    start = len(raw) - len(raw.lstrip())
    if start == len(raw) or raw[start] == "#":
        return None, []
    end = _pattern_end(raw, start)
    pattern = raw[start:end]
    errors: list[LineError] = []
    problem = _pattern_problem(pattern)
    if problem is not None:
        offset, message, suggestion = problem
        errors.append(LineError(number, start + offset + 1, "Invalid pattern", message, suggestion))
    owners: list[str] = []
    for token in _TOKEN.finditer(raw, end):
        owner = token.group()
        if owner.startswith("#"):  # in owner position, `#` starts a comment
            break
        owners.append(owner)
        owner_problem = _owner_problem(owner, known)
        if owner_problem is not None:
            errors.append(LineError(number, token.start() + 1, *owner_problem))
    if any(e.kind != "Unknown owner" for e in errors):
        return None, errors
    try:
        regex = compile_pattern(pattern)
    except ValueError as exc:  # a pattern that normalises to nothing, which our checks let through
        return None, [*errors, LineError(number, start + 1, "Invalid pattern", str(exc))]
    return (Rule(pattern, tuple(owners), number), regex), errors


def _pattern_end(raw: str, start: int) -> int:
    """Where the pattern ends: at the first whitespace not escaped by `\\`."""
    i = start
    while i < len(raw) and not raw[i].isspace():
        i += 2 if raw[i] == "\\" and i + 1 < len(raw) else 1
    return i


def _pattern_problem(pattern: str) -> tuple[int, str, str | None] | None:
    """The offset, message and suggestion of the first unsupported feature of a pattern, if any."""
    if pattern == "/":
        return (
            0,
            "the pattern `/` matches nothing",
            "The pattern `/` will never match anything, did you mean `*` instead?",
        )
    if pattern.startswith("!"):
        return (
            0,
            "negating a pattern with `!` is not supported in CODEOWNERS",
            "give the excluded paths their own line, with other owners or none",
        )
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 == len(pattern):
                return i, "a pattern cannot end with an unescaped `\\`", None
            if pattern[i + 1] == "#":
                return i, "escaping `#` with `\\` is not supported in CODEOWNERS", None
            i += 2
            continue
        if char in "[]":
            return (
                i,
                "character ranges with `[ ]` are not supported in CODEOWNERS",
                ("write one line per name, or use `?` for a single character"),
            )
        i += 1
    return None


def _owner_problem(owner: str, known: frozenset[str] | None) -> tuple[ErrorKind, str, str | None] | None:
    if owner.startswith("@"):
        if not (_USER.fullmatch(owner) or _TEAM.fullmatch(owner)):
            return "Invalid owner", f"`{owner}` is not a valid @user or @org/team handle", None
        if known is not None and owner not in known:
            close = difflib.get_close_matches(owner.lower(), sorted(known), n=1)
            advice = f"did you mean `{close[0]}`?" if close else "add it to the catalog (services.toml)"
            return "Unknown owner", f"`{owner}` is not an owner handle of the catalog", advice
        return None
    if _EMAIL.fullmatch(owner):
        return None
    hint = f"did you mean `@{owner}`?" if _BARE_HANDLE.fullmatch(owner) else None
    return "Invalid owner", f"`{owner}` is not an @user, @org/team or email address", hint


@dataclass
class _Node:
    rules: list[int] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)


class _Index:
    """Rule numbers filed by what a matching location must contain (see the module docstring)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.root = _Node()
        self.names: dict[str, list[int]] = {}
        self.extensions: dict[str, list[int]] = {}
        self.unindexed: list[int] = []
        unanchored: dict[int, list[tuple[str, str]]] = {}
        for number, pattern in enumerate(patterns):
            body = pattern.removesuffix("/")
            segments = body.removeprefix("/").split("/")
            if "/" in body and segments[0] != "**":  # anchored at the root
                self._add_anchored(number, segments)
            else:
                unanchored[number] = _required_segments(segments)
        frequency = Counter(key for keys in unanchored.values() for key in set(keys))
        for number, keys in unanchored.items():
            if not keys:
                self.unindexed.append(number)
                continue
            kind, text = min(keys, key=lambda key: (frequency[key], key[0] != "name"))  # the rarest
            (self.names if kind == "name" else self.extensions).setdefault(text, []).append(number)

    def _add_anchored(self, number: int, segments: list[str]) -> None:
        node = self.root
        for segment in segments:
            literal = _literal(segment)
            if literal is None:
                break
            node = node.children.setdefault(literal, _Node())
        (self.unindexed if node is self.root else node.rules).append(number)

    def candidates(self, segments: list[str]) -> list[int]:
        """Numbers of the rules that may match, highest (latest line) first."""
        found = list(self.unindexed)
        children = self.root.children
        for segment in segments:
            node = children.get(segment)
            if node is None:
                break
            found += node.rules
            children = node.children
        names, extensions = self.names, self.extensions
        for segment in set(segments):
            if segment in names:
                found += names[segment]
            dot = segment.rfind(".")
            if dot >= 0 and (hit := extensions.get(segment[dot + 1 :])) is not None:
                found += hit
        found.sort(reverse=True)
        return found


def _required_segments(segments: list[str]) -> list[tuple[str, str]]:
    """For a pattern matching at any depth: the ("name", text) or ("ext", text) a path segment must fit."""
    keys: list[tuple[str, str]] = []
    for segment in segments:
        if (name := _literal(segment)) is not None:
            keys.append(("name", name))
        elif (extension := _extension(segment)) is not None:
            keys.append(("ext", extension))
    return keys


def _literal(segment: str) -> str | None:
    """The segment's text with escapes removed, or None when it holds a wildcard."""
    if "\\" not in segment:
        return None if _WILDCARDS.intersection(segment) else segment
    out: list[str] = []
    chars = iter(segment)
    for char in chars:
        if char == "\\":
            out.append(next(chars, ""))
        elif char in _WILDCARDS:
            return None
        else:
            out.append(char)
    return "".join(out)


def _extension(segment: str) -> str | None:
    """The literal text after a glob segment's last `.` (`js` for `*.js`): a matching name ends with it."""
    dot = segment.rfind(".")
    tail = segment[dot + 1 :]
    if dot < 0 or not tail or "\\" in tail or _WILDCARDS.intersection(tail):
        return None
    return tail
