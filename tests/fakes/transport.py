"""The stdlib HTTP(S) server under the fakes: a thread per connection, TLS, keep-alive, and a clean stop.

`LoopbackServer` listens on 127.0.0.1 (a free port) and hands every request to `serve`; `read`,
`send` and `drop` are what `serve` does with it. `cut_connections` wakes the threads that wait
on kept-alive connections, so that `server_close` can join them and a test never hangs.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.records import Recorded, Reply, parse_json


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        serve: Callable[[BaseHTTPRequestHandler], None],
        context: ssl.SSLContext | None,
        on_crash: Callable[[str], None],
    ) -> None:
        self.serve = serve
        self.context = context
        self.on_crash = on_crash
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _RequestHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        # An answer leaves as two writes (headers, then body): without this, Nagle holds the body
        # back until the client's delayed ACK, about 40 ms, and the fakes would not answer at once.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.context is not None:  # the handshake happens in the connection's own thread
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.connections_lock:
            self.connections.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """Wake every thread blocked on a kept-alive connection, so `server_close` can join them."""
        with self.connections_lock:
            open_now = list(self.connections)
        for sock in open_now:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the raw socket, not the TLS layer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A dropped or refused connection is part of the game; anything else is a bug in the fake."""
        if not isinstance(sys.exc_info()[1], OSError):  # covers resets, timeouts and TLS errors
            self.on_crash(traceback.format_exc())


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    server: LoopbackServer

    def do_GET(self) -> None:
        self.server.serve(self)

    def do_POST(self) -> None:
        self.server.serve(self)

    def do_PUT(self) -> None:
        self.server.serve(self)

    def do_DELETE(self) -> None:
        self.server.serve(self)

    def do_PATCH(self) -> None:
        self.server.serve(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the recorded requests are the log."""


def read(handler: BaseHTTPRequestHandler) -> Recorded:
    parts = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    headers: dict[str, str] = {}
    for name, value in handler.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return Recorded(
        method=handler.command.upper(),
        path=unquote(parts.path),
        query=parse_qs(parts.query, keep_blank_values=True),
        headers=headers,
        body=body,
        json=parse_json(body),
    )


def send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    handler.send_response(reply.status)
    names = {name.lower() for name in reply.headers}
    for name, value in reply.headers.items():
        handler.send_header(name, value)
    if "content-length" not in names:
        handler.send_header("Content-Length", str(len(reply.body)))
    handler.end_headers()
    if reply.body:
        handler.wfile.write(reply.body)


def drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection with nothing sent back: the client cannot know what happened."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        socket.socket.shutdown(handler.connection, socket.SHUT_RDWR)
