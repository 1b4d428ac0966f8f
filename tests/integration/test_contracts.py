"""The vendored API contracts: loaded by every fake, never skipped, and what `scripts/cut_specs.py` writes."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.fakes import FakeJira, FakePagerDuty, spec

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED = REPOSITORY.parent / "shared" / "specs"
NO_SHARED = f"{SHARED} absent: the vendored contracts cannot be compared with their official source"


def cut_specs() -> ModuleType:
    """`scripts/cut_specs.py` as a module (scripts/ is not a package)."""
    path = REPOSITORY / "scripts" / "cut_specs.py"
    module_spec = importlib.util.spec_from_file_location("cut_specs", path)
    assert module_spec is not None
    assert module_spec.loader is not None
    module = sys.modules.setdefault("cut_specs", importlib.util.module_from_spec(module_spec))
    module_spec.loader.exec_module(module)
    return module


def test_every_fake_loads_its_vendored_contract_from_the_project() -> None:
    for fake in (FakeJira, FakePagerDuty):
        path = spec.VENDORED / f"{fake.spec_name}.json"
        info = json.loads(path.read_text(encoding="utf-8"))["info"]
        assert info["x-vendored"]["input_sha256"]
        assert spec.contract(fake.spec_name).name == fake.spec_name


def test_a_fake_whose_contract_is_missing_fails_instead_of_skipping(tmp_path: Path) -> None:
    env = {**os.environ, spec.SPECS_ENV: str(tmp_path / "no-specs-here"), "PYTHONPATH": str(REPOSITORY)}
    probe = "from tests.fakes import FakeJira; FakeJira()"

    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert "MissingContract: cannot load the contract" in done.stderr
    assert "jira-platform-v2.json" in done.stderr


@pytest.mark.skipif(not SHARED.is_dir(), reason=NO_SHARED)
def test_the_vendored_contracts_are_what_the_script_cuts_from_the_official_files() -> None:
    written = cut_specs().outputs(SHARED)

    for name, text in written.items():
        assert (spec.VENDORED / name).read_text(encoding="utf-8") == text, f"run scripts/cut_specs.py: {name}"


@pytest.mark.skipif(not (SHARED / "derived").is_dir(), reason=NO_SHARED)
def test_the_scripts_repairs_agree_with_the_derived_specs_on_every_vendored_operation() -> None:
    script = cut_specs()
    for source in script.SOURCES:
        derived = json.loads((SHARED / "derived" / f"{source.name}.prism.json").read_text(encoding="utf-8"))
        vendored = json.loads((spec.VENDORED / source.file).read_text(encoding="utf-8"))
        sha256 = vendored["info"]["x-vendored"]["input_sha256"]

        assert script.cut(derived, source, sha256=sha256) == vendored, source.name
