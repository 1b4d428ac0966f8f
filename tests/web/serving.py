"""Real servers for tests: an app under uvicorn in a thread, or `integrator serve` as a process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL. Shutdown runs the app's lifespan."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", ws="none", proxy_headers=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start in 10 s"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_process(env: dict[str, str], cwd: Path, port: int | None = None) -> Iterator[ServeProcess]:
    """`python -m integrator serve` as an operator starts it, until the block ends (then SIGTERM).

    Yields once `/healthz` answers; `errors` holds its stderr once it has stopped.
    """
    port = port or free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "integrator", "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    running = ServeProcess(f"http://127.0.0.1:{port}", server)
    try:
        deadline = time.monotonic() + 20
        while not _answers(running.base):
            assert server.poll() is None, "serve exited while starting"
            assert time.monotonic() < deadline, "serve did not answer in 20 s"
            time.sleep(0.1)
        yield running
    finally:
        server.send_signal(signal.SIGTERM)
        running.errors = server.communicate(timeout=30)[1].decode()


@dataclass
class ServeProcess:
    base: str
    process: subprocess.Popen[bytes]
    errors: str = ""


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz").status_code == 200
    except httpx.TransportError:
        return False


def local_demo_env(folder: Path, **server: str) -> dict[str, str]:
    """The environment of `integrator serve` in the local demo, dry-run, on SQLite and the test config
    in `folder`; `server` sets `INTEGRATOR_SERVER__*`."""
    from tests.support import write_config

    write_config(folder)
    repository = Path(__file__).resolve().parents[2]
    return {
        **os.environ,
        "INTEGRATOR_AUTH__MODE": "none",
        "INTEGRATOR_DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
        "INTEGRATOR_REGISTRY": str(folder / "CODEOWNERS"),
        "INTEGRATOR_CATALOG": str(folder / "services.toml"),
        "INTEGRATOR_DRY_RUN": "true",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(repository), os.environ.get("PYTHONPATH")])),
        **{f"INTEGRATOR_SERVER__{name.upper()}": value for name, value in server.items()},
    }
