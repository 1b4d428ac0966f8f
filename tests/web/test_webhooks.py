"""Webhooks: a signed delivery re-fetches one escalation; an unsigned one changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from integrator.domain.escalation import IncidentStatus, IssueStatus
from integrator.settings import JiraSettings, PagerDutySettings, Settings
from integrator.web.app import create_app
from tests.support import MemoryPager, MemoryTracker, report_data
from tests.web.conftest import World, web_settings
from tests.web.helpers import eventually

# PagerDuty's published example (developer docs, "Verifying Signatures").
PD_SECRET = "test-secret"
PD_EXAMPLE = b'{"event":{"id":"01ABC","event_type":"incident.acknowledged"}}'
PD_EXAMPLE_SIGNATURE = "v1=032931d8d0b51237db1568bb59fa22fbe9f98875b8229160d200aa06abe0572e"
JIRA_SECRET = "jira-webhook-secret"


@dataclass
class SyncingPager(MemoryPager):
    """The memory pager, able to answer the re-fetch of one incident and to resolve it."""

    status: dict[str, str] = field(default_factory=dict)  # by incident id; "triggered" when unset
    resolved: list[str] = field(default_factory=list)

    def incident(self, incident_id: str) -> IncidentStatus:
        return IncidentStatus(incident_id, None, self.status.get(incident_id, "triggered"), "high")

    def has_note(self, incident_id: str, text: str) -> bool:
        return (incident_id, text) in self.notes

    def resolve(self, incident_id: str) -> None:
        self.resolved.append(incident_id)
        self.status[incident_id] = "resolved"


@dataclass
class SyncingTracker(MemoryTracker):
    """The memory tracker, able to answer the re-fetch of one issue."""

    category: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → (status, category)

    def status(self, key: str) -> IssueStatus:
        name, category = self.category.get(key, ("To Do", "new"))
        return IssueStatus(key, name, category)

    def statuses(self, keys: Collection[str]) -> list[IssueStatus]:
        return [self.status(key) for key in keys]

    def has_comment(self, key: str, text: str) -> bool:
        return (key, text) in self.comments


@dataclass
class RecordingSyncer:
    """Stands in for the Syncer: records which escalations a webhook asked to re-fetch."""

    calls: list[str] = field(default_factory=list)

    def sync_one(self, escalation_id: str) -> bool:
        self.calls.append(escalation_id)
        return False


@pytest.fixture
def pager() -> SyncingPager:
    return SyncingPager()


@pytest.fixture
def tracker() -> SyncingTracker:
    return SyncingTracker()


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The webhook secrets are PD_SECRET and JIRA_SECRET, unless a test parametrizes others."""
    secrets = getattr(request, "param", {"pagerduty": [PD_SECRET], "jira": JIRA_SECRET})
    return with_secrets(web_settings(tmp_path), **secrets)


@pytest.fixture
def syncer(world: World) -> RecordingSyncer:
    recorder = RecordingSyncer()
    world.services.syncer = recorder  # type: ignore[assignment]
    return recorder


@pytest.fixture
def app(world: World, request: pytest.FixtureRequest) -> FastAPI:
    """The app; over the recording syncer when the test asks for one (the router holds its syncer)."""
    if "syncer" in request.fixturenames:
        request.getfixturevalue("syncer")
    return create_app(world.services, page_wait=3.0)


def with_secrets(settings: Settings, *, pagerduty: list[str], jira: str | None) -> Settings:
    return settings.model_copy(
        update={
            "pagerduty": PagerDutySettings(webhook_secrets=[SecretStr(s) for s in pagerduty]),
            "jira": JiraSettings(webhook_secret=SecretStr(jira) if jira else None),
        }
    )


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pd_event(incident_id: str, event_type: str = "incident.acknowledged", event_id: str = "01DEF") -> bytes:
    event = {
        "id": event_id,
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": "2026-11-28T15:05:00.000Z",
        "data": {"id": incident_id, "type": "incident", "status": "acknowledged"},
    }
    return json.dumps({"event": event}).encode()


def jira_event(key: str) -> bytes:
    return json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"id": "10001", "key": key}}).encode()


