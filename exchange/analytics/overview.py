"""The channel manager's overview of a period: its figures beside those of the period before, the
funnel, leakage against the push model, the response-time distributions and the trend.

Everything is aggregated from ``lead_facts`` (``exchange.analytics.facts``) in a handful of queries:
one aggregate SELECT per period (``overview_figures``), one for the won revenue per currency per
period, and one GROUP BY day for the trend (``overview_trend``). The page, the CSV and the API all
read :func:`overview`, so they show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from exchange.analytics import figures, sql
from exchange.analytics.overview_figures import (
    BREACH_KINDS,
    BUCKETS,
    PUSH_MODEL_LEAKAGE,
    Figures,
    period_figures,
)
from exchange.analytics.overview_trend import Trend, TrendPoint, trend
from exchange.analytics.period import Filters, Period, Scope
from exchange.models import Campaign, Enrollment, Organisation, ProductLine
from exchange.platform.extensions import db

__all__ = [
    "BREACH_KINDS",
    "BUCKETS",
    "FIGURES",
    "FUNNEL_STEPS",
    "PUSH_MODEL_LEAKAGE",
    "Change",
    "Figures",
    "FunnelStep",
    "Overview",
    "Trend",
    "TrendPoint",
    "change",
    "filter_names",
    "overview",
]

# The figures compared with the previous period, in the order pages and the CSV list them:
# (key of Figures, kind). Kinds: "count" (leads or events), "rate" (0-1), "minutes".
FIGURES: tuple[tuple[str, str], ...] = (
    ("published", "count"),
    ("offered", "count"),
    ("claimed", "count"),
    ("awaiting", "count"),
    ("response_rate", "rate"),
    ("contacted", "count"),
    ("contacted_in_sla", "count"),
    ("qualified", "count"),
    ("won", "count"),
    ("lost", "count"),
    ("win_rate", "rate"),
    ("claim_minutes_median", "minutes"),
    ("claim_minutes_p90", "minutes"),
    ("contact_minutes_median", "minutes"),
    ("contact_minutes_p90", "minutes"),
    ("first_contact_met", "count"),
    ("first_contact_missed", "count"),
    ("sla_compliance", "rate"),
    ("breaches_total", "count"),
    ("recycled", "count"),
    ("returned", "count"),
    ("declines", "count"),
    ("returned_unclaimed", "count"),
    ("never_claimed", "count"),
    ("claimed_never_contacted", "count"),
    ("leakage", "count"),
    ("leakage_rate", "rate"),
)
FUNNEL_STEPS = ("published", "claimed", "contacted", "qualified", "won")


@dataclass(frozen=True)
class Change:
    """A figure this period and the period before; ``delta`` is ``current - previous`` (for a rate
    in points of percent: 0.04 is "+4 pts"), ``None`` when either is missing."""

    key: str
    kind: str
    current: Any
    previous: Any

    @property
    def delta(self) -> float | int | Decimal | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def direction(self) -> str | None:
        """ "up", "down", "same" or ``None`` (nothing to compare)."""
        delta = self.delta
        if delta is None:
            return None
        # rates are shown in whole points: under half a point reads as no change
        if delta == 0 or (self.kind == "rate" and abs(delta) < 0.005):
            return "same"
        return "up" if delta > 0 else "down"


def change(key: str, kind: str, current: Figures, previous: Figures) -> Change:
    return Change(key, kind, getattr(current, key), getattr(previous, key))


@dataclass(frozen=True)
class FunnelStep:
    """A step of the funnel: its leads, the share of the step before (``conversion``; none for the
    first) and of the published leads."""

    key: str
    count: int
    conversion: float | None
    of_published: float | None


@dataclass(frozen=True)
class Overview:
    scope: Scope
    period: Period
    previous_period: Period
    current: Figures
    previous: Figures
    funnel: list[FunnelStep]
    trend: Trend

    @property
    def changes(self) -> list[Change]:
        return [change(key, kind, self.current, self.previous) for key, kind in FIGURES]

    @property
    def revenue_changes(self) -> list[Change]:
        """Won revenue per currency (never added across currencies), this period and the one before."""
        currencies = sorted(set(self.current.won_revenue) | set(self.previous.won_revenue))
        return [
            Change(
                currency,
                "money",
                self.current.won_revenue.get(currency, Decimal("0.00")),
                self.previous.won_revenue.get(currency, Decimal("0.00")),
            )
            for currency in currencies
        ]

    @property
    def distributions(self) -> dict[str, list[tuple[str, int, float | None]]]:
        """Time to claim and to first contact: per bucket (``BUCKETS``) the leads and their share of
        the leads with such a time."""
        out = {}
        for name, counts in (
            ("claim", self.current.claim_buckets),
            ("contact", self.current.contact_buckets),
        ):
            total = sum(counts.values())
            out[name] = [
                (key, counts.get(key, 0), figures.share(counts.get(key, 0), total)) for key, _ in BUCKETS
            ]
        return out

    @property
    def empty(self) -> bool:
        return not self.current.published and not self.previous.published


def funnel(current: Figures) -> list[FunnelStep]:
    steps, before = [], None
    for key in FUNNEL_STEPS:
        count = getattr(current, key)
        steps.append(
            FunnelStep(
                key,
                count,
                None if before is None else figures.share(count, before),
                figures.share(count, current.published),
            )
        )
        before = count
    return steps


def overview(manufacturer_id: int, scope: Scope) -> Overview:
    """The overview of the leads first published in ``scope.period`` (with ``scope.filters``) and,
    for comparison, of those published in the period before."""
    sql.large_sorts()
    period, filters = scope.period, scope.filters
    previous_period = period.previous()
    current = period_figures(manufacturer_id, period, filters)
    return Overview(
        scope=scope,
        period=period,
        previous_period=previous_period,
        current=current,
        previous=period_figures(manufacturer_id, previous_period, filters, distributions=False),
        funnel=funnel(current),
        trend=trend(manufacturer_id, period, filters),
    )


def filter_names(manufacturer_id: int, filters: Filters) -> dict[str, str]:
    """The filters that are set, by name (a campaign's, a product line's, a partner's), for a
    download that says what it covers. An id of another programme's object has no name here."""
    names: dict[str, str] = {
        key: str(value)
        for key, value in filters.as_dict().items()
        if key not in ("partner", "product_line", "campaign")
    }
    lookups = (
        (
            "campaign",
            filters.campaign,
            sa.select(Campaign.name).where(
                Campaign.manufacturer_id == manufacturer_id, Campaign.id == filters.campaign
            ),
        ),
        (
            "product_line",
            filters.product_line,
            sa.select(ProductLine.name).where(
                ProductLine.manufacturer_id == manufacturer_id, ProductLine.id == filters.product_line
            ),
        ),
        (
            "partner",
            filters.partner,
            sa.select(Organisation.name)
            .join(Enrollment, Enrollment.partner_id == Organisation.id)
            .where(Enrollment.manufacturer_id == manufacturer_id, Organisation.id == filters.partner),
        ),
    )
    for key, value, query in lookups:
        if value is not None:
            names[key] = db.session.scalar(query.limit(1)) or f"#{value}"
    return names
