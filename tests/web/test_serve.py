"""`integrator serve` as an operator starts it: one process answering health, API and form."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from integrator.__main__ import wiring
from integrator.cli.app import app
from tests.support import report_data
from tests.web.serving import local_demo_env, serve_process


def test_serve_in_the_local_demo_mode_answers_health_the_api_and_the_form(tmp_path: Path) -> None:
    with serve_process(local_demo_env(tmp_path), tmp_path) as server:
        ready = httpx.get(f"{server.base}/readyz")
        created = httpx.post(f"{server.base}/api/v1/escalations", json=report_data())
        form = httpx.get(f"{server.base}/")

    assert ready.json()["status"] == "ready"
    assert created.status_code == 201
    assert created.json()["dry_run"] is True
    assert "Report a failed proof-of-concept" in form.text
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells the truth
    assert "Application shutdown complete." in server.errors
    assert server.process.returncode in (0, -signal.SIGTERM), server.errors


def test_serve_refuses_the_open_demo_mode_off_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("INTEGRATOR_AUTH__MODE", "none")

    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"], obj=wiring())

    assert result.exit_code == 1
    assert "binds to 127.0.0.1 only" in result.stderr
    assert not (tmp_path / "integrator.db").exists()  # refused before anything was built


def test_serve_in_token_mode_without_a_secret_key_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTEGRATOR_SECRET_KEY", raising=False)

    result = CliRunner().invoke(app, ["serve"], obj=wiring())

    assert result.exit_code == 1
    assert "INTEGRATOR_SECRET_KEY is required" in result.stderr
    assert not (tmp_path / "integrator.db").exists()
