"""The failure fingerprint: a failure's identity from its stack trace and its owner (no I/O).

Two reports of the same failure share a fingerprint even when their traces differ in what
changes from run to run; a different failure gets another one. What counts:

- The raised exception's type, as the language names it: Python `module.Class` (or `Class` for
  builtins), the JVM's fully qualified class, .NET's type, Node's constructor (with its
  `[ERR_CODE]` when it has one); for Go, which panics with a message, the panic's kind: the
  message up to its first value (`[`, `{`, `(`, a quote), so `runtime error: index out of range
  [5] with length 3` is `runtime error: index out of range`.
- The innermost `FRAMES` of the vendor's own frames (as `integrator.domain.traces` reads them) as
  `path:function`. Three: the innermost frame alone names a shared helper (`pool.acquire`) that
  many unrelated failures pass through, its caller says which use of it failed, and one more
  level tells apart two features that share that use; deeper frames are the entry point
  (request handler, job runner, thread pool), which differs between customers hitting the same
  bug. Recursion (the same frame repeated) counts once.
- The owning team's handle: one trace owned by two teams is two failures.

Left out, because they change between runs of one failure: line and column numbers, messages
(but Go's panic kind), memory addresses and other hex, thread and goroutine numbers, the numbers
of compiler-made names (`lambda$run$0`, `$$Lambda$412`), and in paths: numeric segments, hashes,
UUIDs, build numbers (`go-build2837465`), and the temporary directory a file was run from
(`/tmp/tmpa8f3k2x_/` becomes `<tmp>/`).

Without a trace (or with neither an exception nor an own frame in it) there is no fingerprint:
such a report matches another only when a person links them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from integrator.domain.traces import Frame, Trace, read_trace

FRAMES = 3
VERSION = 1  # part of what is hashed: a change of the rules above gives new ids, never false matches
_LONGEST = 300  # a part longer than this is cut: a 200 kB "path" is no more of an identity

_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
_LOOSE_NUMBER = re.compile(r"(?<![A-Za-z0-9])\d+")  # `$0`, `_55_0`, `412`; not the `2` of `v2`, `func1`
_GO_VALUE = re.compile(r"[\[{(\"'`]")
_SPACES = re.compile(r"\s+")

_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# A temporary directory and the (random) folder made in it: `/tmp/tmpa8f3k2x_/`, macOS's
# `/var/folders/xy/1a2b.../T/abc/`, Windows' `C:/Users/pat/AppData/Local/Temp/abc/`.
_TEMP_ROOT = re.compile(
    r"(?:private/)?(?:var/)?tmp/[^/]+/|(?:private/)?var/folders/[^/]+/[^/]+/T/[^/]+/"
    r"|(?:Users/[^/]+/)?AppData/Local/Temp/[^/]+/|Windows/Temp/[^/]+/",
    re.I,
)
_TOKEN = re.compile(r"[^._-]+")  # a path segment's words: `main`, `3f2a9c1b`, `js` of `main.3f2a9c1b.js`
_HEX_WORD = re.compile(r"(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{7,}")
_LONG_NUMBER = re.compile(r"\d{4,}")
_SWITCH = re.compile(r"(?<=[0-9])(?=[A-Za-z])|(?<=[A-Za-z])(?=[0-9])")


@dataclass(frozen=True)
class Fingerprint:
    """A failure's identity: `id` is a digest of the other three, which are kept to be shown."""

    id: str
    exception: str | None
    frames: tuple[str, ...]  # `path:function`, innermost first
    team: str

    def describe(self) -> str:
        """What two reports must share to be one failure, for people:
        "matches on: `ingest.pool.PoolExhausted` at `connectors/db/pool.py:acquire` ← ..."."""
        where = " ← ".join(f"`{frame}`" for frame in self.frames)
        what = " at ".join(part for part in (f"`{self.exception}`" if self.exception else "", where) if part)
        return f"matches on: {what}, owned by {self.team}"


def fingerprint_of(stack_trace: str, *, team: str, source_roots: Sequence[str]) -> Fingerprint | None:
    """The fingerprint of a failure with this trace owned by `team`; None without one to take."""
    trace = read_trace(stack_trace, source_roots)
    exception = _exception(trace)
    frames = _innermost(trace.frames)
    if exception is None and not frames:
        return None
    return make_fingerprint(exception, frames, team)


def make_fingerprint(exception: str | None, frames: Sequence[str], team: str) -> Fingerprint:
    """The fingerprint with these (already normalised) parts: the id is their digest."""
    canonical = json.dumps([VERSION, exception, list(frames), team], ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return Fingerprint(id=digest, exception=exception, frames=tuple(frames), team=team)


def _exception(trace: Trace) -> str | None:
    printed = (trace.exception or "")[: _LONGEST * 4].strip()
    if trace.language == "go":
        printed = _GO_VALUE.split(printed, maxsplit=1)[0]  # `index out of range [5] ...`: values follow
        printed = _HEX.sub("#", printed)
        printed = _SPACES.sub(" ", _LONG_NUMBER.sub("#", _LOOSE_NUMBER.sub("#", printed))).strip(" :,;-")
    else:
        printed = _LOOSE_NUMBER.sub("#", _HEX.sub("#", printed))
    return printed[:_LONGEST] or None


def _innermost(frames: Sequence[Frame]) -> tuple[str, ...]:
    taken: list[str] = []
    for frame in frames:
        path, function = frame.path[: _LONGEST * 4], frame.function[: _LONGEST * 4]  # bounded work
        name = f"{_path(path)}:{_function(function)}"[:_LONGEST]
        if not taken or taken[-1] != name:  # recursion, however deep, counts once
            taken.append(name)
        if len(taken) == FRAMES:
            break
    return tuple(taken)


def _function(name: str) -> str:
    return _LOOSE_NUMBER.sub("#", _HEX.sub("#", name)) or "?"


def _path(path: str) -> str:
    temp = _TEMP_ROOT.match(path)
    segments = [_segment(segment) for segment in path[temp.end() if temp else 0 :].split("/")]
    return "/".join(["<tmp>", *segments] if temp else segments)


def _segment(segment: str) -> str:
    if _UUID.fullmatch(segment):
        return "#"
    return _TOKEN.sub(lambda word: _word(word[0]), segment)


def _word(word: str) -> str:
    """A word of a path segment, or `#` when it is a number, a hash or random."""
    if word.isdigit() or _HEX_WORD.fullmatch(word) or len(_SWITCH.findall(word)) >= 4:
        return "#"
    return _LONG_NUMBER.sub("#", word)
