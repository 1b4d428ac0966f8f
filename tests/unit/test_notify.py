"""What each stakeholder is told, and what each must not see."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from integrator.domain.escalation import Escalation, Event, Page, State, Ticket
from integrator.messages import audiences, chat, customer
from integrator.messages import email as emails
from tests.builders import CREATED_AT, make_escalation, make_report, make_team

TRACE = """Traceback (most recent call last):
  File "/app/services/ingest/api/batch.py", line 88, in flush
    rows = pool.acquire(timeout=2)
  File "/usr/lib/python3.11/site-packages/sqlalchemy/pool/base.py", line 7, in acquire
    raise TimeoutError("QueuePool limit of size 5 overflow 10 reached")
TimeoutError: QueuePool limit of size 5 overflow 10 reached
"""
PD_URL = "https://acme.pagerduty.com/incidents/Q2K7YV1Z"
JIRA_URL = "https://acme.atlassian.net/browse/ING-412"


def paged(**fields: Any) -> Escalation:
    """Globex's escalation once alice is paged and the P1 filed; the SE works from New York."""
    report = make_report(failure={"stack_trace": TRACE}, reporter={"time_zone": "America/New_York"})
    defaults: dict[str, Any] = {
        "report": report,
        "state": State.PAGED,
        "page": Page(incident_id="Q2K7YV1Z", url=PD_URL, assignee="PUSER01"),
        "pagerduty_state": "triggered",
        "ticket": Ticket(key="ING-412", url=JIRA_URL),
        "jira_state": "new",
        "jira_status": "To Do",
    }
    return make_escalation(**{**defaults, **fields})


def fixed() -> Escalation:
    return paged(
        state=State.FIXED,
        acknowledged_at=CREATED_AT + timedelta(minutes=6),
        acknowledged_by="Alice Liddell",
        fixed_at=CREATED_AT + timedelta(hours=20),
        jira_state="done",
        jira_status="Done",
    )


def email(escalation: Escalation, topic: str, role: str) -> str:
    to = dict(audiences.recipients(escalation, "escalated"))
    to |= {"breach_contact": "vp-eng@acme.example"}
    message = emails.compose(escalation, topic=topic, role=role, to=to[role])
    return f"{message.subject}\n{message.body}"


# -- who hears of what ---------------------------------------------------------------------------


def test_an_escalation_is_told_to_the_sponsor_the_account_executive_the_se_and_the_engineer() -> None:
    assert sorted(audiences.recipients(paged(), "escalated")) == [
        ("account_executive", "sam@acme.example"),
        ("engineer", "alice@acme.example"),
        ("executive_sponsor", "dana@acme.example"),
        ("reporter", "priya@acme.example"),
    ]


def test_people_without_an_email_are_skipped_and_an_address_is_told_once() -> None:
    report = make_report(
        deal={
            "executive_sponsor": {"name": "Dana Whitfield"},
            "account_executive": {"email": "PRIYA@acme.example"},
        }
    )
    assert audiences.recipients(make_escalation(report=report), "escalated") == [
        ("engineer", "alice@acme.example"),
        ("reporter", "priya@acme.example"),
    ]


@pytest.mark.parametrize("topic", ["acknowledged", "in_progress", "fixed", "page_resolved"])
def test_state_changes_are_told_to_the_reporting_se(topic: str) -> None:
    assert audiences.recipients(paged(), topic) == [("reporter", "priya@acme.example")]


@pytest.mark.parametrize("topic", ["fix-50", "fix-75", "rca"])
def test_reminders_go_to_the_engineer_and_the_se(topic: str) -> None:
    assert audiences.recipients(paged(), topic) == [
        ("engineer", "alice@acme.example"),
        ("reporter", "priya@acme.example"),
    ]


def test_a_breach_is_told_to_the_teams_breach_contacts_as_well() -> None:
    team = make_team(breach_contacts=("vp-eng@acme.example", "alice@acme.example", "cto@acme.example"))
    escalation = paged(owner=replace(paged().owner, team=team))
    assert audiences.recipients(escalation, "breach") == [
        ("engineer", "alice@acme.example"),
        ("reporter", "priya@acme.example"),
        ("breach_contact", "vp-eng@acme.example"),
        ("breach_contact", "cto@acme.example"),
    ]


