"""The one place the application asks for the current time.

Everything that compares against "now" (deadlines, the SLA sweep, token expiry) calls :func:`now`, so
tests and the benchmarks can move time with :func:`frozen` instead of sleeping.

Frozen clocks stack: the innermost one that is still open wins, and leaving one removes exactly that
one, so two threads that freeze and thaw in any interleaving (two concurrent sweeps in a test) never
leave a frozen clock behind.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_open: list[FrozenClock] = []


def now() -> datetime:
    """The current time, timezone-aware in UTC."""
    at = frozen_at()
    return at if at is not None else datetime.now(UTC)


def frozen_at() -> datetime | None:
    """The frozen time in effect, or None on the real clock."""
    stack = _open
    return stack[-1].at if stack else None


def thaw_all() -> None:
    """Back to the real clock, whatever is still frozen (for test isolation)."""
    with _lock:
        _open.clear()


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[FrozenClock]:
    """Freeze :func:`now` at ``at`` (aware) for the duration; ``advance`` moves it forward."""
    clock = FrozenClock(at)
    with _lock:
        _open.append(clock)
    try:
        yield clock
    finally:
        with _lock:
            # identity, not equality: two clocks frozen at the same moment are still two clocks
            for index in range(len(_open) - 1, -1, -1):
                if _open[index] is clock:
                    del _open[index]
                    break


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("frozen() needs an aware datetime")
        self.at = at.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self.at = self.at + timedelta(**delta)
        return self.at

    def set(self, at: datetime) -> datetime:
        self.at = at.astimezone(UTC)
        return self.at