def post_pd(client: TestClient, body: bytes, signature: str | None, webhook_id: str | None = "wh-1") -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-PagerDuty-Signature"] = signature
    if webhook_id is not None:
        headers["X-Webhook-Id"] = webhook_id
    return client.post("/webhooks/pagerduty", content=body, headers=headers)


def post_jira(client: TestClient, body: bytes, signature: str | None, delivery: str | None = "d-1") -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    if delivery is not None:
        headers["X-Atlassian-Webhook-Identifier"] = delivery
    return client.post("/webhooks/jira", content=body, headers=headers)


def escalate(client: TestClient, bearer: dict[str, str]) -> dict[str, Any]:
    """A reported failure, paged (incident P1) and filed (ING-1)."""
    escalation_id = client.post("/api/v1/escalations", json=report_data(), headers=bearer).json()["id"]

    def filed() -> bool:
        return (
            client.get(f"/api/v1/escalations/{escalation_id}", headers=bearer).json()["jira"]["key"]
            is not None
        )

    eventually(filed)
    body: dict[str, Any] = client.get(f"/api/v1/escalations/{escalation_id}", headers=bearer).json()
    return body


def test_pagerdutys_published_example_is_verified_and_a_signed_event_re_fetches_its_escalation(
    client: TestClient, bearer: dict[str, str], syncer: RecordingSyncer
) -> None:
    escalation = escalate(client, bearer)

    example = post_pd(client, PD_EXAMPLE, PD_EXAMPLE_SIGNATURE, webhook_id="wh-example")
    body = pd_event(escalation["pagerduty"]["incident_id"])
    news = post_pd(client, body, f"v1={sign(PD_SECRET, body)}", webhook_id="wh-news")

    assert example.status_code == 202  # verified; it names no incident, so there is nothing to re-fetch
    assert example.json() == {"status": "ignored", "escalation": None}
    assert news.status_code == 202
    assert news.json() == {"status": "accepted", "escalation": escalation["id"]}
    assert syncer.calls == [escalation["id"]]


@pytest.mark.parametrize(
    ("case", "signature"),
    [
        ("missing", None),
        ("empty", ""),
        ("wrong secret", "v1=" + "0" * 64),
        ("signed by another secret", "sign:another-secret"),
        ("tampered body, replayed signature", "tampered"),
    ],
)
def test_an_unsigned_or_badly_signed_pagerduty_webhook_is_refused_and_changes_nothing(
    client: TestClient, bearer: dict[str, str], syncer: RecordingSyncer, case: str, signature: str | None
) -> None:
    escalation = escalate(client, bearer)
    body = pd_event(escalation["pagerduty"]["incident_id"])
    sent = body
    if signature == "tampered":
        signature = f"v1={sign(PD_SECRET, body)}"
        sent = pd_event(escalation["pagerduty"]["incident_id"], "incident.resolved")
    elif signature and signature.startswith("sign:"):
        signature = f"v1={sign(signature.removeprefix('sign:'), body)}"

    refused = post_pd(client, sent, signature, webhook_id="wh-1")

    assert refused.status_code == 401, case
    assert refused.json()["error"] == "unauthorized"
    assert syncer.calls == []
    # Nothing was remembered either: the genuine delivery with that id is still taken.
    assert post_pd(client, body, f"v1={sign(PD_SECRET, body)}", webhook_id="wh-1").status_code == 202
    assert syncer.calls == [escalation["id"]]


@pytest.mark.parametrize("settings", [{"pagerduty": [], "jira": None}], indirect=True)
def test_without_a_configured_secret_every_webhook_is_refused(
    client: TestClient, bearer: dict[str, str], syncer: RecordingSyncer
) -> None:
    escalation = escalate(client, bearer)
    pd_body = pd_event(escalation["pagerduty"]["incident_id"])
    jira_body = jira_event(escalation["jira"]["key"])

    assert post_pd(client, pd_body, f"v1={sign(PD_SECRET, pd_body)}").status_code == 401
    assert post_pd(client, pd_body, f"v1={sign('', pd_body)}").status_code == 401
    assert post_jira(client, jira_body, f"sha256={sign(JIRA_SECRET, jira_body)}").status_code == 401
    assert post_jira(client, jira_body, f"sha256={sign('', jira_body)}").status_code == 401
    assert syncer.calls == []


