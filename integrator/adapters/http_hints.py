"""The one reading of a server's "come back in N seconds" header (`Retry-After`, `ratelimit-reset`)."""

from __future__ import annotations


def retry_after_seconds(value: str | None) -> float | None:
    """`value` (a header's delay in seconds) as a non-negative number; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
