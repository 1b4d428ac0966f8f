"""The PagerDuty adapter: payload (the incident), errors, and the client (`PagerDutyPager`)."""
