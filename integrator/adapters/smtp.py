"""Email through SMTP (smtplib): STARTTLS when set, login when a username is set, every call timed out.

Failures leave as `Unavailable` (connection refused or reset, timeouts, a dropped connection,
4xx answers) or `Rejected` (5xx answers, a refused recipient or login, a server without STARTTLS
or AUTH, an untrusted certificate). The password is sent to the server and nowhere else.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from integrator.domain.escalation import Message
from integrator.errors import ConfigError, IntegrationError, Rejected, Unavailable
from integrator.settings import SmtpSettings

SYSTEM = "email"

log = logging.getLogger(__name__)


class SmtpMailer:
    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        if not settings.host or not settings.from_:
            raise ConfigError("INTEGRATOR_SMTP__HOST and INTEGRATOR_SMTP__FROM are both needed to send email")
        password = settings.password.get_secret_value() if settings.password else ""
        if not (settings.username or "").isascii() or not password.isascii():
            # smtplib sends credentials as ASCII and would fail on every message, showing a character
            raise ConfigError("INTEGRATOR_SMTP__USERNAME and __PASSWORD may hold only ASCII characters")
        self.host, self.sender = settings.host, settings.from_
        self.settings = settings
        # The default context trusts the system's CAs, and SSL_CERT_FILE when it is set.
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.where = f"SMTP server {self.host}:{settings.port}"

    def build(self, message: Message) -> EmailMessage:
        """The email as it goes on the wire; `Rejected` when an address or the subject cannot be a header."""
        email = EmailMessage()
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "integrator.invalid"
        try:
            email["From"] = self.sender
            email["To"] = message.to
            email["Subject"] = " ".join(message.subject.split())
            email["Date"] = format_datetime(datetime.now(UTC))
            email["Message-ID"] = make_msgid(domain=domain)
        except ValueError as exc:
            raise Rejected(SYSTEM, f"cannot write the email to {message.to!r}: {exc}") from exc
        email.set_content(message.body)
        return email

    def send(self, message: Message) -> None:
        email = self.build(message)
        delivered = False
        try:
            smtp = smtplib.SMTP(self.host, self.settings.port, timeout=self.settings.timeout_seconds)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(exc) from exc
        try:
            if self.settings.starttls:
                smtp.starttls(context=self.ssl_context)
            if self.settings.username:
                password = self.settings.password.get_secret_value() if self.settings.password else ""
                smtp.login(self.settings.username, password)
            smtp.send_message(email)
            delivered = True
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(exc) from exc
        finally:
            if delivered:
                _quit(smtp)
            else:
                smtp.close()  # no QUIT after a failure: it may only wait again
        log.info("email sent to %s via %s: %s", message.to, self.where, email["Subject"])

    def _error(self, exc: smtplib.SMTPException | OSError) -> IntegrationError:
        """smtplib's errors in our words; 4xx and network trouble are worth a retry, the rest is not."""
        where = self.where
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            answers = [(code, _text(reply)) for code, reply in exc.recipients.values()]
            said = "; ".join(f"{code} {reply}" for code, reply in answers)
            if answers and all(400 <= code < 500 for code, _ in answers):
                return Unavailable(SYSTEM, f"{where} deferred the recipient: {said}")
            return Rejected(SYSTEM, f"{where} refused the recipient: {said}")
        if isinstance(exc, smtplib.SMTPResponseException):
            what = _STEPS.get(type(exc), "answered")
            said = f"{where} {what}: {exc.smtp_code} {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                return Unavailable(SYSTEM, said)
            return Rejected(SYSTEM, said)
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return Rejected(SYSTEM, f"{where}: {exc} (check INTEGRATOR_SMTP__STARTTLS and __USERNAME)")
        if isinstance(exc, smtplib.SMTPServerDisconnected) and not isinstance(exc.__context__, TimeoutError):
            return Unavailable(SYSTEM, f"{where} closed the connection: {exc}", uncertain=True)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return Rejected(SYSTEM, f"{where}: its TLS certificate is not trusted ({exc.verify_message})")
        if isinstance(exc, TimeoutError | smtplib.SMTPServerDisconnected):  # smtplib wraps some timeouts
            seconds = self.settings.timeout_seconds
            return Unavailable(SYSTEM, f"{where} did not answer within {seconds:g} s", uncertain=True)
        if isinstance(exc, smtplib.SMTPException):
            return Rejected(SYSTEM, f"{where}: {exc}")
        return Unavailable(SYSTEM, f"cannot reach {where}: {exc.strerror or exc}")


_STEPS: dict[type[smtplib.SMTPResponseException], str] = {
    smtplib.SMTPAuthenticationError: "refused the login",
    smtplib.SMTPSenderRefused: "refused the sender",
    smtplib.SMTPDataError: "refused the message",
    smtplib.SMTPConnectError: "refused the connection",
    smtplib.SMTPHeloError: "refused the greeting",
}


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:300]


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; the message is delivered, so a failed QUIT is no failure."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
