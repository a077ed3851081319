"""The frozen clock: nesting, advancing, and threads that freeze and thaw in any order."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from exchange.platform import clock

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_nested_clocks_restore_the_outer_one():
    with clock.frozen(T) as outer:
        with clock.frozen(T + timedelta(days=1)):
            assert clock.now() == T + timedelta(days=1)
        assert clock.now() == T
        outer.advance(minutes=5)
        assert clock.now() == T + timedelta(minutes=5)
    assert clock.frozen_at() is None


def test_clocks_left_out_of_order_leave_nothing_frozen():
    """Two threads (two concurrent sweeps) freeze at the same moment and leave in the other order."""
    first, second = clock.frozen(T), clock.frozen(T)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert clock.now() == T
    second.__exit__(None, None, None)
    assert clock.frozen_at() is None


def test_many_threads_never_leak_a_frozen_clock():
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        for _ in range(200):
            with clock.frozen(T):
                assert clock.now() == T

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.frozen_at() is None
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5