@pytest.mark.parametrize("settings", [{"pagerduty": [], "jira": None}], indirect=True)
def test_a_flood_of_unsigned_webhooks_logs_the_missing_secret_once_per_source(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = pd_event("PABC123")
    with caplog.at_level("WARNING", logger="integrator"):
        answers = [post_pd(client, body, "v1=forged").status_code for _ in range(50)]
        answers += [post_jira(client, body, "sha256=forged").status_code for _ in range(50)]

    warnings = [r.getMessage() for r in caplog.records if "webhook refused" in r.getMessage()]
    assert set(answers) == {401}
    assert len(warnings) == 2
    assert "INTEGRATOR_PAGERDUTY__WEBHOOK_SECRETS is not set" in warnings[0]
    assert "INTEGRATOR_JIRA__WEBHOOK_SECRET is not set" in warnings[1]


@pytest.mark.parametrize(
    "settings", [{"pagerduty": ["old-secret", "new-secret"], "jira": None}], indirect=True
)
def test_any_of_several_signatures_verifies_while_secrets_are_rotated(
    client: TestClient, bearer: dict[str, str], syncer: RecordingSyncer
) -> None:
    escalation = escalate(client, bearer)
    body, other = (pd_event(escalation["pagerduty"]["incident_id"], event_id=e) for e in ("01A", "01B"))

    both = post_pd(client, body, f"v1={sign('new-secret', body)},v1={sign('newer-secret', body)}", "wh-1")
    old_only = post_pd(
        client, other, f"v1={sign('retired-secret', other)}, v1={sign('old-secret', other)}", "wh-2"
    )
    neither = post_pd(
        client, body, f"v1={sign('retired-secret', body)},v1={sign('newer-secret', body)}", "wh-3"
    )

    assert (both.status_code, old_only.status_code, neither.status_code) == (202, 202, 401)
    assert syncer.calls == [escalation["id"], escalation["id"]]


def test_a_redelivered_pagerduty_webhook_is_applied_once(
    client: TestClient, bearer: dict[str, str], syncer: RecordingSyncer
) -> None:
    escalation = escalate(client, bearer)
    body = pd_event(escalation["pagerduty"]["incident_id"])
    signature = f"v1={sign(PD_SECRET, body)}"

    first = post_pd(client, body, signature, webhook_id="wh-7")
    again = post_pd(client, body, signature, webhook_id="wh-7")
    replayed = post_pd(client, body, signature, webhook_id="wh-8")  # the same signed event, a new id
    news = pd_event(escalation["pagerduty"]["incident_id"], event_id="01GHI")
    later = post_pd(client, news, f"v1={sign(PD_SECRET, news)}", webhook_id="wh-9")  # a new event

    assert [r.status_code for r in (first, again, replayed, later)] == [202, 200, 200, 202]
    assert again.json()["status"] == replayed.json()["status"] == "duplicate"
    assert syncer.calls == [escalation["id"], escalation["id"]]


def test_two_events_whose_long_ids_differ_only_after_250_characters_are_both_applied(
    client: TestClient, bearer: dict[str, str], syncer: RecordingSyncer
) -> None:
    escalation = escalate(client, bearer)
    incident = escalation["pagerduty"]["incident_id"]
    first, second = (pd_event(incident, event_id="e" * 300 + last) for last in "12")

    answers = [
        post_pd(client, body, f"v1={sign(PD_SECRET, body)}", webhook_id="w" * 300 + last)
        for body, last in ((first, "1"), (second, "2"))
    ]

    assert [a.status_code for a in answers] == [202, 202]
    assert syncer.calls == [escalation["id"], escalation["id"]]


def test_a_signed_jira_webhook_re_fetches_its_escalation_once_per_delivery(
    client: TestClient, bearer: dict[str, str], syncer: RecordingSyncer
) -> None:
    escalation = escalate(client, bearer)
    body = jira_event(escalation["jira"]["key"])
    signature = f"sha256={sign(JIRA_SECRET, body)}"

    news = json.dumps({**json.loads(body), "timestamp": 1764427500000}).encode()  # a later event

    first = post_jira(client, body, signature, delivery="d-1")
    again = post_jira(client, body, signature, delivery="d-1")
    renamed = post_jira(client, body, signature, delivery="d-9")  # the same signed body, a new id
    unnamed = post_jira(client, body, signature, delivery=None)
    later = post_jira(client, news, f"sha256={sign(JIRA_SECRET, news)}", delivery=None)
    wrong = post_jira(client, body, f"sha256={sign('other', body)}", delivery="d-2")

    codes = [r.status_code for r in (first, again, renamed, unnamed, later, wrong)]
    assert codes == [202, 200, 200, 200, 202, 401]
    assert syncer.calls == [escalation["id"], escalation["id"]]


def test_a_webhook_about_an_incident_or_issue_integrator_does_not_know_is_taken_and_ignored(
    client: TestClient, syncer: RecordingSyncer
) -> None:
    pd_body = pd_event("PUNKNOWN")
    jira_body = jira_event("OTHER-99")

    pd = post_pd(client, pd_body, f"v1={sign(PD_SECRET, pd_body)}")
    jira = post_jira(client, jira_body, f"sha256={sign(JIRA_SECRET, jira_body)}")

    assert (pd.status_code, jira.status_code) == (202, 202)
    assert pd.json()["status"] == jira.json()["status"] == "ignored"
    assert syncer.calls == []


def test_a_signed_body_nested_a_hundred_thousand_deep_is_refused_with_400_on_both_webhooks(
    client: TestClient, syncer: RecordingSyncer
) -> None:
    deep = b'{"event": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    pd = post_pd(client, deep, f"v1={sign(PD_SECRET, deep)}")
    jira = post_jira(client, deep, f"sha256={sign(JIRA_SECRET, deep)}")

    assert (pd.status_code, jira.status_code) == (400, 400)
    assert pd.json()["message"] == "the pagerduty webhook's body nests deeper than 32 levels"
    assert syncer.calls == []


def test_a_signed_body_that_is_not_json_is_refused_and_a_huge_one_is_not_read(
    client: TestClient, syncer: RecordingSyncer
) -> None:
    garbage = b"<xml/>"
    huge = b'{"event": {"data": {"type": "incident", "id": "P1"}}, "pad": "' + b"x" * (1024 * 1024) + b'"}'

    bad = post_pd(client, garbage, f"v1={sign(PD_SECRET, garbage)}")
    too_large = post_pd(client, huge, f"v1={sign(PD_SECRET, huge)}", webhook_id="wh-2")

    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid"
    assert too_large.status_code == 413
    assert syncer.calls == []


def test_webhooks_need_no_sign_in_and_no_csrf_token_but_a_session_does_not_replace_the_signature(
    browser: TestClient, bearer: dict[str, str], syncer: RecordingSyncer
) -> None:
    escalation = escalate(browser, bearer)
    body = pd_event(escalation["pagerduty"]["incident_id"])

    assert post_pd(browser, body, None).status_code == 401  # signed in, CSRF cookie and all: still unsigned
    browser.cookies.clear()
    assert post_pd(browser, body, f"v1={sign(PD_SECRET, body)}").status_code == 202
    assert syncer.calls == [escalation["id"]]


def test_a_jira_webhook_for_a_done_p1_fixes_the_escalation_through_the_real_sync(
    client: TestClient, bearer: dict[str, str], pager: SyncingPager, tracker: SyncingTracker
) -> None:
    escalation = escalate(client, bearer)
    key, incident = escalation["jira"]["key"], escalation["pagerduty"]["incident_id"]
    tracker.category[key] = ("Done", "done")
    body = jira_event(key)

    answer = post_jira(client, body, f"sha256={sign(JIRA_SECRET, body)}")

    assert answer.status_code == 202

    def fixed() -> bool:
        state: str = client.get(f"/api/v1/escalations/{escalation['id']}", headers=bearer).json()["state"]
        return state == "fixed"

    eventually(fixed)
    after = client.get(f"/api/v1/escalations/{escalation['id']}", headers=bearer).json()
    assert after["jira"]["state"] == "done"
    assert "fixed" in [e["kind"] for e in after["timeline"]]
    eventually(lambda: pager.resolved == [incident])
    assert any("is done" in text for _, text in pager.notes)
