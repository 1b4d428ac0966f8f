"""Halts and resumes a customer's test environment: a Standard Webhooks request to its hook (httpx).

The request is signed here, at send time, with the secret read from the environment variable the
catalog names (never stored, never logged): `webhook-id` is the one decided when the effect was
owed, so every retry carries the same id; `webhook-timestamp` is the attempt's own time, as
receivers refuse old ones. 429, 5xx, timeouts and network errors leave as `Unavailable`; other
answers outside 2xx, and a missing or unusable secret, as `Rejected`.
"""

from __future__ import annotations

import binascii
import json
import logging
import os
import ssl
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from integrator.adapters.chat import host
from integrator.domain.halt import HookCall
from integrator.errors import Rejected, Unavailable

SYSTEM = "halt hook"
USER_AGENT = "integrator (environment hook)"

log = logging.getLogger(__name__)


class HttpHaltHook:
    def __init__(
        self,
        timeout: float = 10.0,
        *,
        verify: ssl.SSLContext | str | bool = True,
        environ: Mapping[str, str] = os.environ,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.timeout = timeout
        self.environ = environ
        self.now = now  # the wall clock: the receiver checks the timestamp against its own
        if isinstance(verify, str):
            verify = ssl.create_default_context(cafile=verify)
        self.ssl_context = (
            verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        )

    def send(self, call: HookCall) -> None:
        where = f"the environment hook at {host(call.url)}"
        body = json.dumps(call.body, separators=(",", ":"))
        at = self.now()
        headers = {
            "webhook-id": call.webhook_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": self._signer(call).sign(call.webhook_id, at, body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        try:
            status, text = self._post(call.url, body.encode(), headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise Rejected(SYSTEM, f"the hook is not an http(s) URL (host {host(call.url)})") from None
        except httpx.TimeoutException as exc:
            message = f"{where} did not answer within {self.timeout:g} s"
            raise Unavailable(SYSTEM, message, uncertain=True) from exc
        except httpx.TransportError as exc:
            raise Unavailable(SYSTEM, f"cannot reach {where}: {type(exc).__name__}") from exc
        _check(status, text, where)
        log.info("%s confirmed %s (webhook-id %s)", where, call.body.get("action"), call.webhook_id)

    def _signer(self, call: HookCall) -> Webhook:
        secret = self.environ.get(call.secret_variable, "")
        if not secret:
            variable = call.secret_variable
            raise Rejected(SYSTEM, f"the environment variable {variable} (the hook's secret) is not set")
        try:
            return Webhook(secret)
        except (binascii.Error, ValueError, EmptyWebhookSecretError):
            raise Rejected(
                SYSTEM, f"{call.secret_variable} is not a Standard Webhooks secret (whsec_ and base64)"
            ) from None

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        # Through the transport, as the chat poster does: httpx.Client would log the URL.
        request = httpx.Request(
            "POST",
            url,
            content=body,
            headers=headers,
            extensions={"timeout": httpx.Timeout(self.timeout).as_dict()},
        )
        with httpx.HTTPTransport(verify=self.ssl_context) as transport:
            response = transport.handle_request(request)
            try:
                return response.status_code, response.read().decode("utf-8", "replace")
            finally:
                response.close()


def _check(status: int, body: str, where: str) -> None:
    if 200 <= status < 300:
        return
    said = f"{where} answered {status}" + (f": {' '.join(body.split())[:200]}" if body.strip() else "")
    if status == 429 or status >= 500:
        raise Unavailable(SYSTEM, said)
    raise Rejected(SYSTEM, said)
