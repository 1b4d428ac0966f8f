"""The real adapters (the `jira` and `pagerduty` clients) pointed at the loopback fakes."""

from __future__ import annotations

from pydantic import SecretStr

from integrator.adapters.jira.client import JiraTracker
from integrator.adapters.pagerduty.client import PagerDutyPager
from integrator.settings import JiraSettings, PagerDutySettings
from tests.fakes.jira import FakeJira
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.world import JIRA_API_TOKEN, JIRA_EMAIL, PD_API_KEY, PD_FROM


def real_clients(
    jira: FakeJira, pagerduty: FakePagerDuty, *, timeout: float = 10
) -> tuple[JiraTracker, PagerDutyPager]:
    """A Jira Cloud tracker and a PagerDuty pager trusting the fake's CA; close both when done."""
    tracker = JiraTracker(
        JiraSettings(
            url=jira.url, email=JIRA_EMAIL, api_token=SecretStr(JIRA_API_TOKEN), timeout_seconds=timeout
        )
    )
    pager = PagerDutyPager(
        PagerDutySettings(
            api_key=SecretStr(PD_API_KEY), from_email=PD_FROM, api_url=pagerduty.url, timeout_seconds=timeout
        ),
        verify=str(pagerduty.ca_file),
    )
    return tracker, pager
