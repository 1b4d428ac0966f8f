"""The one retry policy, on a fake clock: what is retried, how long it waits, and when it gives up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from integrator.application.retrying import RetryPolicy, next_attempt_delay
from integrator.errors import Rejected, Unavailable


class FakeTime:
    """A monotonic clock that only moves when the policy sleeps or a call 'takes' time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def policy(
    time: FakeTime,
    *,
    attempts: int = 4,
    max_seconds: float = 20.0,
    base_wait: float = 0.5,
    max_wait: float = 8.0,
) -> RetryPolicy:
    return RetryPolicy(attempts, max_seconds, base_wait, max_wait, sleep=time.sleep, clock=time.clock)


def failing(times: int, make: Callable[[int], Exception], *, then: str = "done") -> Callable[[int], str]:
    """A call that raises `make(attempt)` for its first `times` attempts, then returns `then`."""

    def call(attempt: int) -> str:
        if attempt <= times:
            raise make(attempt)
        return then

    return call


def unavailable(attempt: int) -> Unavailable:
    return Unavailable("Jira", f"503 on attempt {attempt}")


def test_a_transient_error_is_retried_until_the_call_succeeds() -> None:
    time, attempts = FakeTime(), []

    def call(attempt: int) -> str:
        attempts.append(attempt)
        return failing(2, unavailable)(attempt)

    assert policy(time).call(call) == "done"
    assert attempts == [1, 2, 3]
    assert len(time.sleeps) == 2
    assert all(0 < s <= 8.0 for s in time.sleeps)


def test_a_rejection_is_raised_at_once_and_never_retried() -> None:
    time, attempts = FakeTime(), []

    def call(attempt: int) -> str:
        attempts.append(attempt)
        raise Rejected("Jira", "400 project: valid project is required")

    with pytest.raises(Rejected, match="valid project"):
        policy(time).call(call)
    assert attempts == [1]
    assert time.sleeps == []


def test_an_unexpected_error_is_not_retried() -> None:
    time = FakeTime()
    with pytest.raises(KeyError):
        policy(time).call(failing(5, lambda _: KeyError("id")))
    assert time.sleeps == []


def test_waits_exactly_as_long_as_the_server_asked() -> None:
    time = FakeTime()
    hinted = failing(1, lambda _: Unavailable("PagerDuty", "429", retry_after=3))
    assert policy(time).call(hinted) == "done"
    assert time.sleeps == [3.0]


def test_a_retry_hint_longer_than_the_longest_wait_gives_up_at_once() -> None:
    time, attempts = FakeTime(), []
    error = Unavailable("PagerDuty", "429", retry_after=30)

    def call(attempt: int) -> str:
        attempts.append(attempt)
        raise error

    with pytest.raises(Unavailable) as raised:
        policy(time, max_wait=8.0).call(call)
    assert raised.value is error
    assert attempts == [1]
    assert time.sleeps == []


def test_a_retry_hint_beyond_the_time_budget_gives_up_instead_of_sleeping_past_it() -> None:
    time = FakeTime()

    def slow_rate_limited(attempt: int) -> str:
        time.now += 4.0  # the call itself took 4 s of the 5 s budget
        raise Unavailable("Jira", "429", retry_after=2)

    with pytest.raises(Unavailable):
        policy(time, max_seconds=5.0).call(slow_rate_limited)
    assert time.sleeps == []
    assert time.now == 4.0


def test_gives_up_after_the_last_attempt_and_raises_the_last_error() -> None:
    time = FakeTime()
    with pytest.raises(Unavailable, match="attempt 4"):
        policy(time, attempts=4).call(failing(10, unavailable))
    assert len(time.sleeps) == 3


def test_gives_up_when_the_time_budget_is_spent() -> None:
    time, attempts = FakeTime(), []

    def slow_failure(attempt: int) -> str:
        attempts.append(attempt)
        time.now += 6.0
        raise unavailable(attempt)

    with pytest.raises(Unavailable):
        policy(time, attempts=10, max_seconds=20.0).call(slow_failure)
    assert len(attempts) == 3
    assert time.now - 6.0 <= 20.0  # no attempt started after the budget was spent


def test_backoff_grows_and_is_capped_at_the_longest_wait() -> None:
    time = FakeTime()
    with pytest.raises(Unavailable):
        policy(time, attempts=8, max_seconds=1_000.0, base_wait=0.5, max_wait=8.0).call(
            failing(99, unavailable)
        )
    assert len(time.sleeps) == 7
    assert time.sleeps[0] < 1.5
    assert all(0 < s <= 8.0 for s in time.sleeps)
    assert time.sleeps[-1] == 8.0


def test_none_makes_one_attempt_and_never_waits() -> None:
    attempts: list[int] = []

    def call(attempt: int) -> str:
        attempts.append(attempt)
        raise unavailable(attempt)

    with pytest.raises(Unavailable):
        RetryPolicy.none().call(call)
    assert attempts == [1]


def test_pending_effects_back_off_from_30_seconds_to_at_most_15_minutes() -> None:
    no_jitter = [next_attempt_delay(n, rng=lambda: 0.0) for n in range(1, 8)]
    assert no_jitter == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 900, 900)]
    assert next_attempt_delay(10_000) <= timedelta(minutes=15)


def test_pending_effect_jitter_only_ever_shortens_the_wait() -> None:
    assert next_attempt_delay(1, rng=lambda: 1.0) == timedelta(seconds=25.5)
    assert all(timedelta(seconds=25.5) <= next_attempt_delay(1) <= timedelta(seconds=30) for _ in range(50))


def test_a_pending_effect_waits_at_least_as_long_as_the_server_asked() -> None:
    assert next_attempt_delay(1, at_least=120, rng=lambda: 0.0) == timedelta(minutes=2)
    assert next_attempt_delay(1, at_least=5, rng=lambda: 0.0) == timedelta(seconds=30)
