"""A threaded loopback HTTP(S) server that fakes a vendor API: routes, recording, faults and contract checks.

Every request is recorded, checked against the vendor's official OpenAPI contract (violations are
collected in `violations`, never raised in the server thread), put through the armed faults, and
only then answered by the subclass's route. Successful answers are checked too, so a fake
that drifts from the contract is caught. Routes run one at a time under the server's lock, so a
fake's state needs no locking of its own; `Delay` waits outside it.
"""

from __future__ import annotations

import re
import ssl
import tempfile
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

import trustme

from tests.fakes import spec
from tests.fakes.faults import Delay, Drop, Faults, Status
from tests.fakes.records import Recorded, Reply, Violation
from tests.fakes.transport import LoopbackServer, drop, read, send

Handler = Callable[[Recorded, re.Match[str]], Reply]
_CHECKED = range(200, 204)  # successes with a body (Jira's document gives its 204s a JSON body)


@dataclass(frozen=True)
class Route:
    """`handler` answers `method` on paths that fully match `pattern`.

    `in_spec=False` marks an endpoint the official contract does not describe (nothing is checked);
    `check_answer=False` skips checking the answer where the contract itself is wrong.
    """

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    in_spec: bool = True
    check_answer: bool = True


def route(
    method: str, pattern: str, handler: Handler, *, in_spec: bool = True, check_answer: bool = True
) -> Route:
    return Route(method, re.compile(pattern), handler, in_spec, check_answer)


class FakeServer:
    """Base of the fakes: start/stop (or `with`), `url`, `requests`, `violations`, `faults`, `ca_file`."""

    spec_name: ClassVar[str]

    def __init__(self, *, tls: bool = False, validate: bool = True) -> None:
        self.faults = Faults()
        self.violations: list[Violation] = []
        self._requests: list[Recorded] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._contract = spec.contract(self.spec_name) if validate else None
        self.validated = self._contract is not None
        self._tls = tls
        self._ca: trustme.CA | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca_file: Path | None = None
        self._httpd: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: Sequence[Route] = ()

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        self._stopping.clear()
        context = self._server_tls() if self._tls else None
        self._httpd = LoopbackServer(self._serve, context, self._crashed)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering, cut open connections and waiting delays, and wait for every thread."""
        self._stopping.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.cut_connections()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = self.ca_file = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, e.g. `https://127.0.0.1:54321` (no trailing slash)."""
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self._tls else 'http'}://{host!s}:{port}"

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate authority (for httpx's `verify=`)."""
        assert self.ca_file is not None, "the server was started without TLS"
        return ssl.create_default_context(cafile=str(self.ca_file))

    # -- what the test reads -----------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str, path_regex: str) -> list[Recorded]:
        """Requests with `method` (`"*"` for any) whose whole path matches `path_regex`."""
        pattern = re.compile(path_regex)
        wanted = method.upper()
        return [r for r in self.requests if wanted in ("*", r.method) and pattern.fullmatch(r.path)]

    def take_violations(self) -> list[Violation]:
        """The violations so far, forgotten by the server (for a test that provokes one on purpose)."""
        with self._lock:
            taken, self.violations[:] = list(self.violations), []
        return taken

    def violation_report(self) -> str:
        """The violations so far as one readable text; empty when there are none."""
        with self._lock:
            found = list(self.violations)
        if not found:
            return ""
        listing = "\n".join(f"  - {violation}" for violation in found)
        return f"{type(self).__name__} saw {len(found)} contract violation(s):\n{listing}"

    def assert_no_violations(self) -> None:
        if report := self.violation_report():
            raise AssertionError(report)

    # -- what subclasses provide -------------------------------------------------------------------

    def _authenticate(self, request: Recorded) -> Reply | None:
        """An error answer when `request` is not authenticated; None lets it through."""
        return None

    def _not_found(self, request: Recorded) -> Reply:
        return Reply(404)

    def _refused(self, error: Exception) -> Reply | None:
        """The vendor's answer to an exception a route raised on purpose; None: a bug in the fake."""
        return None

    # -- serving -----------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        request = read(handler)
        with self._lock:
            self._requests.append(request)
        found = self._route(request)
        self._check_request(request, found)
        fault = self.faults.take(request.method, request.path)
        if isinstance(fault, Delay):
            if self._stopping.wait(fault.seconds):
                return drop(handler)
            fault = None
        if isinstance(fault, Status):
            return send(handler, Reply(fault.code, fault.body, fault.headers))
        if isinstance(fault, Drop) and not fault.after_apply:
            return drop(handler)
        reply = self._dispatch(request, found)
        if isinstance(fault, Drop):
            return drop(handler)
        self._check_answer(request, found, reply)
        return send(handler, reply)

    def _check_request(self, request: Recorded, found: tuple[Route, re.Match[str]] | None) -> None:
        if found is None:
            self._check(
                request, [f"{type(self).__name__} has no route for it (answered 404): a gap in the fake?"]
            )
        if self._contract and (found is None or found[0].in_spec):
            self._check(request, self._contract.check_request(request))

    def _check_answer(
        self, request: Recorded, found: tuple[Route, re.Match[str]] | None, reply: Reply
    ) -> None:
        if not (self._contract and found and found[0].in_spec and found[0].check_answer):
            return
        if reply.status in _CHECKED:
            self._check(
                request, self._contract.check_response(request, reply.status, dict(reply.headers), reply.body)
            )

    def _route(self, request: Recorded) -> tuple[Route, re.Match[str]] | None:
        for candidate in self._routes:
            match = candidate.pattern.fullmatch(request.path)
            if match and candidate.method == request.method:
                return candidate, match
        return None

    def _dispatch(self, request: Recorded, found: tuple[Route, re.Match[str]] | None) -> Reply:
        with self._lock:
            try:
                refused = self._authenticate(request)
                if refused is not None:
                    return refused
                if found is None:
                    return self._not_found(request)
                return found[0].handler(request, found[1])
            except Exception as failure:
                refused = self._refused(failure)
                if refused is not None:
                    return refused
                self._check(request, ["the fake itself failed:\n" + traceback.format_exc()])
                return Reply(500, b"fake server error")

    def _check(self, request: Recorded, problems: list[str]) -> None:
        with self._lock:
            self.violations.extend(Violation(request.method, request.path, problem) for problem in problems)

    def _crashed(self, trace: str) -> None:
        with self._lock:
            self.violations.append(Violation("-", "-", "the fake failed:\n" + trace))

    def _server_tls(self) -> ssl.SSLContext:
        self._ca = trustme.CA()
        self._tmp = tempfile.TemporaryDirectory(prefix="integrator-fake-ca-")
        self.ca_file = Path(self._tmp.name) / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context
