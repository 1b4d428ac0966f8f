"""Stack traces read: the raised exception and the vendor's own frames, innermost first.

Python, Java (and Kotlin/Scala on the JVM), Go, Node.js and .NET traces are read; several may be
pasted together, each language's frames following the order in which its first frame appears.
The exception is the one the first-pasted trace raised, as printed (Go: the panic's message).

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

Every line is read once by each language's reader, with patterns that cannot backtrack
catastrophically: a 200 kB paste of anything is read in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

_PY_FRAME = re.compile(r'^(?P<prefix>[\s|]*)File "(?P<path>[^"]+)", line \d+(?:, in (?P<function>.+))?')
_PY_TRACEBACK = re.compile(r"^[\s|+-]*(?:Exception Group )?Traceback \(most recent call last\):")
_PY_RUNTIME = re.compile(r"^<.*>$|/(?:site|dist)-packages/|/lib/python\d[\d.]*/|/python\d+/lib/", re.I)
_PY_EXCEPTION = re.compile(r"(?P<type>[A-Za-z_][\w.]*)(?::|\s*$)")

_JVM_FRAME = re.compile(r"^\s*at (?P<where>[^\s(]+)\((?P<source>[^()]*)\)")
_JVM_SOURCE = re.compile(
    r"(?:(?P<file>[\w$-]+\.(?:java|kt|kts|scala|groovy|clj))(?::\d+)?|Unknown Source|Native Method)"
)
_JVM_RUNTIME = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "scala.")
_JVM_EXCEPTION = re.compile(
    r'(?:Exception in thread "[^"]*" )?(?P<type>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+)(?::|\s*$)'
)
_HIDDEN_CLASS = re.compile(r"/0x[0-9a-fA-F]+")

_NODE_FRAME = re.compile(r"^\s*at (?:(?P<function>[^()]*?) \()?(?P<path>[^()]+?):\d+:\d+\)?\s*$")
_NODE_EXCEPTION = re.compile(r"(?:Uncaught )?(?P<type>[A-Z$_][\w$]*(?: \[[A-Z][A-Z0-9_]*\])?)(?::|\s*$)")

_GO_FILE = re.compile(r"^\s+(?P<path>\S+\.(?:go|s)):\d+(?: \+0x[0-9a-fA-F]+)?\s*$")
_GO_ROOT = re.compile(
    r"/(?:usr/local/go|usr/lib/go[^/]*|usr/share/go[^/]*|opt/go|goroot|sdk/go[^/]*|Program Files/Go"
    r"|hostedtoolcache/go/[^/]+/[^/]+|Cellar/go/[^/]+/libexec)/src/",
    re.I,
)
_GO_PANIC = re.compile(r"(?:panic|fatal error): (?P<message>.*)")

# `at Where(args)`, then optionally ` in <path>:line N`; read in two linear steps (see `_dotnet_frame`).
_DOTNET_HEAD = re.compile(r"\s*at (?P<where>[^\s(]+)\(")
_DOTNET_LINE = re.compile(r":[^\s:/\\]+ \d+\s*$")
_DOTNET_INNER_END = "--- End of inner exception stack trace ---"
_DOTNET_RUNTIME = ("System.", "Microsoft.")
_DOTNET_EXCEPTION = re.compile(
    r"(?:Unhandled exception\. )?(?P<type>[A-Za-z_][\w`]*(?:\.[A-Za-z_][\w`+]*)+)"
    r"(?: \(0x[0-9A-Fa-f]+\))?(?::|\s*$)"
)

_DRIVE_OR_SLASHES = re.compile(r"^(?:[A-Za-z]:)?/+")
_DOUBLE_SLASH = re.compile(r"/{2,}")


@dataclass(frozen=True)
class Frame:
    """One of the vendor's own frames: its file (repository-relative) and its function."""

    path: str
    function: str  # as the language prints it, without arguments: `fetch`, `TokenService.refresh`


@dataclass(frozen=True)
class Trace:
    """What a stack trace says: which exception was raised, and where, innermost first."""

    language: str | None  # `python`, `jvm`, `dotnet`, `node` or `go`: of the first-pasted trace
    exception: str | None  # the raised exception's type as printed; Go: the panic's message
    frames: tuple[Frame, ...]  # the vendor's own frames, innermost first (repeats kept)


@dataclass
class _Reading:
    """One language's reading of the lines: where its first frame is, its own frames, its exception."""

    language: str
    first: int  # the line of its first frame, own or not; the number of lines when it has none
    frames: list[Frame] = field(default_factory=list)
    exception: str | None = None


