"""The sync pass on the in-memory store and fakes: news flows back once, the clocks ring once, no echo."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from integrator.application.escalate import parse_report
from integrator.bootstrap import Services
from integrator.domain.escalation import EffectKind, EffectState, IssueStatus, State
from tests.support import FakeClock, MemoryPager, MemoryTracker, memory_services, report_data


def paged(tmp_path: Path) -> tuple[Services, FakeClock, MemoryPager, MemoryTracker, str]:
    clock, pager, tracker = FakeClock(), MemoryPager(), MemoryTracker()
    services = memory_services(tmp_path, clock=clock, pager=pager, tracker=tracker)
    escalation, _ = services.escalator.escalate(parse_report(report_data()))
    return services, clock, pager, tracker, escalation.id


def test_an_acknowledgement_is_commented_moves_the_p1_and_is_not_told_twice(tmp_path: Path) -> None:
    services, _, pager, tracker, escalation_id = paged(tmp_path)
    pager.states["P1"] = replace(pager.states["P1"], status="acknowledged", acknowledged_by="Alice Moreau")

    first = services.syncer.run_pass()
    second = services.syncer.run_pass()

    after = services.store.get(escalation_id)
    assert (first.changed, second.changed) == (1, 0)
    assert after.state == State.ACKNOWLEDGED
    assert after.acknowledged_by == "Alice Moreau"
    assert [text for _, text in tracker.comments if text.startswith("Acknowledged")] != []
    assert len(tracker.comments) == 1
    assert tracker.moves == [("ING-1", "indeterminate")]
    assert after.jira_state == "indeterminate"  # our own move is known: the next pull sees no news
    assert not first.pending


def test_a_done_p1_fixes_the_escalation_and_resolves_the_page_once(tmp_path: Path) -> None:
    services, clock, pager, tracker, escalation_id = paged(tmp_path)
    tracker.issues["ING-1"] = IssueStatus("ING-1", "Done", "done", "Fixed")

    services.syncer.run_pass()
    services.syncer.run_pass()

    after = services.store.get(escalation_id)
    assert after.state == State.FIXED
    assert after.fixed_at == clock.now()
    assert pager.resolved == ["P1"]
    assert after.effect(EffectKind.RESOLVE, "jira-done") is not None
    assert services.store.watching() == []


def test_the_breach_rings_once_with_a_note_a_comment_and_an_urgency_raise(tmp_path: Path) -> None:
    services, clock, pager, tracker, escalation_id = paged(tmp_path)
    clock.advance(hours=49)

    services.syncer.run_pass()
    clock.advance(hours=1)
    services.syncer.run_pass()

    after = services.store.get(escalation_id)
    assert [e.kind for e in after.timeline].count("clock:breach") == 1
    assert pager.raised == ["P1"]
    assert [text for _, text in pager.notes if "breached" in text] != []
    assert len([c for c in tracker.comments if "breached" in c[1]]) == 1
    breach_mail = after.effect(EffectKind.EMAIL, "breach:vp-eng@acme.example")
    assert breach_mail is not None
    assert breach_mail.state == EffectState.DONE


def test_a_pass_whose_lease_another_worker_holds_only_drives_due_effects(tmp_path: Path) -> None:
    services, clock, pager, _, _ = paged(tmp_path)
    services.store.take_lease(
        "sync-pass", holder="other", now=clock.now(), until=clock.now() + timedelta(minutes=5)
    )
    pager.states["P1"] = replace(pager.states["P1"], status="acknowledged")

    summary = services.syncer.run_pass()

    assert summary.skipped
    assert "incidents" not in pager.calls
