"""The doctor's check of SMTP: connect, STARTTLS and log in, then quit without sending anything."""

from __future__ import annotations

import smtplib
import ssl

from integrator.domain.checkup import SETUP, Finding
from integrator.domain.owner import Team
from integrator.settings import SmtpSettings


class SmtpWiring:
    """The `WiringCheck` of the mail server."""

    system = "SMTP"

    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._settings = settings
        self._context = ssl_context

    def check_access(self) -> list[Finding]:
        settings = self._settings
        where = f"{settings.host}:{settings.port}"
        steps: list[str] = []
        try:
            with smtplib.SMTP(settings.host or "", settings.port, timeout=settings.timeout_seconds) as smtp:
                steps.append("connected")
                if settings.starttls:
                    smtp.starttls(context=self._context or ssl.create_default_context())
                    steps.append("STARTTLS")
                if settings.username:
                    password = settings.password.get_secret_value() if settings.password else ""
                    smtp.login(settings.username, password)
                    steps.append(f"logged in as {settings.username}")
        except smtplib.SMTPAuthenticationError as exc:
            fix = f"{where} refused the login ({exc.smtp_code}): check INTEGRATOR_SMTP__USERNAME, __PASSWORD"
            return [Finding.problem(SETUP, "smtp.access", fix)]
        except (OSError, smtplib.SMTPException) as exc:
            done = f" (after: {', '.join(steps)})" if steps else ""
            fix = f"{where}: {exc}{done}: check INTEGRATOR_SMTP__HOST, __PORT and __STARTTLS"
            return [Finding.problem(SETUP, "smtp.access", fix)]
        return [Finding.ok(SETUP, "smtp.access", f"{where}: {', '.join(steps)}; nothing sent")]

    def check_team(self, team: Team) -> list[Finding]:
        return []
