"""Campaigns: what generated a lead, what it cost; its leads' won revenue is its Return on Leads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.analytics import figures, return_on_leads
from exchange.models import CLAIMED_STATUSES, Campaign, Lead, LeadStatus, Organisation
from exchange.platform.errors import Conflict, DomainError
from exchange.platform.extensions import db

FIELDS = ("name", "channel", "starts_on", "ends_on", "cost", "currency", "description")


def _check(manufacturer: Organisation, values: dict[str, Any], campaign: Campaign | None = None) -> None:
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError(_("A campaign needs a name."), field="name")
    values["name"] = name
    clash = db.session.scalar(
        sa.select(Campaign.id).where(
            Campaign.manufacturer_id == manufacturer.id,
            sa.func.lower(Campaign.name) == name.lower(),
            Campaign.id != (campaign.id if campaign else -1),
        )
    )
    if clash is not None:
        raise Conflict(_("A campaign named %(name)s exists already.", name=name), field="name")
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if isinstance(starts, date) and isinstance(ends, date) and ends < starts:
        raise DomainError(_("The campaign cannot end before it starts."), field="ends_on")
    cost = values.get("cost")
    if cost is not None and Decimal(cost) < 0:
        raise DomainError(_("The cost cannot be negative."), field="cost")


def create_campaign(manufacturer: Organisation, data: dict[str, Any]) -> Campaign:
    """A campaign from validated input (name, channel, starts_on, ends_on, cost, currency, description)."""
    values = {key: data.get(key) for key in FIELDS if key in data}
    _check(manufacturer, values)
    values["cost"] = values.get("cost") or Decimal("0")
    values["currency"] = values.get("currency") or (
        manufacturer.program.currency if manufacturer.program else "EUR"
    )
    campaign = Campaign(manufacturer_id=manufacturer.id, **values)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, data: dict[str, Any]) -> Campaign:
    values = {key: getattr(campaign, key) for key in FIELDS}
    values.update({key: data[key] for key in FIELDS if key in data})
    _check(campaign_manufacturer(campaign), values, campaign)
    values["cost"] = values.get("cost") if values.get("cost") is not None else Decimal("0")
    values["currency"] = values.get("currency") or campaign.currency
    for key, value in values.items():
        setattr(campaign, key, value)
    db.session.flush()
    return campaign


def campaign_manufacturer(campaign: Campaign) -> Organisation:
    return db.session.get(Organisation, campaign.manufacturer_id)


def lead_count(campaign: Campaign) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Lead.campaign_id == campaign.id)) or 0


def delete_campaign(campaign: Campaign) -> None:
    """Delete a campaign that has no leads (a campaign with leads keeps their Return on Leads)."""
    count = lead_count(campaign)
    if count:
        raise Conflict(_("%(n)d leads belong to this campaign; it cannot be deleted.", n=count))
    db.session.delete(campaign)
    db.session.flush()


@dataclass
class CampaignResult:
    """What a campaign brought: its leads, how many partners took, what they won, its Return on Leads."""

    campaign: Campaign
    leads: int = 0
    published: int = 0
    claimed: int = 0
    unclaimed: int = 0  # ran out of waves: leakage
    awaiting: int = 0  # published, offered, nobody has claimed it yet
    won: int = 0
    lost: int = 0
    won_value: Decimal = Decimal(0)  # in the campaign's currency
    won_elsewhere: int = 0  # won in another currency (not added up)
    months: list[ReturnMonth] | None = None  # filled by campaign_result

    @property
    def response_rate(self) -> float | None:
        """Of the leads claimed or run out of waves, the share claimed (leads on offer are undecided)."""
        return figures.response_rate(self.claimed, self.claimed + self.unclaimed)

    @property
    def win_rate(self) -> float | None:
        """Of the closed leads (won or lost), the share won."""
        return figures.win_rate(self.won, self.lost)

    @property
    def cost_per_won(self) -> Decimal | None:
        return (self.campaign.cost / self.won).quantize(Decimal("0.01")) if self.won else None

    @property
    def return_on_leads(self) -> float | None:
        """Won revenue per unit of cost (2.5 = the campaign's leads won two and a half times its cost)."""
        return float(self.won_value / self.campaign.cost) if self.campaign.cost else None


def campaign_results(manufacturer_id: int) -> list[CampaignResult]:
    """Every campaign of the manufacturer with its results, newest first; two queries."""
    campaigns = db.session.scalars(
        sa.select(Campaign)
        .where(Campaign.manufacturer_id == manufacturer_id)
        .order_by(Campaign.starts_on.desc().nulls_last(), Campaign.name)
    ).all()
    return _with_results(manufacturer_id, campaigns)


def campaign_result(campaign: Campaign) -> CampaignResult:
    """One campaign's results, with its Return on Leads month by month in ``months``."""
    [result] = _with_results(campaign.manufacturer_id, [campaign])
    result.months = return_by_month(campaign)
    return result


def _with_results(manufacturer_id: int, campaigns: Sequence[Campaign]) -> list[CampaignResult]:
    results = {campaign.id: CampaignResult(campaign) for campaign in campaigns}
    won = Lead.status == LeadStatus.WON
    rows = db.session.execute(
        sa.select(
            Lead.campaign_id,
            Lead.won_currency,
            sa.func.count(),
            sa.func.count(Lead.published_at),
            sa.func.sum(sa.case((Lead.status.in_(CLAIMED_STATUSES), 1), else_=0)),
            sa.func.sum(sa.case((Lead.status == LeadStatus.UNCLAIMED, 1), else_=0)),
            sa.func.sum(sa.case((Lead.status.in_([LeadStatus.PUBLISHED, LeadStatus.OFFERED]), 1), else_=0)),
            sa.func.sum(sa.case((won, 1), else_=0)),
            sa.func.sum(sa.case((Lead.status == LeadStatus.LOST, 1), else_=0)),
            sa.func.sum(sa.case((won, Lead.won_amount), else_=None)),
        )
        .where(Lead.manufacturer_id == manufacturer_id, Lead.campaign_id.in_(list(results)))
        .group_by(Lead.campaign_id, Lead.won_currency)
    ).all()
    for row in rows:
        campaign_id, currency, leads, published, claimed, unclaimed, awaiting, won_count, lost, value = row
        result = results.get(campaign_id)
        if result is None:
            continue
        result.leads += leads
        result.published += published
        result.claimed += int(claimed or 0)
        result.unclaimed += int(unclaimed or 0)
        result.awaiting += int(awaiting or 0)
        result.won += int(won_count or 0)
        result.lost += int(lost or 0)
        if won_count and currency is not None and currency != result.campaign.currency:
            result.won_elsewhere += int(won_count)
        elif value is not None:
            result.won_value += Decimal(value)
    return list(results.values())


@dataclass
class ReturnMonth:
    """One calendar month of a campaign's Return on Leads."""

    month: date  # the first day of the month
    won: int
    revenue: Decimal  # won in this month, in the campaign's currency
    cumulative: Decimal  # won since the campaign started
    return_on_leads: float | None  # cumulative / cost


def return_by_month(campaign: Campaign, today: date | None = None) -> list[ReturnMonth]:
    """Return on Leads month by month since the campaign started (or its first lead): leads convert
    over months and years, so the cumulative revenue against the cost is the campaign's value.
    The months and figures are ``exchange.analytics.return_on_leads`` (one definition): month 0 is the
    start month in the programme's time zone, at most 60 months; wins in another currency than the
    campaign's are left out (they are counted in the results)."""
    found = return_on_leads.return_on_leads(campaign.manufacturer_id, [campaign.id], today=today)
    if not found:
        return []
    cost = found[0].cost
    return [
        ReturnMonth(m.month, m.won, m.revenue, m.cumulative, float(m.cumulative / cost) if cost else None)
        for m in found[0].months
    ]
