"""Defects found in review of issue 13 (each test failed before its fix)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from exchange.analytics.period import Period


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("quarter", date(2026, 4, 1), date(2026, 6, 30)),  # Q2 has 91 days, Q1 90
        ("quarter", date(2026, 7, 1), date(2026, 9, 30)),  # Q3 92 days, Q2 91
        ("quarter", date(2026, 5, 31), date(2026, 5, 31)),  # never past the quarter before's end
        ("year", date(2028, 1, 1), date(2028, 12, 31)),  # a leap year after a common one
    ],
)
def test_the_period_before_never_overlaps_the_period(key, start, end):
    if key == "quarter":
        start = start.replace(day=1, month=3 * ((start.month - 1) // 3) + 1)
    current = Period(key, start, end, "Europe/Berlin")
    before = current.previous()
    assert before.end < current.start
    assert before.end == current.start - timedelta(days=1) or before.days == current.days
