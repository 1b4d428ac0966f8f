"""A dry run sends nothing: not a byte reaches Jira, PagerDuty, SMTP, a chat webhook or a halt hook.

Every endpoint the configuration names points at a loopback listener that counts connections.
The README's example escalation, a sync pass and a web submission then run as a user runs them
(the real `integrator` command, a real `serve`), and every listener must have seen nothing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support import CATALOG, REGISTRY
from tests.web.serving import serve_process

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLE = REPOSITORY / "config" / "example-report.json"


@dataclass
class Listener:
    """A TCP port on loopback that accepts and counts connections, answering nothing."""

    sock: socket.socket = field(default_factory=lambda: socket.create_server(("127.0.0.1", 0)))
    connections: int = 0

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


@pytest.fixture
def listeners() -> Iterator[dict[str, Listener]]:
    found = {name: Listener() for name in ("jira", "pagerduty", "smtp", "chat", "halt")}
    for listener in found.values():
        threading.Thread(target=listener.serve, daemon=True).start()
    yield found
    for listener in found.values():
        listener.sock.close()


def catalog(chat_port: int, halt_port: int) -> str:
    """The test catalog with a chat webhook for every team, and the example's environment's halt
    hook, on the listeners."""
    hook = f'chat_webhook = "http://127.0.0.1:{chat_port}/hooks"'
    lines = []
    for line in CATALOG.splitlines():
        lines.append(line)
        if line.startswith("senior_engineer"):
            lines.append(hook)
    lines += [
        '[environments."poc-globex-eu1"]',
        f'halt_url = "http://127.0.0.1:{halt_port}/hooks/halt"',
        'secret = "env:POC_HALT_SECRET"',
    ]
    return "\n".join(lines)


def environment(tmp_path: Path, listeners: dict[str, Listener], *, credentials: bool) -> dict[str, str]:
    (tmp_path / "CODEOWNERS").write_text(REGISTRY)
    (tmp_path / "services.toml").write_text(catalog(listeners["chat"].port, listeners["halt"].port))
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATOR_")}
    env = {
        **inherited,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
        "INTEGRATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'integrator.db'}",
        "INTEGRATOR_REGISTRY": str(tmp_path / "CODEOWNERS"),
        "INTEGRATOR_CATALOG": str(tmp_path / "services.toml"),
        "INTEGRATOR_JIRA__URL": f"http://127.0.0.1:{listeners['jira'].port}",
        "INTEGRATOR_PAGERDUTY__API_URL": f"https://127.0.0.1:{listeners['pagerduty'].port}",
        "INTEGRATOR_SMTP__HOST": "127.0.0.1",
        "INTEGRATOR_SMTP__PORT": str(listeners["smtp"].port),
        "INTEGRATOR_SMTP__FROM": "integrator@acme.example",
        "INTEGRATOR_SMTP__STARTTLS": "false",
        "INTEGRATOR_AUTH__MODE": "none",
        "POC_HALT_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }
    if credentials:  # everything configured, and dry-run asked for
        env |= {
            "INTEGRATOR_DRY_RUN": "true",
            "INTEGRATOR_JIRA__EMAIL": "bot@acme.example",
            "INTEGRATOR_JIRA__API_TOKEN": "jira-token-for-the-test",
            "INTEGRATOR_PAGERDUTY__API_KEY": "pd-key-for-the-test",
            "INTEGRATOR_PAGERDUTY__FROM_EMAIL": "bot@acme.example",
        }
    return env


def integrator(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "integrator", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def submit_through_serve(env: dict[str, str], cwd: Path) -> httpx.Response:
    with serve_process(env, cwd) as server:
        report = json.loads(EXAMPLE.read_text()) | {"idempotency_key": "web-submission"}
        return httpx.post(f"{server.base}/api/v1/escalations", json=report, timeout=30)


@pytest.mark.parametrize("credentials", [False, True], ids=["no-credentials", "dry-run-asked"])
def test_a_dry_run_sends_not_one_byte_through_escalate_sync_or_the_web(
    tmp_path: Path, listeners: dict[str, Listener], credentials: bool
) -> None:
    env = environment(tmp_path, listeners, credentials=credentials)

    escalated = integrator(env, tmp_path, "escalate", "--file", str(EXAMPLE), "--json")
    synced = integrator(env, tmp_path, "sync", "--once")
    created = submit_through_serve(env, tmp_path)

    assert escalated.returncode == 0, escalated.stderr
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert created.status_code == 201, created.text
    assert {name: listener.connections for name, listener in listeners.items()} == {
        "jira": 0,
        "pagerduty": 0,
        "smtp": 0,
        "chat": 0,
        "halt": 0,
    }


def test_the_readme_example_rests_with_every_effect_planned_and_no_retry(
    tmp_path: Path, listeners: dict[str, Listener]
) -> None:
    env = environment(tmp_path, listeners, credentials=False)

    escalated = integrator(env, tmp_path, "escalate", "--file", str(EXAMPLE), "--json")

    assert escalated.returncode == 0, escalated.stderr
    shown = json.loads(escalated.stdout)
    assert shown["dry_run"] is True
    assert {e["kind"]: e["state"] for e in shown["effects"]} == {
        "page": "done",
        "ticket": "done",
        "link": "done",
        "email": "done",
        "chat": "done",
        "halt": "done",
    }
    assert all(e["attempts"] == 1 and e["last_error"] is None for e in shown["effects"])
    assert "retry" not in escalated.stdout + escalated.stderr
    planned = [e["text"] for e in shown["timeline"] if e["kind"] == "dry_run"]
    assert "Dry-run: would post to the team's chat; nothing was sent" in planned
    assert "Dry-run: would halt test environment poc-globex-eu1; nothing was sent" in planned
    assert shown["halt"] == {"state": "planned", "at": None, "environment": "poc-globex-eu1"}
    assert not any(e["kind"] in ("paged", "ticket_filed", "linked") for e in shown["timeline"])
    status = integrator(env, tmp_path, "status", "--json")
    assert [s["effects"] for s in json.loads(status.stdout)] == [shown["effects"]]
