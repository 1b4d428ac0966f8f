"""`integrator doctor --send-test`: the one check that writes, a labelled test to each chat and mailbox."""

from __future__ import annotations

from email.utils import parseaddr

from integrator.application.ports import ChatPoster, Mailer
from integrator.domain.checkup import SETUP, Finding
from integrator.domain.escalation import Message
from integrator.domain.owner import Team
from integrator.errors import IntegrationError

LABEL = "[integrator doctor: test message]"
CHAT_TEXT = (
    "{label} integrator can post to the chat webhook of {team}. Nothing is broken and no one needs to act;"
    " an operator ran `integrator doctor --send-test`."
)
EMAIL_BODY = (
    "integrator can send email through this server. Nothing is broken and no one needs to act;\n"
    "an operator ran `integrator doctor --send-test`.\n"
)


class TestSend:
    """A `WiringCheck` that, unlike every other, sends: one post per team chat webhook, and (with a
    mailer) one email to the sender's own address. A refusal or an outage is a problem finding."""

    __test__ = False  # not a test class, whatever its name says
    system = "send-test"

    def __init__(self, *, chat: ChatPoster, mailer: Mailer | None = None, sender: str = "") -> None:
        self._chat = chat
        self._mailer = mailer
        self._sender = parseaddr(sender)[1] or sender

    def check_access(self) -> list[Finding]:
        if self._mailer is None:
            reason = "no INTEGRATOR_SMTP__HOST and __FROM: no test email sent"
            return [Finding.not_checked(SETUP, "smtp.send_test", reason)]
        message = Message(to=self._sender, subject=f"{LABEL} integrator can send email", body=EMAIL_BODY)
        try:
            self._mailer.send(message)
        except IntegrationError as exc:
            return [Finding.problem(SETUP, "smtp.send_test", f"{exc}: check INTEGRATOR_SMTP__*")]
        return [Finding.ok(SETUP, "smtp.send_test", f"test email sent to {self._sender}")]

    def check_team(self, team: Team) -> list[Finding]:
        if not team.chat_webhook:
            return []
        try:
            self._chat.post(team.chat_webhook, CHAT_TEXT.format(label=LABEL, team=team.handle))
        except IntegrationError as exc:
            fix = f"{exc}: check chat_webhook in the catalog"
            return [Finding.problem(team.handle, "chat.send_test", fix)]
        return [Finding.ok(team.handle, "chat.send_test", "test message posted")]


class NothingSent:
    """The `--send-test` check when the run must send nothing (`INTEGRATOR_DRY_RUN=true`): why not."""

    system = "send-test"

    def check_access(self) -> list[Finding]:
        reason = "INTEGRATOR_DRY_RUN=true: no test message was sent"
        return [Finding.not_checked(SETUP, "send_test", reason)]

    def check_team(self, team: Team) -> list[Finding]:
        return []
