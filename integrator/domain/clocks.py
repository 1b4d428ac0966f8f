"""The clocks of an escalation: when the root-cause analysis is promised and when the fix is due."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from integrator.domain.escalation import Topic

RCA_HOUR = time(17, 0)
RCA_MIN_LEAD = timedelta(hours=4)
MILESTONES = {Topic.FIX_50: 0.5, Topic.FIX_75: 0.75}  # reminders at these shares of the fix window


def default_rca_due(now: datetime, time_zone: str) -> datetime:
    """17:00 today in the reporter's time zone, or 4 hours ahead when 17:00 is less than 4 hours away."""
    local_now = now.astimezone(ZoneInfo(time_zone))
    five_pm = datetime.combine(local_now.date(), RCA_HOUR, tzinfo=local_now.tzinfo)
    if five_pm - local_now < RCA_MIN_LEAD:
        return local_now + RCA_MIN_LEAD
    return five_pm


def fix_due(created_at: datetime, fix_hours: float) -> datetime:
    return created_at + timedelta(hours=fix_hours)
