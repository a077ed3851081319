"""The one place the application asks for the current time.

Everything that compares against "now" (deadlines, the SLA sweep, token expiry) calls :func:`now`, so
tests and the benchmarks can move time with :func:`frozen` instead of sleeping.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[FrozenClock]:
    """Freeze :func:`now` at ``at`` (aware) for the duration; ``advance`` moves it forward."""
    global _frozen
    previous = _frozen
    clock = FrozenClock(at)
    _frozen = clock.at
    try:
        yield clock
    finally:
        _frozen = previous


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("frozen() needs an aware datetime")
        self.at = at.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        global _frozen
        self.at = self.at + timedelta(**delta)
        _frozen = self.at
        return self.at

    def set(self, at: datetime) -> datetime:
        global _frozen
        self.at = at.astimezone(UTC)
        _frozen = self.at
        return self.at
