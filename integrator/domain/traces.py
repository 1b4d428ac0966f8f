"""Stack traces to locations: the vendor's own frames, innermost first, as repository-relative paths.

Python, Java (and Kotlin/Scala on the JVM), Go, Node.js and .NET traces are read; several may be
pasted together, each language's locations following the order in which its first frame appears.

Innermost first means the frame that raised, then its callers, for the exception that was raised;
then the frames of its causes, nearest cause first:

- Python prints innermost last, and a chain cause-first: tracebacks are read last to first,
  each from its last frame up.
- Java prints the thrown exception first and its `Caused by:` chain after it; Node prints
  `[cause]` after the error; Go prints the panicking goroutine first: all read as printed.
- .NET prints the innermost *exception* first, up to `--- End of inner exception stack trace ---`,
  and the outer (raised) exception's frames after: those blocks are read last to first.

Frames of installed libraries and runtimes are not the vendor's: paths in `site-packages`,
`dist-packages`, `node_modules`, the Go module cache, the Python, Go and Node runtimes
(`/usr/lib/python3.x/`, `/usr/local/go/src/`, `node:internal`, `<frozen ...>`), and JVM or
.NET frames in `java.*`, `javax.*`, `jdk.*`, `sun.*`, `com.sun.*`, `kotlin.*`, `scala.*`,
`System.*` and `Microsoft.*`. Go builds with `-trimpath` print standard-library files as relative
paths whose first element has no dot (`net/http/server.go`); those are runtime frames too.

Paths: absolute ones lose the longest matching source root (`/_/`, the root of .NET
deterministic builds, always counts); one under no root loses only its leading `/` or drive, so
unanchored registry patterns can still match it. A JVM frame names no directory, only
`(Pool.java:42)`: its path is derived from the package, `com/acme/ingest/Pool.java`. When no .NET
frame has ` in <file>:line N` (no PDB deployed), paths are derived likewise from namespace and
type, `Acme/Billing/Invoices/InvoiceRepository.cs`; when some frames have one, the vendor ships
PDBs and the frames without one belong to other assemblies (Npgsql, ...), so they are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_PY_FRAME = re.compile(r'^[\s|]*File "(?P<path>[^"]+)", line \d+')
_PY_TRACEBACK = re.compile(r"^[\s|+-]*(?:Exception Group )?Traceback \(most recent call last\):")
_PY_RUNTIME = re.compile(r"^<.*>$|/(?:site|dist)-packages/|/lib/python\d[\d.]*/|/python\d+/lib/", re.I)

_JVM_FRAME = re.compile(r"^\s*at (?P<where>[^\s(]+)\((?P<source>[^()]*)\)")
_JVM_SOURCE = re.compile(
    r"(?:(?P<file>[\w$-]+\.(?:java|kt|kts|scala|groovy|clj))(?::\d+)?|Unknown Source|Native Method)"
)
_JVM_RUNTIME = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "scala.")
_HIDDEN_CLASS = re.compile(r"/0x[0-9a-fA-F]+")

_NODE_FRAME = re.compile(r"^\s*at (?:[^()]*? \()?(?P<path>[^()]+?):\d+:\d+\)?\s*$")

_GO_FILE = re.compile(r"^\s+(?P<path>\S+\.(?:go|s)):\d+(?: \+0x[0-9a-fA-F]+)?\s*$")
_GO_ROOT = re.compile(
    r"/(?:usr/local/go|usr/lib/go[^/]*|usr/share/go[^/]*|opt/go|goroot|sdk/go[^/]*|Program Files/Go"
    r"|hostedtoolcache/go/[^/]+/[^/]+|Cellar/go/[^/]+/libexec)/src/",
    re.I,
)

# `at Where(args)`, then optionally ` in <path>:line N`; read in two linear steps (see `_dotnet_frame`).
_DOTNET_HEAD = re.compile(r"\s*at (?P<where>[^\s(]+)\(")
_DOTNET_LINE = re.compile(r":[^\s:/\\]+ \d+\s*$")
_DOTNET_INNER_END = "--- End of inner exception stack trace ---"
_DOTNET_RUNTIME = ("System.", "Microsoft.")

_DRIVE_OR_SLASHES = re.compile(r"^(?:[A-Za-z]:)?/+")
_DOUBLE_SLASH = re.compile(r"/{2,}")


def extract_locations(trace: str, source_roots: Sequence[str]) -> list[str]:
    """The repository-relative paths of the trace's vendor frames, innermost first, each once."""
    lines = trace.splitlines()
    found = [extract(lines) for extract in (_python, _jvm, _dotnet, _node, _go)]
    roots = sorted({_root(r) for r in [*source_roots, "/_/"] if r.strip("/\\")}, key=len, reverse=True)
    ordered = [path for _, paths in sorted(f for f in found if f[1]) for path in paths]
    return list(dict.fromkeys(_relative(path, roots) for path in ordered))


