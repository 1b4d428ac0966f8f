"""gitignore patterns, as GitHub reads them in CODEOWNERS, turned into regexes that run in linear time.

The patterns are read as pathspec's plain "gitignore" pattern reads them (its normalisation and its
regex for each case); only the regexes differ, built so that Python's backtracking engine never
revisits a choice (see `compile_pattern`). `slow_pattern` names the patterns that other tools, with
backtracking matchers, may take seconds per path over.
"""

from __future__ import annotations

import re

MAX_STARS = 3  # `*` runs in one segment, or `**` segments in one pattern, before a line is flagged
_STAR_RUN = re.compile(r"(?<!\\)\*+")  # a run of unescaped `*`
_SKIP = "(?:.+?/)??"  # any leading directories, fewest first


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The pattern as a regex that matches what git's gitignore rules match, in linear time.

    Each glob segment must match one whole path segment, so a group of segments between `**`s can be
    placed at the first place it fits and kept there (atomic groups): a later group or the end of
    the path only gains from an earlier start. Within a segment the same holds for the literal runs
    between `*`s. The engine then never revisits a choice, whatever the pattern (`*a*a*a*a*b`).
    """
    source = pattern
    if source.endswith("**/") and (len(source) == 3 or source[-4] == "/"):
        source += "*/"
    segments, whole = _segments(source)
    if whole is not None:
        return re.compile(whole)
    lead, trail = segments[0] == "**", len(segments) > 1 and segments[-1] == "**"
    groups = _groups(segments[int(lead) : len(segments) - int(trail)])
    ends_in_star = groups[-1][-1] == "*" and not trail
    parts = ["^"]
    for index, group in enumerate(groups):
        first, last = index == 0, index == len(groups) - 1
        skip = "/" + _SKIP if not first else _SKIP if lead else ""
        body = skip + "/".join(_glob(segment) for segment in group)
        if last and ends_in_star:
            parts.append(body + "/?$")  # must end the path: the one group placed by backtracking
        else:
            parts.append(f"(?>{body}(?={'/' if trail or not last else '/|$'}))")
    if trail:
        parts.append("/")
    return re.compile("".join(parts))


def _segments(source: str) -> tuple[list[str], str | None]:
    """pathspec's gitignore normalisation: the segments to match, or the regex of a special case."""
    is_dir = source.endswith("/")
    segments = source.split("/")
    if not segments[0]:
        del segments[0]
    elif len(segments) == 1 or (len(segments) == 2 and not segments[1]):
        segments.insert(0, "**")  # one name, with or without a trailing slash, matches at any depth
    if not segments:
        raise ValueError(f"the pattern {source!r} names nothing")
    if not segments[-1]:
        segments[-1] = "**"
    segments = [s for i, s in enumerate(segments) if not (s == "**" and i and segments[i - 1] == "**")]
    if segments == ["**"]:
        return segments, "/" if is_dir else "."
    if segments == ["**", "*"]:
        return segments, "."
    if segments == ["**", "*", "**"]:
        return segments, "/"
    return segments, None


def _groups(segments: list[str]) -> list[list[str]]:
    """The runs of glob segments between `**`s."""
    groups: list[list[str]] = [[]]
    for segment in segments:
        if segment == "**":
            groups.append([])
        else:
            groups[-1].append(segment)
    return groups


def _glob(segment: str) -> str:
    """One segment's glob as a regex for one whole segment: literal runs between `*`s, leftmost first."""
    if segment == "*":
        return "[^/]+"
    chunks = _chunks(segment)
    if len(chunks) == 1:
        return chunks[0]
    middle = "".join(f"(?>[^/]*?{chunk})" for chunk in chunks[1:-1])
    return f"(?>{chunks[0]}{middle}[^/]*{chunks[-1]}(?=/|$))"


def _chunks(segment: str) -> list[str]:
    """The regexes of the runs between `*`s (escapes undone, `?` one character, runs of `*` as one)."""
    chunks: list[list[str]] = [[]]
    chars = iter(segment)
    for char in chars:
        if char == "\\":
            chunks[-1].append(re.escape(next(chars, "")))
        elif char == "*":
            if chunks[-1] or len(chunks) == 1:
                chunks.append([])
        elif char == "?":
            chunks[-1].append("[^/]")
        else:
            chunks[-1].append(re.escape(char))
    return ["".join(chunk) for chunk in chunks]


def slow_pattern(pattern: str) -> list[tuple[str, str]]:
    """Why a pattern is costly for backtracking matchers (git, GitHub tools, libraries), if it is.

    integrator matches every pattern in linear time, but a segment with many `*` (`*a*a*a*a*b`) or
    a pattern with many `**` takes other tools time that grows with a power of the path's length.
    """
    segments = pattern.strip("/").split("/")
    found: list[tuple[str, str]] = []
    stars = max((len(_STAR_RUN.findall(segment)) for segment in segments if segment != "**"), default=0)
    if stars > MAX_STARS:
        found.append(
            (
                f"{stars} `*` wildcards in one segment: backtracking matchers can take seconds per path",
                "name the files, or split the line into simpler patterns",
            )
        )
    if (double := segments.count("**")) > MAX_STARS:
        found.append(
            (
                f"{double} `**` in one pattern: backtracking matchers can take seconds per path",
                "anchor the pattern, or split the line into simpler patterns",
            )
        )
    return found
