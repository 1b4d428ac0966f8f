"""serve with INTEGRATOR_LOG_FORMAT=json: one JSON line per event, with request and escalation ids."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import report_data, write_config
from tests.web.serving import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
SECRET_KEY = "a-secret-key-that-must-never-be-logged"


def test_served_json_logs_carry_the_request_id_and_the_escalations_effects(tmp_path: Path) -> None:
    write_config(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "INTEGRATOR_AUTH__MODE": "none",
        "INTEGRATOR_SECRET_KEY": SECRET_KEY,
        "INTEGRATOR_LOG_FORMAT": "json",
        "INTEGRATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'logs.db'}",
        "INTEGRATOR_REGISTRY": str(tmp_path / "CODEOWNERS"),
        "INTEGRATOR_CATALOG": str(tmp_path / "services.toml"),
        "INTEGRATOR_DRY_RUN": "true",
        "INTEGRATOR_SYNC__INTERVAL_SECONDS": "3600",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "integrator", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "serve exited while starting"
            assert time.monotonic() < deadline, "serve did not answer in 30 s"
            time.sleep(0.1)
        created = httpx.post(
            f"{base}/api/v1/escalations", json=report_data(), headers={"X-Request-ID": "req-42"}, timeout=30
        )
        time.sleep(0.5)  # effects the page-first wait left to the background
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=20)

    assert created.status_code == 201, created.text
    assert created.headers["x-request-id"] == "req-42"
    lines = [json.loads(line) for line in errors.splitlines() if line.strip()]
    assert any(
        line.get("request_id") == "req-42" and "POST /api/v1/escalations" in line["message"] for line in lines
    )
    escalation_id = created.json()["id"]
    paged = [
        line for line in lines if line.get("escalation") == escalation_id and line.get("effect") == "page"
    ]
    assert paged, errors
    assert SECRET_KEY not in errors
