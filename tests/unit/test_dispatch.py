"""The dispatcher on the in-memory store: order, prerequisites, backoff, refusals and dry-run stand-ins."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from integrator.adapters.dryrun import DryRunChatPoster, DryRunMailer
from integrator.application.escalate import parse_report
from integrator.bootstrap import Services
from integrator.domain.escalation import EffectKind, EffectState, Message, Owed
from integrator.errors import Rejected, Unavailable
from tests.support import CATALOG, FakeClock, MemoryPager, MemoryTracker, memory_services, report_data

CHAT_CATALOG = CATALOG.replace(
    'breach_contacts = ["vp-eng@acme.example"]',
    'breach_contacts = ["vp-eng@acme.example"]\nchat_webhook = "https://chat.acme.example/hooks/ingest"',
)


@dataclass
class Outbox:
    """A mailer and a chat poster that keep what they are given."""

    mail: list[Message] = field(default_factory=list)
    posts: list[tuple[str, str]] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.mail.append(message)

    def post(self, webhook_url: str, text: str) -> None:
        self.posts.append((webhook_url, text))


def services_with_outbox(
    tmp_path: Path, clock: FakeClock, pager: MemoryPager, tracker: MemoryTracker
) -> tuple[Services, Outbox]:
    outbox = Outbox()
    services = memory_services(tmp_path, clock=clock, pager=pager, tracker=tracker, catalog=CHAT_CATALOG)
    services.dispatcher.handlers.mailer = outbox
    services.dispatcher.handlers.chat = outbox
    return services, outbox


def test_a_comment_waits_for_its_ticket_and_goes_out_once_the_ticket_is_filed(tmp_path: Path) -> None:
    clock, pager, tracker = FakeClock(), MemoryPager(), MemoryTracker()
    tracker.failures = [Unavailable("Jira", "503")]
    services, _ = services_with_outbox(tmp_path, clock, pager, tracker)
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    services.store.apply(
        escalation.id, now=clock.now(), owed=[Owed(EffectKind.COMMENT, "note", {"text": "Still on it"})]
    )

    services.dispatcher.drive(escalation.id)
    assert tracker.comments == []  # no ticket yet: the comment waits, it is not failed

    clock.advance(hours=1)
    services.dispatcher.drive_due()
    assert tracker.comments == [("ING-1", "Still on it")]
    assert all(f.state == EffectState.DONE for f in services.store.get(escalation.id).effects)


def test_every_owed_email_and_the_chat_post_go_out_once(tmp_path: Path) -> None:
    services, outbox = services_with_outbox(tmp_path, FakeClock(), MemoryPager(), MemoryTracker())
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    services.dispatcher.drive_due()

    assert sorted(m.to for m in outbox.mail) == [
        "alice@acme.example",
        "dana@acme.example",
        "priya@acme.example",
    ]
    assert [url for url, _ in outbox.posts] == ["https://chat.acme.example/hooks/ingest"]
    assert escalation.effect(EffectKind.CHAT, "escalated") is not None


def test_a_refused_note_is_failed_with_the_reason_on_the_timeline(tmp_path: Path) -> None:
    clock, pager, tracker = FakeClock(), MemoryPager(), MemoryTracker()
    services, _ = services_with_outbox(tmp_path, clock, pager, tracker)
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    pager.failures = [Rejected("PagerDuty", "incident is resolved")]
    services.store.apply(escalation.id, now=clock.now(), owed=[Owed(EffectKind.NOTE, "x", {"text": "hi"})])

    after = services.dispatcher.drive(escalation.id)

    note = after.effect(EffectKind.NOTE, "x")
    assert note is not None
    assert note.state == EffectState.FAILED
    assert note.last_error == "PagerDuty: incident is resolved"
    assert after.timeline[-1].text == "note x failed: PagerDuty: incident is resolved"


def test_stand_ins_mark_every_effect_planned_and_claim_nothing_was_sent(tmp_path: Path) -> None:
    services = memory_services(tmp_path, catalog=CHAT_CATALOG)  # no credentials: bootstrap's stand-ins
    assert isinstance(services.dispatcher.handlers.mailer, DryRunMailer)
    assert isinstance(services.dispatcher.handlers.chat, DryRunChatPoster)

    escalation, _ = services.escalator.escalate(parse_report(report_data()))

    assert escalation.dry_run
    assert all(f.state == EffectState.DONE and f.result["dry_run"] for f in escalation.effects)
    assert escalation.page is None
    assert escalation.ticket is None
    assert escalation.pagerduty_state == "dry-run"
    assert escalation.jira_state == "dry-run"
    kinds = [e.kind for e in escalation.timeline]
    assert "paged" not in kinds
    assert "ticket_filed" not in kinds
    page = escalation.effect(EffectKind.PAGE)
    assert page is not None
    assert page.result["would_send"]["incident"]["incident_key"] == escalation.id
    texts = [e.text for e in escalation.timeline if e.kind == "dry_run"]
    assert "Dry-run: would page alice@acme.example on PagerDuty service PING001; nothing was sent" in texts
    assert "Dry-run: would post to the team's chat; nothing was sent" in texts
