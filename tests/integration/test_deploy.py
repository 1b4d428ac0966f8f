"""Deployment: the compose file, the image's HEALTHCHECK against a running server, the lock, --version."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from integrator.cli.app import app
from tests.web.serving import free_port, local_demo_env, serve_process

REPOSITORY = Path(__file__).resolve().parents[2]


def compose_available() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


def healthcheck_command() -> list[str]:
    """The Dockerfile's HEALTHCHECK command (exec form), to run as the image would."""
    text = (REPOSITORY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    (line,) = [line for line in text.splitlines() if line.startswith("HEALTHCHECK")]
    command: list[str] = json.loads(line.split(" CMD ", 1)[1])
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


def check_health(url: str) -> int:
    env = {**os.environ, "HEALTHCHECK_URL": url}
    return subprocess.run(
        healthcheck_command(), env=env, capture_output=True, timeout=30, check=False
    ).returncode


@pytest.mark.skipif(not compose_available(), reason="`docker compose` is not installed here")
def test_the_compose_file_is_valid_with_the_example_env_file(tmp_path: Path) -> None:
    shutil.copy(REPOSITORY / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(REPOSITORY / "deploy.env.example", tmp_path / ".env")

    done = subprocess.run(
        ["docker", "compose", "config", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    assert set(config["services"]) == {"integrator", "postgres"}
    assert "postgres-data" in config["volumes"]
    assert config["services"]["integrator"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_compose_healthcheck_is_the_images_and_the_database_has_a_named_volume() -> None:
    config = yaml.safe_load((REPOSITORY / "compose.yaml").read_text(encoding="utf-8"))
    integrator, postgres = config["services"]["integrator"], config["services"]["postgres"]

    assert integrator["healthcheck"]["test"] == ["CMD", "python", *healthcheck_command()[1:]]
    assert postgres["image"].startswith("postgres:")
    assert postgres["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert "postgres-data" in config["volumes"]
    assert integrator["env_file"] == ".env"


def test_the_images_healthcheck_passes_against_a_running_serve_and_fails_without_one(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/readyz"
    assert check_health(url) != 0  # nothing serves yet
    with serve_process(local_demo_env(tmp_path), tmp_path, port):
        assert check_health(url) == 0


def test_the_lock_file_pins_every_runtime_dependency_with_hashes() -> None:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = (REPOSITORY / "requirements.lock").read_text(encoding="utf-8")
    # `name==version \` or, for a platform's dependency, `name==version ; marker \`
    pinned = {m[1].lower() for m in re.finditer(r"^([A-Za-z0-9._-]+)==\S+(?: ;[^\n]*)? \\$", lock, re.M)}
    wanted = {
        re.split(r"[\[<>=!~ ]", dependency, maxsplit=1)[0].lower() for dependency in project["dependencies"]
    }

    assert wanted <= pinned
    for block in re.split(r"\n(?=\S)", lock.split("\n\n", 1)[-1]):
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert re.fullmatch(r"integrator \d+\.\d+\.\d+\S*\n", result.stdout)
