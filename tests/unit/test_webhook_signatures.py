"""Webhook signatures and what a webhook names: PagerDuty v3 (`v1=`, rotated secrets) and Jira (`sha256=`)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from integrator.web.signatures import (
    MalformedPayload,
    delivery_id,
    jira_issue_key,
    pagerduty_incident_id,
    verify_jira,
    verify_pagerduty,
)

# PagerDuty's published example (developer docs, "Verifying Signatures").
PD_SECRET = "test-secret"
PD_BODY = b'{"event":{"id":"01ABC","event_type":"incident.acknowledged"}}'
PD_SIGNATURE = "v1=032931d8d0b51237db1568bb59fa22fbe9f98875b8229160d200aa06abe0572e"


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_pagerdutys_published_example_verifies() -> None:
    assert verify_pagerduty(PD_BODY, PD_SIGNATURE, [PD_SECRET])


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "v1=",
        PD_SIGNATURE.replace("032931", "032932"),
        PD_SIGNATURE.removeprefix("v1="),  # no scheme
        PD_SIGNATURE.replace("v1=", "v0="),
        PD_SIGNATURE.upper(),
    ],
)
def test_a_missing_or_wrong_pagerduty_signature_fails(header: str | None) -> None:
    assert not verify_pagerduty(PD_BODY, header, [PD_SECRET])


def test_a_tampered_pagerduty_body_fails_its_signature() -> None:
    tampered = PD_BODY.replace(b"acknowledged", b"resolved")

    assert not verify_pagerduty(tampered, PD_SIGNATURE, [PD_SECRET])
    assert not verify_pagerduty(PD_BODY + b" ", PD_SIGNATURE, [PD_SECRET])


def test_no_configured_secret_verifies_nothing() -> None:
    assert not verify_pagerduty(PD_BODY, PD_SIGNATURE, [])
    assert not verify_pagerduty(PD_BODY, "v1=" + sign("", PD_BODY), [""])


def test_any_of_several_signatures_by_any_configured_secret_verifies() -> None:
    old, new = "old-secret", "new-secret"
    header = f"v1={sign(old, PD_BODY)}, v1={sign(new, PD_BODY)}"

    assert verify_pagerduty(PD_BODY, header, [new])  # PagerDuty signs with both during a rotation
    assert verify_pagerduty(PD_BODY, header, [old])
    assert verify_pagerduty(PD_BODY, f"v1={sign(new, PD_BODY)}", [old, new])  # we hold both
    assert not verify_pagerduty(PD_BODY, header, ["another-secret"])


def test_jira_signature_is_sha256_of_the_raw_body() -> None:
    body = b'{"webhookEvent":"jira:issue_updated","issue":{"key":"ING-7"}}'

    assert verify_jira(body, "sha256=" + sign("jira-secret", body), "jira-secret")
    assert not verify_jira(body, "sha256=" + sign("other", body), "jira-secret")
    assert not verify_jira(body + b"\n", "sha256=" + sign("jira-secret", body), "jira-secret")
    assert not verify_jira(body, sign("jira-secret", body), "jira-secret")  # no scheme
    assert not verify_jira(body, "sha1=" + sign("jira-secret", body), "jira-secret")
    assert not verify_jira(body, None, "jira-secret")
    assert not verify_jira(body, "sha256=" + sign("", body), None)


def test_the_incident_of_a_pagerduty_event() -> None:
    incident = {"event": {"event_type": "incident.acknowledged", "data": {"id": "Q2K7", "type": "incident"}}}
    note = {
        "event": {
            "event_type": "incident.annotated",
            "data": {
                "type": "incident_note",
                "id": "N1",
                "incident": {"id": "Q2K7", "type": "incident_reference"},
            },
        }
    }
    ping = {"event": {"event_type": "pagey.ping", "data": {"type": "ping", "message": "Hello"}}}

    assert pagerduty_incident_id(json.dumps(incident).encode()) == "Q2K7"
    assert pagerduty_incident_id(json.dumps(note).encode()) == "Q2K7"
    assert pagerduty_incident_id(json.dumps(ping).encode()) is None
    assert pagerduty_incident_id(PD_BODY) is None  # the published example names no incident
    assert pagerduty_incident_id(b'{"event": {"data": {"type": "incident", "id": 7}}}') is None


def test_the_issue_of_a_jira_webhook() -> None:
    assert (
        jira_issue_key(b'{"webhookEvent":"jira:issue_updated","issue":{"id":"1","key":"ING-7"}}') == "ING-7"
    )
    assert jira_issue_key(b'{"webhookEvent":"comment_created","comment":{}}') is None


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_no_json_object_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        pagerduty_incident_id(body)
    with pytest.raises(MalformedPayload):
        jira_issue_key(body)


def test_a_pagerduty_delivery_is_known_by_its_event_id_and_a_jira_one_by_its_body() -> None:
    assert delivery_id("pagerduty", PD_BODY) == "pagerduty:event:01ABC"
    assert delivery_id("pagerduty", b'{"event": {"id": "01ABC"}, "pad": 1}') == "pagerduty:event:01ABC"
    assert delivery_id("jira", b"{}") == delivery_id("jira", b"{}")
    assert delivery_id("jira", b"{}") != delivery_id("jira", b"{ }")
    assert delivery_id("jira", b"{}") != delivery_id("pagerduty", b"{}")


def test_two_long_event_ids_that_differ_only_at_the_end_stay_two_deliveries() -> None:
    first, second = ("e" * 300 + "1", "e" * 300 + "2")
    ids = [
        delivery_id("pagerduty", json.dumps({"event": {"id": event}}).encode()) for event in (first, second)
    ]

    assert ids[0] != ids[1]
    assert all(len(i) <= 250 for i in ids)


def test_a_body_nested_a_hundred_thousand_deep_is_malformed_not_a_crash() -> None:
    deep = b'{"event": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    with pytest.raises(MalformedPayload, match="nests deeper than 32 levels"):
        pagerduty_incident_id(deep)


def test_an_id_holding_a_control_character_names_nothing_and_the_delivery_is_known_by_its_body() -> None:
    body = b'{"event": {"id": "01\\u0000ABC", "data": {"type": "incident", "id": "P\\u0000Q"}}}'

    assert pagerduty_incident_id(body) is None
    assert jira_issue_key(b'{"issue": {"key": "ING-7\\n"}}') is None
    assert delivery_id("pagerduty", body).startswith("pagerduty:body-sha256:")
