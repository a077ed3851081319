"""Coverage gaps over time: the leads no partner could take, by week or month and by cause.

Counted from the ``lead.unmatched`` events of the period (matching writes one each time it finds no
partner for a lead, with the cause in its data; an event without one takes the cause from the lead's
``match_summary``). A lead counts once per week or month and cause, however often matching tried it
again. Weeks (Monday first) for periods up to 120 days, else calendar months, in the programme's time
zone. The lead filters (country, region, product line, campaign, temperature at publication) apply
through ``lead_facts``; partner and tier do not (no partner was offered these leads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from exchange.analytics import sql
from exchange.analytics.period import Scope
from exchange.models import Event, Lead, LeadFact
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from matching import codes

WEEKLY_UP_TO_DAYS = 120
# The causes in the order of the matching funnel (a cause not in it comes last).
CAUSES = (*codes.GAP_FUNNEL, codes.NO_PARTNERS)


@dataclass(frozen=True)
class GapBucket:
    start: date  # the Monday of the week, or the first of the month
    counts: dict[str, int]  # cause -> leads

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class CoverageOverTime:
    granularity: str  # "week" | "month"
    causes: list[str]  # the causes that occur, in funnel order
    buckets: list[GapBucket]
    totals: dict[str, int]  # cause -> leads over the whole period (a lead once per cause)

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "granularity": self.granularity,
            "causes": self.causes,
            "totals": self.totals,
            "buckets": [
                {"start": b.start.isoformat(), "counts": b.counts, "total": b.total} for b in self.buckets
            ],
        }


def bucket_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(start: date, granularity: str) -> date:
    if granularity == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def coverage_over_time(manufacturer_id: int, scope: Scope) -> CoverageOverTime:
    """The unmatched leads of the scope's period by week or month and cause."""
    period, filters = scope.period, scope.filters
    granularity = "week" if period.days <= WEEKLY_UP_TO_DAYS else "month"
    low, high = period.bounds()
    query = (
        sa.select(Event.lead_id, Event.occurred_at, Event.data, Lead.match_summary)
        .join(Lead, Lead.id == Event.lead_id)
        .where(
            Event.manufacturer_id == manufacturer_id,
            Event.type == LeadEvent.LEAD_UNMATCHED.value,
            Event.occurred_at >= low,
            Event.occurred_at < high,
            Lead.manufacturer_id == manufacturer_id,
        )
    )
    conditions = sql.lead_conditions(filters)
    if conditions:  # the lead's dimensions as the other figures read them (temperature at publication)
        query = query.join(LeadFact, LeadFact.lead_id == Event.lead_id).where(*conditions)
    zone = _zone(period.tz)
    seen: dict[tuple[date, str], set[int]] = {}
    overall: dict[str, set[int]] = {}
    for lead_id, occurred_at, data, summary in db.session.execute(query):
        cause = (data or {}).get("cause") or (summary or {}).get("cause") or codes.NO_PARTNERS
        day = occurred_at.astimezone(zone).date()
        seen.setdefault((bucket_start(day, granularity), cause), set()).add(lead_id)
        overall.setdefault(cause, set()).add(lead_id)
    causes = sorted(overall, key=lambda c: CAUSES.index(c) if c in CAUSES else len(CAUSES))
    buckets = []
    start = bucket_start(period.start, granularity)
    while start <= period.end:
        buckets.append(GapBucket(start, {cause: len(seen.get((start, cause), ())) for cause in causes}))
        start = _next(start, granularity)
    return CoverageOverTime(granularity, causes, buckets, {cause: len(overall[cause]) for cause in causes})


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
