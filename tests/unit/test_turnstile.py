"""The turnstile: at most `width` threads through at once, in the order they arrived."""

from __future__ import annotations

import threading
import time

import pytest

from integrator.application.turnstile import Turnstile


@pytest.mark.parametrize("width", [1, 2])
def test_threads_pass_in_the_order_they_arrived_never_more_than_width_at_once(width: int) -> None:
    gate = Turnstile(width)
    order: list[int] = []
    inside, most = 0, 0
    count = threading.Lock()
    first_in = threading.Event()
    hold = threading.Event()

    def through(n: int) -> None:
        nonlocal inside, most
        with gate.passing():
            with count:
                inside += 1
                most = max(most, inside)
                order.append(n)
            first_in.set()
            hold.wait(5)
            with count:
                inside -= 1

    threads = []
    for n in range(8):  # each arrives after the one before has its place at the gate
        thread = threading.Thread(target=through, args=(n,))
        thread.start()
        threads.append(thread)
        first_in.wait(5)
        deadline = time.monotonic() + 5
        while gate.arrived < n + 1 and time.monotonic() < deadline:
            time.sleep(0.001)
    hold.set()
    for thread in threads:
        thread.join(5)

    # Admitted in the order they came; one at a time, that is also the order they went through
    # (two at a time, one admitted first may still be overtaken inside by the other).
    if width == 1:
        assert order == list(range(8))
    assert sorted(order) == list(range(8))
    assert order[:width] == list(range(width))
    assert most == width


def test_a_holder_that_raises_still_lets_the_next_through() -> None:
    gate = Turnstile(1)
    with pytest.raises(RuntimeError), gate.passing():
        raise RuntimeError("boom")
    passed = threading.Event()

    def next_one() -> None:
        with gate.passing():
            passed.set()

    thread = threading.Thread(target=next_one)
    thread.start()
    thread.join(5)
    assert passed.is_set()


def test_a_gate_lets_at_least_one_through() -> None:
    with pytest.raises(ValueError, match="width"):
        Turnstile(0)
