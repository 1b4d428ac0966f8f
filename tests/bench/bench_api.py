"""Submissions per second through the JSON API of one `serve` process, with zero-latency fakes.

Run: `python -m tests.bench.bench_api` (or `python tests/bench/bench_api.py`). It starts one server
process (uvicorn, SQLite in a temporary folder, token auth, in-memory PagerDuty and Jira that answer
at once), then, for 1 and for 20 concurrent clients, posts distinct reports to
`POST /api/v1/escalations` for a fixed time and prints the rate and the p50/p99 latency. Every
reply is a 201 whose page is delivered; the ticket and cross-link run in the server's background,
so they load the server as they would in production. Figures only: nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `integrator` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx

from tests.support import report_data

REPOSITORY = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONCURRENCY = (1, 20)


def serve(directory: Path, port: int) -> None:
    """The server process: build the app over in-memory fakes, print a token, serve until stopped."""
    import uvicorn
    from pydantic import SecretStr

    from integrator.application.ports import SystemClock
    from integrator.application.retrying import RetryPolicy
    from integrator.web.app import create_app
    from tests.support import MemoryPager, MemoryTracker, make_services, write_config

    settings = write_config(directory).model_copy(update={"secret_key": SecretStr("bench-" + "k" * 32)})
    services = make_services(
        settings, clock=SystemClock(), pager=MemoryPager(), tracker=MemoryTracker(), retry=RetryPolicy.none()
    )
    print(services.tokens.create("bench"), flush=True)
    app = create_app(services)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, ws="none")


async def client(base: str, token: str, deadline: float, worker: int, latencies: list[float]) -> int:
    """Post reports until `deadline`; returns how many were answered 201 with the page delivered."""
    done = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        while time.perf_counter() < deadline:
            report = {**report_data(), "idempotency_key": f"bench-{worker}-{done}-{time.time_ns()}"}
            started = time.perf_counter()
            answer = await http.post("/api/v1/escalations", json=report)
            latencies.append(time.perf_counter() - started)
            body = answer.json()
            if answer.status_code != 201 or body["effects"][0]["state"] != "done":
                raise SystemExit(f"unexpected answer {answer.status_code}: {body}")
            done += 1
    return done


async def measure(base: str, token: str, concurrency: int) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + SECONDS
    counts = await asyncio.gather(*(client(base, token, deadline, w, latencies) for w in range(concurrency)))
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return sum(counts) / elapsed, quantiles[49] * 1000, quantiles[98] * 1000, sum(counts)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited while starting")
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start in 30 s")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.bench_api", "--serve", folder, str(port)],
            cwd=REPOSITORY,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        token = server.stdout.readline().strip()
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, server)
            asyncio.run(measure(base, token, 4))  # warm-up: imports, connections, SQLite pages
            print(f"POST /api/v1/escalations; one serve process, SQLite, instant fakes; {SECONDS:.0f} s each")
            print(f"{'clients':>7}  {'submissions/s':>13}  {'p50 ms':>7}  {'p99 ms':>7}  {'requests':>8}")
            for concurrency in CONCURRENCY:
                rate, p50, p99, count = asyncio.run(measure(base, token, concurrency))
                print(f"{concurrency:>7}  {rate:>13.1f}  {p50:>7.1f}  {p99:>7.1f}  {count:>8}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", nargs=2, metavar=("FOLDER", "PORT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(Path(arguments.serve[0]), int(arguments.serve[1]))
    else:
        main()
