"""When the root-cause analysis is promised to a customer unless the report says (no I/O)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

RCA_HOUR = time(17, 0)
RCA_MIN_LEAD = timedelta(hours=4)


def default_rca_due(now: datetime, time_zone: str) -> datetime:
    """17:00 today in the reporter's time zone, or 4 hours ahead when 17:00 is less than 4 hours away."""
    local_now = now.astimezone(ZoneInfo(time_zone))
    five_pm = datetime.combine(local_now.date(), RCA_HOUR, tzinfo=local_now.tzinfo)
    if five_pm - local_now < RCA_MIN_LEAD:
        return local_now + RCA_MIN_LEAD
    return five_pm
