"""Loopback fakes of Jira and PagerDuty that speak their real APIs and check each request against the specs.

`FakeJira` and `FakePagerDuty` (start with `with`, or use the fixtures in `tests/conftest.py`),
the faults a test can arm on them (`Status`, `Drop`, `Delay`), and the seeded world in `world`.
"""

from tests.fakes.faults import Delay, Drop, Status
from tests.fakes.jira import FakeJira
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.records import Recorded, Violation

__all__ = ["Delay", "Drop", "FakeJira", "FakePagerDuty", "Recorded", "Status", "Violation"]
