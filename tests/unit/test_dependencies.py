"""Every package integrator imports is one it declares: a fresh install gets all it needs (finding 11)."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def imported_top_levels() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "integrator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"integrator"}


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {Requirement(line).name.lower().replace("_", "-") for line in project["dependencies"]}


@pytest.mark.parametrize("module", sorted(imported_top_levels()))
def test_each_imported_package_is_a_declared_runtime_dependency(module: str) -> None:
    distributions = {d.lower().replace("_", "-") for d in packages_distributions().get(module, [])}
    assert distributions & declared(), f"{module} (from {sorted(distributions)}) is imported but not declared"