def read_trace(trace: str, source_roots: Sequence[str]) -> Trace:
    """The raised exception and the vendor's own frames, innermost first, paths repository-relative."""
    lines = trace.splitlines()
    readings = [read(lines) for read in _READERS]
    seen = sorted((r for r in readings if r.first < len(lines)), key=lambda r: r.first)
    roots = sorted({_root(r) for r in [*source_roots, "/_/"] if r.strip("/\\")}, key=len, reverse=True)
    frames = tuple(Frame(_relative(f.path, roots), f.function) for r in seen for f in r.frames)
    first = seen[0] if seen else None
    return Trace(first.language if first else None, first.exception if first else None, frames)


def extract_locations(trace: str, source_roots: Sequence[str]) -> list[str]:
    """The repository-relative paths of the trace's vendor frames, innermost first, each once."""
    return list(dict.fromkeys(frame.path for frame in read_trace(trace, source_roots).frames))


@dataclass
class _Traceback:
    frames: list[Frame] = field(default_factory=list)
    framed: bool = False  # has a frame, own or not
    indent: int = 0  # where its frames' `File` starts; its exception line starts further left
    exception: str | None = None


def _python(lines: list[str]) -> _Reading:
    tracebacks = [_Traceback()]
    first = len(lines)
    for number, line in enumerate(lines):
        if _PY_TRACEBACK.match(line):
            tracebacks.append(_Traceback())
        elif frame := _PY_FRAME.match(line):
            first = min(first, number)
            current = tracebacks[-1]
            current.framed, current.indent = True, len(frame["prefix"])
            path = frame["path"].replace("\\", "/")
            if not _PY_RUNTIME.search(path):
                current.frames.append(Frame(path, (frame["function"] or "").strip()))
        elif tracebacks[-1].framed and tracebacks[-1].exception is None:
            start = len(line) - len(line.lstrip(" \t\f\v|"))
            raised = _PY_EXCEPTION.match(line, start) if start < tracebacks[-1].indent else None
            tracebacks[-1].exception = raised["type"] if raised else None
    raised_last = next((t for t in reversed(tracebacks) if t.framed), None)
    frames = [f for t in reversed(tracebacks) for f in reversed(t.frames)]
    return _Reading("python", first, frames, raised_last.exception if raised_last else None)


def _jvm(lines: list[str]) -> _Reading:
    reading = _Reading("jvm", len(lines))
    exception: str | None = None
    for number, line in enumerate(lines):
        frame = _JVM_FRAME.match(line)
        source = _JVM_SOURCE.fullmatch(frame["source"]) if frame else None
        if frame is None or source is None:
            if reading.first == len(lines) and exception is None and (raised := _JVM_EXCEPTION.match(line)):
                exception = raised["type"]
            continue
        reading.first = min(reading.first, number)
        where = _HIDDEN_CLASS.sub("", frame["where"]).rsplit("/", 1)[-1]  # drop module / loader prefix
        if where.startswith(_JVM_RUNTIME):
            continue
        head, _, method = where.rpartition(".")
        package, _, cls = head.rpartition(".")
        file = source["file"] or cls.split("$")[0] + ".java"
        path = f"{package.replace('.', '/')}/{file}" if package else file
        reading.frames.append(Frame(path, f"{cls}.{method}" if cls else method))
    reading.exception = exception
    return reading


def _dotnet(lines: list[str]) -> _Reading:
    blocks: list[list[tuple[str, str | None]]] = [[]]
    reading = _Reading("dotnet", len(lines))
    for number, line in enumerate(lines):
        if line.strip() == _DOTNET_INNER_END:
            blocks.append([])
            continue
        frame = _dotnet_frame(line)
        if frame is None or (frame[2] is None and _JVM_SOURCE.fullmatch(frame[1])):
            if reading.first == len(lines) and reading.exception is None:
                raised = _DOTNET_EXCEPTION.match(line)
                reading.exception = raised["type"] if raised else None
            continue
        reading.first = min(reading.first, number)
        if not frame[0].startswith(_DOTNET_RUNTIME):
            blocks[-1].append((frame[0], frame[2]))
    frames = [frame for block in reversed(blocks) for frame in block]
    pdb = any(path for _, path in frames)  # the vendor ships PDBs: a frame without one is someone else's
    reading.frames = [
        Frame(path or _dotnet_path(where), _dotnet_function(where))
        for where, path in frames
        if path or not pdb
    ]
    return reading


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


