"""The overview's trend: the period's leads by ISO week of publication (periods up to
``WEEKLY_MAX_DAYS``) or by month, in the programme's calendar (``published_day``). One query grouped
by day; the days are folded into weeks or months here (at most a few hundred rows)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from exchange.analytics import figures, sql
from exchange.analytics.overview_figures import claimed_never_contacted_condition, never_claimed_condition
from exchange.analytics.period import Filters, Period
from exchange.models import LeadFact
from exchange.platform.extensions import db

WEEKLY_MAX_DAYS = 120
_SUMS = ("published", "claimed", "never_claimed", "met", "missed", "cnc", "won")


@dataclass(frozen=True)
class TrendPoint:
    """One week or month: ``key`` like ``2026-W49`` or ``2026-12``, ``start`` its first day."""

    key: str
    start: date
    published: int
    claimed: int
    never_claimed: int
    claimed_never_contacted: int
    first_contact_met: int
    first_contact_missed: int
    won: int

    @property
    def response_rate(self) -> float | None:
        return figures.response_rate(self.claimed, self.claimed + self.never_claimed)

    @property
    def sla_compliance(self) -> float | None:
        return figures.share(self.first_contact_met, self.first_contact_met + self.first_contact_missed)

    @property
    def leakage(self) -> int:
        return self.never_claimed + self.claimed_never_contacted

    @property
    def leakage_rate(self) -> float | None:
        return figures.share(self.leakage, self.published)


@dataclass(frozen=True)
class Trend:
    unit: str  # "week" | "month"
    points: list[TrendPoint]


def unit_for(period: Period) -> str:
    return "week" if period.days <= WEEKLY_MAX_DAYS else "month"


def _bucket(day: date, unit: str) -> tuple[str, date]:
    if unit == "week":
        year, week, weekday = day.isocalendar()
        return f"{year}-W{week:02d}", day - timedelta(days=weekday - 1)
    return f"{day.year}-{day.month:02d}", day.replace(day=1)


def _buckets(period: Period, unit: str) -> list[tuple[str, date]]:
    """Every week or month the period touches, in order (empty ones too: a gap is a figure)."""
    seen: dict[str, date] = {}
    day = period.start
    while day <= period.end:
        key, start = _bucket(day, unit)
        seen.setdefault(key, start)
        day += timedelta(days=1)
    return list(seen.items())


def trend(manufacturer_id: int, period: Period, filters: Filters) -> Trend:
    unit = unit_for(period)
    f = LeadFact
    rows = db.session.execute(
        sa.select(
            f.published_day,
            sa.func.count(),
            sa.func.sum(sa.case((f.claimed_at.is_not(None), 1), else_=0)),
            sa.func.sum(sa.case((never_claimed_condition(), 1), else_=0)),
            sa.func.sum(f.first_contact_met),
            sa.func.sum(f.first_contact_missed),
            sa.func.sum(sa.case((claimed_never_contacted_condition(), 1), else_=0)),
            sa.func.sum(sa.case((f.won_at.is_not(None), 1), else_=0)),
        )
        .where(*sql.fact_conditions(manufacturer_id, period, filters))
        .group_by(f.published_day)
    ).all()
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * len(_SUMS))
    for day, *values in rows:
        if isinstance(day, str):  # SQLite without type information on a grouped column
            day = date.fromisoformat(day)
        key, _start = _bucket(day, unit)
        total = sums[key]
        for index, value in enumerate(values):
            total[index] += int(value or 0)
    points = []
    for key, start in _buckets(period, unit):
        published, claimed, never, met, missed, cnc, won = sums.get(key, [0] * len(_SUMS))
        points.append(TrendPoint(key, start, published, claimed, never, cnc, met, missed, won))
    return Trend(unit, points)
