"""Log lines operators can use: one line per event, text or JSON, with its escalation, effect and request.

`bound(escalation=..., effect=...)` and `request_id` put the context in contextvars; every line
logged inside carries it. `configure` (called by the process's entrypoint, never on import) sends
the root logger's lines to stderr in the chosen format, with every configured secret masked.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

Format = Literal["text", "json"]
CONTEXT = ("escalation", "effect", "request_id")
MASK = "[secret]"

escalation: ContextVar[str | None] = ContextVar("escalation", default=None)
effect: ContextVar[str | None] = ContextVar("effect", default=None)
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_VARS = {"escalation": escalation, "effect": effect, "request_id": request_id}


@contextmanager
def bound(**context: str) -> Iterator[None]:
    """Lines logged inside carry `context` (keys among `CONTEXT`)."""
    tokens = [(_VARS[name], _VARS[name].set(value)) for name, value in context.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def fields(record: logging.LogRecord) -> dict[str, str]:
    """What one line says: time, level, logger, message, its context, and its error (on one line)."""
    found = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "message": record.getMessage(),
    }
    found |= {name: value for name in CONTEXT if (value := _VARS[name].get()) is not None}
    if record.exc_info and record.exc_info[1] is not None:
        found["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        found["traceback"] = logging.Formatter().formatException(record.exc_info)
    return found


class LineFormatter(logging.Formatter):
    """One line per record, as JSON or as `time level logger: message key=value...`; secrets masked."""

    def __init__(self, kind: Format, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.kind = kind
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        found = {name: self._masked(value) for name, value in fields(record).items()}
        if self.kind == "json":
            return json.dumps(found, ensure_ascii=False)
        time, level, logger = found.pop("time"), found.pop("level").upper(), found.pop("logger")
        head = f"{time} {level:<7} {logger}: {found.pop('message')}"
        rest = " ".join(f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in found.items())
        return f"{head} {rest}".rstrip().replace("\n", "\\n")

    def _masked(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a line is written."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure(kind: Format, *, secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
    """Send the root logger's lines to stderr as `kind`, once (calling again replaces our handler)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(handler)
    handler = _Stderr()
    handler.setFormatter(LineFormatter(kind, secrets))
    root.addHandler(handler)
    root.setLevel(level)


def secret_values(settings: BaseModel) -> list[str]:
    """Every secret in `settings` (nested), and the password of any URL among them, to be masked."""
    found: list[str] = []
    for value in settings.__dict__.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, SecretStr):
                found.append(item.get_secret_value())
            elif isinstance(item, BaseModel):
                found += secret_values(item)
            elif isinstance(item, str) and "://" in item:
                found += [p for p in [_password(item)] if p]
    return found


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def configure_process(level: int = logging.WARNING) -> None:
    """The process's log lines (`INTEGRATOR_LOG_FORMAT`) from `level` up, every configured secret masked.

    A command's own output says what it did, so it logs warnings only; `serve` logs from INFO.
    Settings that do not load give text lines: the command itself then reports what is wrong.
    """
    from pydantic import ValidationError

    from integrator.settings import Settings

    try:
        settings = Settings()
    except ValidationError:
        configure("text", level=level)
        return
    configure(settings.log_format, secrets=secret_values(settings), level=level)
