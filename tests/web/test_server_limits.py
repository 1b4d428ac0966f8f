"""`integrator serve` against slow and greedy clients: slow loris cut off, a full server says retry."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.web.helpers import eventually
from tests.web.serving import ServeProcess, local_demo_env, serve_process


@contextmanager
def connection(server: ServeProcess) -> Iterator[socket.socket]:
    port = int(server.base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
        yield sock


def drip(sock: socket.socket, first: bytes, lines: list[bytes]) -> tuple[int, bytes]:
    """Send `first`, then one of `lines` a second until the server hangs up: (lines sent, what it said)."""
    sock.sendall(first)
    answer = b""
    for sent, line in enumerate(lines):
        try:
            chunk = sock.recv(4096)  # waits up to a second: the drip's pace
        except TimeoutError:
            chunk = None
        except ConnectionResetError:  # hung up with a reset (unread bytes were still in flight)
            return sent, answer
        if chunk == b"":
            return sent, answer
        answer += chunk or b""
        try:
            sock.sendall(line)
        except OSError:
            return sent, answer
    return len(lines), answer


def test_a_slow_loris_sending_one_header_line_a_second_is_cut_off_at_the_header_timeout(
    tmp_path: Path,
) -> None:
    env = local_demo_env(tmp_path, header_timeout_seconds="2")
    with serve_process(env, tmp_path) as server, connection(server) as sock:
        headers = [f"X-Slow-{n}: {'a' * 20}\r\n".encode() for n in range(30)]

        sent, answer = drip(sock, b"GET /api/v1/escalations HTTP/1.1\r\nHost: 127.0.0.1\r\n", headers)

        assert sent <= 4, f"still connected after {sent} header lines (the timeout is 2 s)"
        assert answer == b""  # hung up, nothing served
        assert httpx.get(f"{server.base}/healthz").status_code == 200


def test_a_body_dripped_one_byte_a_second_is_cut_off_at_the_body_timeout(tmp_path: Path) -> None:
    env = local_demo_env(tmp_path, body_timeout_seconds="2")
    with serve_process(env, tmp_path) as server, connection(server) as sock:
        start = (
            b"POST /api/v1/escalations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )

        sent, _ = drip(sock, start, [b"{"] * 30)

        assert sent <= 4, f"still connected after {sent} body bytes (the timeout is 2 s)"
        assert httpx.get(f"{server.base}/api/v1/escalations").json()["escalations"] == []


def test_a_saturated_server_answers_503_with_retry_after_and_health_still_answers(tmp_path: Path) -> None:
    env = local_demo_env(tmp_path, max_requests="1", retry_after_seconds="7")
    with serve_process(env, tmp_path) as server, connection(server) as held:
        held.sendall(  # a request that has the one slot, waiting for the rest of its body
            b"POST /api/v1/escalations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        eventually(lambda: httpx.get(f"{server.base}/readyz").status_code == 503)
        busy = httpx.get(f"{server.base}/api/v1/escalations")
        health = httpx.get(f"{server.base}/healthz")
        held.close()
        eventually(lambda: httpx.get(f"{server.base}/readyz").status_code == 200)

    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "7"
    assert "limit of 1 requests at once" in busy.json()["message"]
    assert health.status_code == 200
