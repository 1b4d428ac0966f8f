"""Small readers of what a browser sees: the form's hidden fields, a field's message, a fresh form."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

from fastapi.testclient import TestClient

from tests.support import report_data


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert match, f"no hidden field {name!r} on the page"
    return html.unescape(match.group(1))


def csrf_token(page: str) -> str:
    return hidden(page, "csrf_token")


def field_value(page: str, name: str) -> str:
    """What an input or textarea named `name` shows."""
    escaped = re.escape(name)
    match = re.search(rf'<input id="{escaped}" name="{escaped}" type="[^"]*" value="([^"]*)"', page)
    if match is None:
        match = re.search(rf'<textarea id="{escaped}" name="{escaped}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no field {name!r} on the page"
    return html.unescape(match.group(1))


def field_error(page: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="{re.escape(name)}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else None


def form_fields(**overrides: str) -> dict[str, str]:
    """A filled-in report form as a browser posts it (without the CSRF token and idempotency key)."""
    report = report_data()
    fields = {
        "deal.account": report["deal"]["account"],
        "deal.arr": "480k",
        "deal.currency": "USD",
        "deal.economic_buyer.name": report["deal"]["economic_buyer"]["name"],
        "deal.economic_buyer.email": report["deal"]["economic_buyer"]["email"],
        "deal.executive_sponsor.name": report["deal"]["executive_sponsor"]["name"],
        "deal.executive_sponsor.email": report["deal"]["executive_sponsor"]["email"],
        "failure.title": report["failure"]["title"],
        "failure.criterion": report["failure"]["criterion"],
        "failure.observed": report["failure"]["observed"],
        "failure.locations": "\n".join(report["failure"]["locations"]),
        "reporter.name": "Priya",
        "reporter.email": "priya@acme.example",
        "reporter.time_zone": "America/New_York",
        "rca_due": "2026-11-28T17:00",
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def submit_form(client: TestClient, **overrides: str) -> Any:
    """Open the form, fill it in, send it (without following the redirect)."""
    page = client.get("/").text
    data = {"csrf_token": csrf_token(page), "idempotency_key": hidden(page, "idempotency_key")}
    return client.post("/escalations", data={**data, **form_fields(**overrides)}, follow_redirects=False)


def eventually(check: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Wait (briefly) for background work to make `check` true."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the background work did not finish in time"
        time.sleep(0.01)


P = ParamSpec("P")
T = TypeVar("T")


class InlineExecutor(Executor):
    """Runs each call at once on the caller's thread: whatever a route owed is done when it answers.

    Hand it to `create_app(executor=InlineExecutor)` to assert on the end state without waiting.
    """

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the future, as a pool's worker would
            future.set_exception(exc)
        return future
