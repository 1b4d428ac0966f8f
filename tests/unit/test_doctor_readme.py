"""The README documents `integrator doctor --json` and `GET /readyz?deep=1` with the fields they carry."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from integrator.application.doctor import Checkup
from integrator.domain.checkup import SETUP, Finding

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_json() -> list[Any]:
    """The JSON examples of the README's doctor section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Checking the wiring", 1)[1].split("\n## ", 1)[0]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, flags=re.DOTALL)]


def shape(value: Any) -> Any:
    """The field names and types of a JSON value, without the values themselves."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def test_the_documented_doctor_json_has_the_fields_the_doctor_prints() -> None:
    produced = Checkup((Finding.problem(SETUP, "jira.workflow", "add a transition"),)).as_dict()
    doctor_json, readyz_json = documented_json()

    assert shape(doctor_json) == shape(produced)
    assert json.dumps(doctor_json, indent=2) in README.read_text(encoding="utf-8")  # as printed, indented
    assert shape(readyz_json["doctor"]) == shape(produced)
    assert set(readyz_json) == {"status", "checks", "doctor"}
    assert set(readyz_json["checks"]) == {"database", "registry", "catalog"}
