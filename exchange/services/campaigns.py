"""Campaigns: what generated a lead, what it cost; its leads' won revenue is its Return on Leads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.extensions import db
from exchange.models import Campaign, Lead, Organisation
from exchange.services import Conflict, DomainError

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
