"""Log lines: one per event, text or JSON, carrying escalation, effect and request id, never a secret."""

from __future__ import annotations

import json
import logging

from pydantic import SecretStr

from integrator import logs
from integrator.settings import JiraSettings, PagerDutySettings, Settings


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("integrator.test", logging.WARNING, __file__, 1, message, args, exc_info)


def test_a_json_line_carries_the_escalation_the_effect_and_the_request() -> None:
    formatter = logs.LineFormatter("json")
    with logs.bound(request_id="req-42"), logs.bound(escalation="esc-7", effect="page"):
        line = formatter.format(record("page %s: done", "alice"))

    shown = json.loads(line)
    assert shown["message"] == "page alice: done"
    assert (shown["escalation"], shown["effect"], shown["request_id"]) == ("esc-7", "page", "req-42")
    assert shown["level"] == "warning"
    assert "\n" not in line


def test_the_context_ends_with_its_block() -> None:
    with logs.bound(escalation="esc-7"):
        pass
    shown = json.loads(logs.LineFormatter("json").format(record("later")))

    assert "escalation" not in shown


def test_a_text_line_with_an_error_stays_one_line() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError as exc:
        caught = exc
    with logs.bound(escalation="esc-7"):
        line = logs.LineFormatter("text").format(record("failed:\nbadly", exc=caught))

    assert "\n" not in line
    assert "WARNING integrator.test: failed:\\nbadly" in line
    assert 'escalation="esc-7"' in line
    assert 'error="ValueError: bad\\nvalue"' in line


def test_every_configured_secret_is_masked_wherever_it_appears() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="postgresql+psycopg://integrator:db-password-1@postgres/integrator",
        secret_key=SecretStr("cookie-signing-key"),
        jira=JiraSettings(
            url="https://jira.example", email="a@b.example", api_token=SecretStr("jira-token-9")
        ),
        pagerduty=PagerDutySettings(
            api_key=SecretStr("pd-key-3"), from_email="a@b.example", webhook_secrets=[SecretStr("whsec-5")]
        ),
    )
    secrets = logs.secret_values(settings)
    formatter = logs.LineFormatter("json", secrets)

    line = formatter.format(record("%s %s %s %s %s", *secrets))

    assert sorted(secrets) == sorted(
        ["db-password-1", "cookie-signing-key", "jira-token-9", "pd-key-3", "whsec-5"]
    )
    assert json.loads(line)["message"] == " ".join([logs.MASK] * 5)