def _dotnet_parts(where: str) -> tuple[list[str], int | None]:
    """The dotted parts of a .NET method name, and the first compiler-generated one (`<Get>d__4`)."""
    parts = [p for p in where.split("[", 1)[0].split(".") if p]
    return parts, next((i for i, p in enumerate(parts) if p.startswith("<")), None)


def _dotnet_path(where: str) -> str:
    """`Acme.Billing.Api.InvoicesController.<Get>d__4.MoveNext` → `Acme/Billing/Api/InvoicesController.cs`."""
    parts, generated = _dotnet_parts(where)
    parts = parts[:generated] if generated is not None else parts[:-1]  # drop the method
    if not parts:
        return where
    type_name = parts[-1].split("`", 1)[0].split("+", 1)[0]
    return "/".join([*parts[:-1], type_name + ".cs"])


def _dotnet_function(where: str) -> str:
    """`Acme.Billing.Api.InvoicesController.<Get>d__4.MoveNext` → `InvoicesController.Get`: the method
    the source names, not the state machine or lambda the compiler made of it."""
    parts, generated = _dotnet_parts(where)
    if generated is None:
        owner, method = parts[-2:-1], parts[-1:]
    else:
        named = (p[1 : p.find(">")] for p in parts[generated:] if p.find(">") > 1)
        owner, method = parts[generated - 1 : generated], [next(named, parts[-1])]
    return ".".join([*(p.split("`", 1)[0] for p in owner), *method]) or where


def _node(lines: list[str]) -> _Reading:
    reading = _Reading("node", len(lines))
    for number, line in enumerate(lines):
        frame = _NODE_FRAME.match(line)
        if frame is None:
            if reading.first == len(lines) and reading.exception is None:
                raised = _NODE_EXCEPTION.match(line)
                reading.exception = raised["type"] if raised else None
            continue
        reading.first = min(reading.first, number)
        path = frame["path"].removeprefix("file://").replace("\\", "/")
        if not (path.startswith(("node:", "internal/", "<")) or "/node_modules/" in f"/{path}"):
            reading.frames.append(Frame(path, _node_function(frame["function"])))
    return reading


def _node_function(printed: str | None) -> str:
    """`async PostgresPool.acquire`, `new Pool`, `Socket.emit [as _emit]` → the function's own name."""
    name = (printed or "").split(" [as ", 1)[0].strip()
    for keyword in ("async ", "new "):
        name = name.removeprefix(keyword)
    return name or "<anonymous>"


def _go(lines: list[str]) -> _Reading:
    reading = _Reading("go", len(lines))
    for number, line in enumerate(lines):
        frame = _GO_FILE.match(line)
        if frame is None:
            if reading.first == len(lines) and reading.exception is None:
                panic = _GO_PANIC.match(line)
                reading.exception = panic["message"] if panic else None
            continue
        reading.first = min(reading.first, number)
        path = frame["path"].replace("\\", "/")
        if not _is_go_runtime(path):
            reading.frames.append(Frame(path, _go_function(lines[number - 1] if number else "")))
    return reading


def _go_function(line: str) -> str:
    """`github.com/acme/q/internal/planner.(*Planner).Plan(0x0, {...})` → `planner.(*Planner).Plan`."""
    name = line.strip().removeprefix("created by ").split(" in goroutine ", 1)[0]
    if name.endswith(")"):  # the arguments: hex words, `{...}` and `...`, never a parenthesis
        name = name[: name.rfind("(")]
    return name.rsplit("/", 1)[-1]


def _is_go_runtime(path: str) -> bool:
    if "/pkg/mod/" in path or re.search(r"@v\d", path) or _GO_ROOT.search(path):
        return True
    head, sep, _ = path.partition("/")
    relative = not _DRIVE_OR_SLASHES.match(path)
    return relative and bool(sep) and "." not in head  # a -trimpath standard-library file


_READERS: tuple[Callable[[list[str]], _Reading], ...] = (_python, _jvm, _dotnet, _node, _go)


def _root(root: str) -> str:
    return root.replace("\\", "/").rstrip("/") + "/"


def _relative(path: str, roots: Sequence[str]) -> str:
    path = _DOUBLE_SLASH.sub("/", path.replace("\\", "/"))
    windows = len(path) > 1 and path[1] == ":"
    for root in roots:  # longest first
        if path.startswith(root) or (windows and path.lower().startswith(root.lower())):
            return path[len(root) :]
    return _DRIVE_OR_SLASHES.sub("", path).removeprefix("./")