def test_an_unknown_topic_or_role_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="topic: unknown 'fix-90'"):
        audiences.recipients(paged(), "fix-90")
    with pytest.raises(ValueError, match="role: unknown 'cfo'"):
        emails.compose(paged(), topic="escalated", role="cfo", to="cfo@acme.example")


# -- what each role reads -----------------------------------------------------------------------


def test_the_engineer_gets_the_deal_the_trace_the_links_the_deadlines_and_why_them() -> None:
    text = email(paged(), "escalated", "engineer")
    assert text.startswith("Escalated: [POC] Globex ($480k ARR): Batch ingest drops rows\n")
    for expected in (
        "ARR at stake: 480,000 USD",
        "Success criterion violated: MSP-3: zero data loss",
        "Observed: 1.2% of rows missing after the 02:00 batch",
        "  - services/ingest/api/batch.py",
        'File "/app/services/ingest/api/batch.py", line 88, in flush',
        "TimeoutError: QueuePool limit of size 5 overflow 10 reached",
        f"PagerDuty: incident Q2K7YV1Z {PD_URL}",
        f"Jira P1: ING-412 {JIRA_URL}",
        "Escalation: https://integrator.acme.example/escalations/e5c0ffee1234",
        "RCA promised to the customer by: 2026-11-28 17:00 UTC",
        "Fix due: 2026-11-30 15:00 UTC (48 hours from the report)",
        "Why you: 'services/ingest/api/batch.py' matches line 3 (/services/ingest/) of the registry",
    ):
        assert expected in text


def test_a_long_trace_is_cut_but_keeps_the_owning_frame_and_the_error() -> None:
    noise = "".join(
        f'  File "/usr/lib/python3.11/site-packages/lib{i}.py", line {i}, in f\n    f()\n' for i in range(40)
    )
    trace = f"Traceback (most recent call last):\n{noise}{TRACE.split(chr(10), 1)[1]}"
    escalation = paged(report=make_report(failure={"stack_trace": trace}))
    text = email(escalation, "escalated", "engineer")
    assert "lines left out" in text
    assert "lib20.py" not in text
    assert 'File "/app/services/ingest/api/batch.py", line 88, in flush' in text
    assert "TimeoutError: QueuePool limit" in text


@pytest.mark.parametrize("role", ["executive_sponsor", "account_executive"])
def test_executives_get_the_summary_and_no_stack_trace(role: str) -> None:
    text = email(paged(), "escalated", role)
    for expected in (
        "Globex ($480k ARR) hit a failure in its proof-of-concept: Batch ingest drops rows.",
        "Deal: Globex, 480,000 USD ARR, POC ends 2026-12-05.",
        "It violates the success criterion MSP-3: zero data loss. The customer halted the test.",
        "Who is engaged: alice@acme.example (@acme/ingest, ingest-api) was paged directly",
        "Jira P1 ING-412 status: To Do.",
        "Root-cause analysis by 2026-11-28 17:00 UTC: due",
        "Fix by 2026-11-30 15:00 UTC: due",
    ):
        assert expected in text
    assert "Traceback" not in text
    assert "QueuePool" not in text
    assert "batch.py" not in text


def test_the_se_gets_the_status_the_page_and_a_nudge_in_their_own_time_zone() -> None:
    text = email(paged(), "escalated", "reporter")
    assert "Status: paged." in text
    assert "Escalation page: https://integrator.acme.example/escalations/e5c0ffee1234" in text
    assert "Root-cause analysis by 2026-11-28 12:00 EST (America/New_York): due" in text
    assert "Next: tell Hank Scorpio <hank@globex.example> that the failure is escalated" in text
    assert "Traceback" not in text


def test_the_se_is_nudged_to_tell_the_customer_the_engineer_is_engaged_once_acknowledged() -> None:
    escalation = paged(
        state=State.ACKNOWLEDGED,
        acknowledged_at=CREATED_AT + timedelta(minutes=6),
        acknowledged_by="Alice Liddell",
    )
    text = email(escalation, "acknowledged", "reporter")
    assert text.startswith("Acknowledged: ")
    assert "Alice Liddell acknowledged the page at 2026-11-28 10:06 EST (America/New_York)." in text
    assert "that the owning engineering lead is engaged" in text


