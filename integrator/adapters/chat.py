"""Posts to a team's Slack-compatible incoming webhook (httpx): `{"text": ...}`, one request, timed out.

A webhook URL is a secret (whoever has it can post), so errors and logs name only its host. For
that reason the request goes through httpx's transport rather than `httpx.Client`, which logs
every URL it requests. 429, 5xx and network errors leave as `Unavailable` (with the server's
`Retry-After`), other answers outside 2xx as `Rejected`.
"""

from __future__ import annotations

import logging
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from integrator.errors import Rejected, Unavailable

SYSTEM = "chat"
USER_AGENT = "integrator (chat webhook)"

log = logging.getLogger(__name__)


class HttpChatPoster:
    def __init__(self, timeout: float = 10.0, *, verify: ssl.SSLContext | str | bool = True) -> None:
        self.timeout = timeout
        # Built once (loading the CAs is the slow part); True: the system's CAs, or SSL_CERT_FILE when set.
        if isinstance(verify, str):
            verify = ssl.create_default_context(cafile=verify)
        self.ssl_context = (
            verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        )

    def post(self, webhook_url: str, text: str) -> None:
        where = f"the chat webhook at {host(webhook_url)}"
        try:
            request = httpx.Request(
                "POST",
                webhook_url,
                json={"text": text},
                headers={"User-Agent": USER_AGENT},
                extensions={"timeout": httpx.Timeout(self.timeout).as_dict()},
            )
            with httpx.HTTPTransport(verify=self.ssl_context) as transport:
                response = transport.handle_request(request)
                try:
                    body = response.read().decode("utf-8", "replace")
                finally:
                    response.close()
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):  # not chained: its message may quote the URL
            raise Rejected(
                SYSTEM, f"the team's chat webhook is not an http(s) URL (host {host(webhook_url)})"
            ) from None
        except httpx.TimeoutException as exc:
            raise Unavailable(
                SYSTEM, f"{where} did not answer within {self.timeout:g} s", uncertain=True
            ) from exc
        except httpx.TransportError as exc:
            raise Unavailable(SYSTEM, f"cannot reach {where}: {_redact(str(exc), webhook_url)}") from exc
        _check(response.status_code, body, response.headers.get("Retry-After"), where)
        log.info("posted to %s", where)


def _check(status: int, body: str, retry_after: str | None, where: str) -> None:
    if 200 <= status < 300:
        return
    said = f"{where} answered {status}" + (f": {' '.join(body.split())[:200]}" if body.strip() else "")
    if status == 429 or status >= 500:
        raise Unavailable(SYSTEM, said, retry_after=_seconds(retry_after))
    if 300 <= status < 400:
        raise Rejected(SYSTEM, f"{said} (a redirect: set the URL it points to as the team's chat_webhook)")
    raise Rejected(SYSTEM, said)


def host(url: str) -> str:
    """The part of a webhook URL that may be shown: its host (the path is the secret)."""
    try:
        return httpx.URL(url).host or "an invalid URL"
    except httpx.InvalidURL:
        return "an invalid URL"


def _redact(text: str, url: str) -> str:
    return text.replace(url, f"<{host(url)}>") if url else text


def _seconds(value: str | None) -> float | None:
    """A Retry-After value, in seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
