"""The one retry policy: transient errors only, bounded in attempts and time, honouring server hints.

Within one call, `RetryPolicy.call` retries `errors.Unavailable` with exponential backoff and
jitter, or after exactly the delay the server asked for (`Retry-After`, `ratelimit-reset`). A hint
longer than `max_wait` or than what is left of the time budget is not slept through: the error is
re-raised at once, and the effect stays pending for a later pass (`next_attempt_delay`).
`errors.Rejected` and everything else is never retried. The SDKs' own retries are turned off in
the adapters, so this is the only retry layer.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential_jitter

from integrator.errors import Unavailable

T = TypeVar("T")

log = logging.getLogger(__name__)

FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(minutes=15)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries before it gives up and leaves the effect pending."""

    attempts: int = 4
    max_seconds: float = 20.0
    base_wait: float = 0.5
    max_wait: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    @classmethod
    def none(cls) -> RetryPolicy:
        """One attempt, no waiting: for unit tests and callers that retry on their own schedule."""
        return cls(attempts=1, max_seconds=0.0, base_wait=0.0, max_wait=0.0)

    def call(self, fn: Callable[[int], T]) -> T:
        """`fn(attempt)` (1-based) until it returns, raises a non-transient error or the policy stops.

        The last `Unavailable` is re-raised as it was, so callers see the real cause.
        """
        started = self.clock()
        backoff = wait_exponential_jitter(multiplier=self.base_wait, max=self.max_wait, jitter=self.base_wait)

        def wait(state: RetryCallState) -> float:
            hint = _retry_after(state)
            return hint if hint is not None else float(backoff(state))

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= self.attempts:
                return True
            hint = _retry_after(state)
            if hint is not None and hint > self.max_wait:
                return True
            return self.clock() - started + state.upcoming_sleep > self.max_seconds

        retrying = Retrying(
            sleep=self.sleep,
            stop=stop,
            wait=wait,
            retry=retry_if_exception_type(Unavailable),
            before_sleep=_log_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                result = fn(attempt.retry_state.attempt_number)
        return result


def _retry_after(state: RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, Unavailable) and exc.retry_after is not None:
        return max(0.0, exc.retry_after)
    return None


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("attempt %d failed (%s); retrying in %.2fs", state.attempt_number, exc, state.upcoming_sleep)


def next_attempt_delay(
    attempts_so_far: int,
    *,
    at_least: float | None = None,
    rng: Callable[[], float] = random.random,
) -> timedelta:
    """How long a pending effect waits before its next pass: 30 s, 1 min, 2 min … at most 15 min.

    Jitter takes up to 15 % off each step so that effects failed together do not return together;
    `at_least` (a server's retry hint, in seconds) lengthens the wait when it is longer.
    """
    steps = max(attempts_so_far, 1) - 1
    base = min(FIRST_DELAY * (1 << min(steps, 16)), LONGEST_DELAY)
    delay = base * (1 - 0.15 * rng())
    if at_least is not None:
        delay = max(delay, timedelta(seconds=at_least))
    return delay