def test_without_an_economic_buyers_email_the_se_is_told_no_draft_exists() -> None:
    escalation = paged(report=make_report(deal={"economic_buyer": None}))
    assert "no customer update is drafted" in email(escalation, "escalated", "reporter")


def test_a_fix_in_progress_needs_no_customer_nudge() -> None:
    text = email(paged(jira_state="indeterminate", jira_status="In Progress"), "in_progress", "reporter")
    assert "The fix is in progress: ING-412 is In Progress." in text
    assert "Next:" not in text


@pytest.mark.parametrize(("topic", "share", "hours"), [("fix-50", "50%", "24"), ("fix-75", "75%", "36")])
def test_reminders_say_how_much_of_the_window_is_gone_and_the_exact_deadline(
    topic: str, share: str, hours: str
) -> None:
    text = email(paged(), topic, "engineer")
    assert (
        f"{share} of the 48-hour fix window has passed ({hours} hours). The fix is due 2026-11-30 15:00 UTC."
        in text
    )
    assert (
        f"{share} of the 48-hour fix window has passed ({hours} hours). The fix is due 2026-11-30 10:00 EST"
        in (email(paged(), topic, "reporter"))
    )


def test_the_rca_reminder_says_it_is_due_now() -> None:
    text = email(paged(), "rca", "engineer")
    assert text.startswith("RCA due now: ")
    assert "The root-cause analysis promised to the customer is due now: 2026-11-28 17:00 UTC." in text


def test_a_breach_says_the_fix_is_overdue_to_everyone_told() -> None:
    breached = paged(
        timeline=(Event(at=CREATED_AT + timedelta(hours=48), kind="clock:breach", text="", data={}),)
    )
    for role in ("engineer", "reporter", "breach_contact"):
        text = email(breached, "breach", role)
        assert text.startswith("OVERDUE: ")
        assert "The fix is overdue: the 48-hour fix clock ran out at" in text
    contact = email(breached, "breach", "breach_contact")
    assert "Fix by 2026-11-30 15:00 UTC: OVERDUE" in contact
    assert "You are a breach contact of @acme/ingest." in contact
    assert "Traceback" not in contact


def test_a_dry_run_says_nothing_was_sent() -> None:
    escalation = make_escalation(dry_run=True, pagerduty_state="dry-run", jira_state="dry-run")
    text = email(escalation, "escalated", "engineer")
    assert "PagerDuty: dry-run, nothing sent" in text
    assert "Jira P1: dry-run, nothing filed" in text


# -- the team's chat ---------------------------------------------------------------------------


def test_the_chat_post_links_everything_and_escapes_what_people_typed() -> None:
    report = make_report(deal={"account": "Smith & Sons <EU>"})
    text = chat.chat_text(paged(report=report), "escalated")
    assert (
        text.splitlines()[0]
        == "*Escalated*: [POC] Smith &amp; Sons &lt;EU&gt; ($480k ARR): Batch ingest drops rows"
    )
    assert f"<{JIRA_URL}|ING-412>" in text
    assert f"<{PD_URL}|Q2K7YV1Z>" in text
    assert "<https://integrator.acme.example/escalations/e5c0ffee1234|escalation>" in text
    assert "Smith & Sons" not in text


# -- what the customer reads -------------------------------------------------------------------


INTERNAL = (
    "480",
    "$480k",
    "alice@",
    "priya@",
    "@acme/",
    "ING-412",
    "Q2K7YV1Z",
    "Traceback",
    "QueuePool",
    "escalations/",
)


def test_the_customer_draft_goes_to_the_economic_buyer_in_the_protocols_words() -> None:
    draft = customer.customer_update_draft(paged())
    assert draft is not None
    assert draft.to == "hank@globex.example"
    assert draft.subject == "Update: Batch ingest drops rows in your proof-of-concept"
    for expected in (
        "Hi Hank,",
        "What failed: Batch ingest drops rows. What you saw: 1.2% of rows missing after the 02:00 batch.",
        "It violates a success criterion we agreed on in our Mutual Success Plan: MSP-3: zero data loss.",
        "We know it halted the test in your environment",
        "Our engineering lead for ingest-api has been paged directly and is engaged.",
        "You will receive the root-cause analysis by Saturday 28 November 2026 at 12:00 EST.",
        "Our commitment is a fix by Monday 30 November 2026 at 10:00 EST",
        "Best regards,\nPriya Natarajan",
    ):
        assert expected in draft.body
    for internal in INTERNAL:
        assert internal not in f"{draft.subject}\n{draft.body}"


