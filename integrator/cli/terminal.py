"""The terminal a command answers on: stdout and stderr, the `--json` flag, the exit codes (README)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

OK, ERROR, BAD_INPUT, PENDING = 0, 1, 2, 3

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (stable; see the README).")]
