"""Webhook signatures (PagerDuty v3, Jira) and what a webhook names: pure functions, no I/O.

A webhook only tells integrator *which* escalation to re-fetch; what changed is always read back
from PagerDuty and Jira by the sync, so nothing in a body is trusted beyond the id it names.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from integrator.domain.jsonbody import load_json
from integrator.domain.report import control_character
from integrator.errors import InvalidInput

PAGERDUTY_SCHEME = "v1="
JIRA_SCHEME = "sha256="
DELIVERY_ID_MAX = 250  # the longest delivery id the store keeps whole


class MalformedPayload(ValueError):
    """A signed body that is not the JSON object the sender documents."""


def signature(secret: str, raw_body: bytes) -> str:
    """The hex HMAC-SHA256 of the raw body under `secret` (what both senders sign)."""
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def verify_pagerduty(raw_body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """Whether `X-PagerDuty-Signature` carries a `v1=` signature of the body by any of `secrets`.

    The header may hold several comma-separated signatures (PagerDuty signs with each live secret
    while one is rotated); one match is enough. Every comparison is constant-time.
    """
    if not header or not secrets:
        return False
    offered = [
        part.strip().removeprefix(PAGERDUTY_SCHEME)
        for part in header.split(",")
        if part.strip().startswith(PAGERDUTY_SCHEME)
    ]
    expected = [signature(secret, raw_body) for secret in secrets if secret]
    found = False
    for value in offered:
        for wanted in expected:
            # No early exit: the time taken does not tell which value or secret matched.
            found |= hmac.compare_digest(value.encode(), wanted.encode())
    return found


def verify_jira(raw_body: bytes, header: str | None, secret: str | None) -> bool:
    """Whether `X-Hub-Signature` is `sha256=` the HMAC-SHA256 of the body under `secret`."""
    if not header or not secret or not header.strip().startswith(JIRA_SCHEME):
        return False
    value = header.strip().removeprefix(JIRA_SCHEME)
    return hmac.compare_digest(value.encode(), signature(secret, raw_body).encode())


def pagerduty_incident_id(raw_body: bytes) -> str | None:
    """The incident a PagerDuty v3 event is about, or None when it is about no incident.

    `event.data` is the incident itself for incident events (`data.type == "incident"`) and holds
    an `incident` reference for events on an incident's parts (notes, responders, ...).
    """
    data = _object(_object(_load(raw_body).get("event")).get("data"))
    if data.get("type") == "incident":
        return _text(data.get("id"))
    return _text(_object(data.get("incident")).get("id"))


def jira_issue_key(raw_body: bytes) -> str | None:
    """The issue a Jira webhook is about (`issue.key`), or None when it names no issue."""
    return _text(_object(_load(raw_body).get("issue")).get("key"))


def delivery_id(source: str, raw_body: bytes) -> str:
    """What tells a delivery from a redelivery, from the verified body alone.

    The signature covers the body, not the headers, so a delivery-id header proves nothing: the
    same signed body sent again under a new id is the same delivery. A PagerDuty event is known by
    its `event.id` (kept whole; a long one is hashed), anything else by the hash of its body. The
    result is at most `DELIVERY_ID_MAX` characters, so no two deliveries are ever cut to one.
    """
    event_id = _text(_object(_load(raw_body).get("event")).get("id")) if source == "pagerduty" else None
    if event_id is None:
        return f"{source}:body-sha256:{_sha256(raw_body)}"
    whole = f"{source}:event:{event_id}"
    return whole if len(whole) <= DELIVERY_ID_MAX else f"{source}:event-sha256:{_sha256(event_id.encode())}"


def _load(raw_body: bytes) -> dict[str, Any]:
    try:
        body = load_json(raw_body)
    except InvalidInput as exc:
        raise MalformedPayload(f"body {exc.fields['body']}") from exc
    if not isinstance(body, dict):
        raise MalformedPayload("body is not a JSON object")
    return body


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    """A usable id: a string with text and no control character (a NUL cannot reach the database)."""
    if not isinstance(value, str) or not value.strip() or control_character(value) is not None:
        return None
    return value