def test_the_customer_draft_mentions_the_halted_test_only_when_it_was_halted() -> None:
    draft = customer.customer_update_draft(paged(report=make_report(failure={"test_halted": False})))
    assert draft is not None
    assert "halted" not in draft.body


def test_before_the_page_the_draft_says_it_is_escalated_not_that_someone_is_engaged() -> None:
    draft = customer.customer_update_draft(make_escalation())
    assert draft is not None
    assert "We have escalated it directly to our engineering lead for ingest-api." in draft.body
    assert "engaged" not in draft.body


def test_once_acknowledged_the_draft_says_since_when_the_lead_is_on_it_and_that_a_fix_is_in_progress() -> (
    None
):
    escalation = paged(
        state=State.ACKNOWLEDGED,
        acknowledged_at=CREATED_AT + timedelta(minutes=6),
        acknowledged_by="Alice Liddell",
        jira_state="indeterminate",
        jira_status="In Progress",
    )
    draft = customer.customer_update_draft(escalation)
    assert draft is not None
    assert (
        "Our engineering lead for ingest-api is engaged and has been working on it since"
        " Saturday 28 November 2026 at 10:06 EST. A fix is in progress."
    ) in draft.body
    assert "Alice" not in draft.body


def test_there_is_no_customer_draft_without_the_economic_buyers_email() -> None:
    assert customer.customer_update_draft(paged(report=make_report(deal={"economic_buyer": None}))) is None
    no_email = make_report(deal={"economic_buyer": {"name": "Hank Scorpio"}})
    assert customer.customer_update_draft(paged(report=no_email)) is None


def test_once_fixed_the_draft_says_when_the_fix_was_deployed() -> None:
    rca = Event(at=CREATED_AT + timedelta(hours=3), kind="customer_update_sent", text="", data={"rca": True})
    draft = customer.customer_update_draft(
        replace(
            fixed(),
            timeline=(rca,),
            status_token="tok-123",
            status_url="https://integrator.acme.example/status/tok-123",
        )
    )
    assert draft is not None
    assert draft.subject.startswith("Fixed: ")
    assert "The fix was deployed on Sunday 29 November 2026 at 06:00 EST." in draft.body
    assert "We sent you the root-cause analysis on Saturday 28 November 2026 at 13:00 EST." in draft.body
    assert (
        "You can follow progress at any time here: https://integrator.acme.example/status/tok-123"
        in draft.body
    )
    assert "You will receive" not in draft.body
    for internal in ("Alice", *INTERNAL):
        assert internal not in draft.body


def test_the_status_page_timeline_follows_the_escalation_without_internal_details() -> None:
    events = (
        Event(
            at=CREATED_AT + timedelta(minutes=1),
            kind="paged",
            text="Paged alice@acme.example directly",
            data={},
        ),
        Event(at=CREATED_AT + timedelta(minutes=2), kind="ticket_filed", text="Filed P1 ING-412", data={}),
        Event(
            at=CREATED_AT + timedelta(minutes=30),
            kind="customer_update_sent",
            text="Customer update sent to hank@globex.example by priya@acme.example",
            data={"to": "hank@globex.example", "rca": False},
        ),
        Event(at=CREATED_AT + timedelta(hours=3), kind="customer_update_sent", text="", data={"rca": True}),
    )
    timeline = customer.customer_timeline(replace(fixed(), timeline=events))
    assert [(at - CREATED_AT, text) for at, text in timeline] == [
        (timedelta(0), "Issue reported to our engineering team"),
        (timedelta(minutes=1), "Our engineering lead for ingest-api was paged directly"),
        (timedelta(minutes=6), "Our engineering lead for ingest-api is engaged and working on it"),
        (timedelta(minutes=30), "Update sent"),
        (timedelta(hours=3), "Root-cause analysis sent"),
        (timedelta(hours=20), "Fix deployed"),
    ]