def _python(lines: list[str]) -> tuple[int, list[str]]:
    tracebacks: list[list[str]] = [[]]
    first = len(lines)
    for number, line in enumerate(lines):
        if _PY_TRACEBACK.match(line):
            tracebacks.append([])
        elif frame := _PY_FRAME.match(line):
            first = min(first, number)
            path = frame["path"].replace("\\", "/")
            if not _PY_RUNTIME.search(path):
                tracebacks[-1].append(path)
    return first, [path for frames in reversed(tracebacks) for path in reversed(frames)]


def _jvm(lines: list[str]) -> tuple[int, list[str]]:
    paths: list[str] = []
    first = len(lines)
    for number, line in enumerate(lines):
        frame = _JVM_FRAME.match(line)
        source = _JVM_SOURCE.fullmatch(frame["source"]) if frame else None
        if frame is None or source is None:
            continue
        first = min(first, number)
        where = _HIDDEN_CLASS.sub("", frame["where"]).rsplit("/", 1)[-1]  # drop module / loader prefix
        if where.startswith(_JVM_RUNTIME):
            continue
        package, _, cls = where.rsplit(".", 1)[0].rpartition(".")
        file = source["file"] or cls.split("$")[0] + ".java"
        paths.append(f"{package.replace('.', '/')}/{file}" if package else file)
    return first, paths


def _dotnet(lines: list[str]) -> tuple[int, list[str]]:
    blocks: list[list[tuple[str, str | None]]] = [[]]
    first = len(lines)
    for number, line in enumerate(lines):
        if line.strip() == _DOTNET_INNER_END:
            blocks.append([])
            continue
        frame = _dotnet_frame(line)
        if frame is None or (frame[2] is None and _JVM_SOURCE.fullmatch(frame[1])):
            continue
        first = min(first, number)
        if not frame[0].startswith(_DOTNET_RUNTIME):
            blocks[-1].append((frame[0], frame[2]))
    frames = [frame for block in reversed(blocks) for frame in block]
    if any(path for _, path in frames):  # the vendor ships PDBs: a frame without one is someone else's
        return first, [path for _, path in frames if path]
    return first, [_dotnet_path(where) for where, _ in frames]


def _dotnet_frame(line: str) -> tuple[str, str, str | None] | None:
    """A .NET frame's method, arguments and (with a PDB) file path; linear in the line's length.

    The arguments end at the first `)` after which the line either ends or goes on with
    ` in <path>:line N` (the `:line N` word may be translated; only its shape is read).
    """
    head = _DOTNET_HEAD.match(line)
    if head is None:
        return None
    suffix = _DOTNET_LINE.search(line, head.end())
    tail = suffix.start() if suffix else -1  # where the path would end
    last = len(line.rstrip()) - 1
    end = line.find(")", head.end())
    while end >= 0:
        if line.startswith(" in ", end + 1) and tail >= end + 6:
            return head["where"], line[head.end() : end], line[end + 5 : tail]
        if end == last:
            return head["where"], line[head.end() : end], None
        end = line.find(")", end + 1)
    return None


def _dotnet_path(where: str) -> str:
    """`Acme.Billing.Api.InvoicesController.<Get>d__4.MoveNext` → `Acme/Billing/Api/InvoicesController.cs`."""
    parts = [p for p in where.split("[", 1)[0].split(".") if p]
    generated = next((i for i, p in enumerate(parts) if p.startswith("<")), None)
    parts = parts[:generated] if generated is not None else parts[:-1]  # drop the method
    if not parts:
        return where
    type_name = parts[-1].split("`", 1)[0].split("+", 1)[0]
    return "/".join([*parts[:-1], type_name + ".cs"])


def _node(lines: list[str]) -> tuple[int, list[str]]:
    paths: list[str] = []
    first = len(lines)
    for number, line in enumerate(lines):
        frame = _NODE_FRAME.match(line)
        if frame is None:
            continue
        first = min(first, number)
        path = frame["path"].removeprefix("file://").replace("\\", "/")
        if not (path.startswith(("node:", "internal/", "<")) or "/node_modules/" in f"/{path}"):
            paths.append(path)
    return first, paths


def _go(lines: list[str]) -> tuple[int, list[str]]:
    paths: list[str] = []
    first = len(lines)
    for number, line in enumerate(lines):
        frame = _GO_FILE.match(line)
        if frame is None:
            continue
        first = min(first, number)
        path = frame["path"].replace("\\", "/")
        if not _is_go_runtime(path):
            paths.append(path)
    return first, paths


def _is_go_runtime(path: str) -> bool:
    if "/pkg/mod/" in path or re.search(r"@v\d", path) or _GO_ROOT.search(path):
        return True
    head, sep, _ = path.partition("/")
    relative = not _DRIVE_OR_SLASHES.match(path)
    return relative and bool(sep) and "." not in head  # a -trimpath standard-library file


def _root(root: str) -> str:
    return root.replace("\\", "/").rstrip("/") + "/"


def _relative(path: str, roots: Sequence[str]) -> str:
    path = _DOUBLE_SLASH.sub("/", path.replace("\\", "/"))
    windows = len(path) > 1 and path[1] == ":"
    for root in roots:  # longest first
        if path.startswith(root) or (windows and path.lower().startswith(root.lower())):
            return path[len(root) :]
    return _DRIVE_OR_SLASHES.sub("", path).removeprefix("./")
