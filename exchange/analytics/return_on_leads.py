"""Return on Leads: what a campaign's leads have won, month by month since it started, against its cost.

- Start: the campaign's ``starts_on``, else the creation of its first lead; month 0 is the calendar
  month of the start in the programme's time zone, and the months run to this month, at most
  ``MAX_MONTHS`` of them.
- Won, revenue: the campaign's leads won (``closed_at``, in the programme's zone) in that month, in
  the campaign's currency; a win in another currency is never added - it is counted apart per
  currency (``won_elsewhere``). A win before the start counts in month 0, one after the last month
  shown is left out.
- Cumulative: the revenue of months 0..i. ROI = (cumulative - cost) / cost (``None`` without a cost);
  payback month: the first month index whose cumulative reaches the cost (``None`` if not yet, or
  without a cost).
- Open value: the ``estimated_value`` of its leads still open (published, offered, claimed, contacted,
  meeting, qualified, proposal) in the campaign's currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from exchange.models import Campaign, Lead, LeadStatus, Organisation
from exchange.platform import clock
from exchange.platform.extensions import db

MAX_MONTHS = 60
OPEN_STATUSES = (
    LeadStatus.PUBLISHED,
    LeadStatus.OFFERED,
    LeadStatus.CLAIMED,
    LeadStatus.CONTACTED,
    LeadStatus.MEETING,
    LeadStatus.QUALIFIED,
    LeadStatus.PROPOSAL,
)


@dataclass(frozen=True)
class MonthReturn:
    index: int  # months since the start (0 = the start month)
    month: date  # its first day
    won: int
    revenue: Decimal
    cumulative: Decimal
    roi: float | None  # (cumulative - cost) / cost
    paid_back: float | None  # cumulative / cost (1.0 = paid back)


@dataclass(frozen=True)
class WonElsewhere:
    currency: str
    won: int
    revenue: Decimal


@dataclass
class CampaignReturn:
    campaign_id: int
    name: str
    cost: Decimal
    currency: str
    starts_on: date | None  # the start month's first day (None: no start date and no lead yet)
    months: list[MonthReturn] = field(default_factory=list)
    won_elsewhere: list[WonElsewhere] = field(default_factory=list)
    open_value: Decimal = Decimal(0)
    open_leads: int = 0

    @property
    def revenue(self) -> Decimal:
        return self.months[-1].cumulative if self.months else Decimal(0)

    @property
    def won(self) -> int:
        return sum(m.won for m in self.months)

    @property
    def roi(self) -> float | None:
        return _roi(self.revenue, self.cost)

    @property
    def payback_month(self) -> int | None:
        if not self.cost:
            return None
        return next((m.index for m in self.months if m.cumulative >= self.cost), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "name": self.name,
            "cost": self.cost,
            "currency": self.currency,
            "starts_on": self.starts_on,
            "won": self.won,
            "revenue": self.revenue,
            "roi": self.roi,
            "payback_month": self.payback_month,
            "open_value": self.open_value,
            "open_leads": self.open_leads,
            "won_elsewhere": self.won_elsewhere,
            "months": self.months,
        }


def _roi(cumulative: Decimal, cost: Decimal) -> float | None:
    return float((cumulative - cost) / cost) if cost else None


def _month_index(day: date, start: date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def return_on_leads(
    manufacturer_id: int, campaign_ids: Sequence[int] | None = None, today: date | None = None
) -> list[CampaignReturn]:
    """The Return on Leads of the programme's campaigns (or of ``campaign_ids`` among them), by name;
    five queries whatever the number of campaigns."""
    org = db.session.get(Organisation, manufacturer_id)
    zone = _zone(org.timezone if org else None)
    today = today or clock.now().astimezone(zone).date()
    query = sa.select(Campaign).where(Campaign.manufacturer_id == manufacturer_id)
    if campaign_ids is not None:
        query = query.where(Campaign.id.in_(list(campaign_ids)))
    campaigns = list(db.session.scalars(query.order_by(sa.func.lower(Campaign.name), Campaign.id)))
    if not campaigns:
        return []
    ids = [c.id for c in campaigns]
    in_programme = (Lead.manufacturer_id == manufacturer_id, Lead.campaign_id.in_(ids))
    first_leads = dict(
        db.session.execute(
            sa.select(Lead.campaign_id, sa.func.min(Lead.created_at))
            .where(*in_programme)
            .group_by(Lead.campaign_id)
        ).all()
    )
    wins = db.session.execute(
        sa.select(
            Lead.campaign_id,
            Lead.closed_at,
            Lead.won_amount,
            sa.func.coalesce(Lead.won_currency, Lead.currency),
        ).where(*in_programme, Lead.status == LeadStatus.WON, Lead.closed_at.is_not(None))
    ).all()
    open_rows = db.session.execute(
        sa.select(Lead.campaign_id, Lead.currency, sa.func.count(), sa.func.sum(Lead.estimated_value))
        .where(*in_programme, Lead.status.in_(OPEN_STATUSES))
        .group_by(Lead.campaign_id, Lead.currency)
    ).all()
    by_campaign: dict[int, list[tuple[datetime, Decimal | None, str | None]]] = {}
    for campaign_id, closed_at, amount, currency in wins:
        by_campaign.setdefault(campaign_id, []).append((closed_at, amount, currency))
    results = []
    for campaign in campaigns:
        first = first_leads.get(campaign.id)
        start = campaign.starts_on or (_local(first, zone).date() if first else None)
        result = CampaignReturn(
            campaign.id,
            campaign.name,
            campaign.cost or Decimal(0),
            campaign.currency,
            start.replace(day=1) if start else None,
        )
        _fill_months(result, by_campaign.get(campaign.id, []), today, zone)
        results.append(result)
    by_id = {r.campaign_id: r for r in results}
    for campaign_id, currency, count, value in open_rows:
        result = by_id[campaign_id]
        if currency == result.currency or currency is None:
            result.open_leads += count
            result.open_value += Decimal(value or 0)
    return results


def _fill_months(
    result: CampaignReturn,
    wins: list[tuple[datetime, Decimal | None, str | None]],
    today: date,
    zone: ZoneInfo,
) -> None:
    elsewhere: dict[str, tuple[int, Decimal]] = {}
    if result.starts_on is None:
        for _closed, amount, currency in wins:  # no start without a lead; kept for completeness
            count, total = elsewhere.get(currency or "", (0, Decimal(0)))
            elsewhere[currency or ""] = (count + 1, total + Decimal(amount or 0))
        return
    start = result.starts_on
    last = min(max(_month_index(today, start), 0), MAX_MONTHS - 1)
    per_month: dict[int, tuple[int, Decimal]] = {}
    for closed, amount, currency in wins:
        if currency is not None and currency != result.currency:
            count, total = elsewhere.get(currency, (0, Decimal(0)))
            elsewhere[currency] = (count + 1, total + Decimal(amount or 0))
            continue
        index = max(_month_index(_local(closed, zone).date(), start), 0)
        if index > last:
            continue
        count, total = per_month.get(index, (0, Decimal(0)))
        per_month[index] = (count + 1, total + Decimal(amount or 0))
    cumulative = Decimal(0)
    for index in range(last + 1):
        won, revenue = per_month.get(index, (0, Decimal(0)))
        cumulative += revenue
        paid_back = float(cumulative / result.cost) if result.cost else None
        result.months.append(
            MonthReturn(
                index,
                _add_months(start, index),
                won,
                revenue,
                cumulative,
                _roi(cumulative, result.cost),
                paid_back,
            )
        )
    result.won_elsewhere = [
        WonElsewhere(currency, count, total) for currency, (count, total) in sorted(elsewhere.items())
    ]


def _local(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone)  # the columns are aware UTC (models.base.UTCDateTime)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
