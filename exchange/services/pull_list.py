"""The pull list: the offers a partner may claim now, best first, filterable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from exchange import clock
from exchange.extensions import db
from exchange.models import Lead, Offer, OfferState, Temperature

TEMPERATURE_ORDER = sa.case(
    (Lead.temperature == Temperature.HOT, 0), (Lead.temperature == Temperature.WARM, 1), else_=2
)


@dataclass(frozen=True)
class PullFilters:
    temperature: Temperature | None = None
    product_line_id: int | None = None
    country: str | None = None
    region: str | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None


def pull_list(partner_id: int, filters: PullFilters | None = None, now: datetime | None = None) -> sa.Select:
    """Open offers whose claim window has not closed, sorted by score, then temperature (hot first),
    then freshness (newest first)."""
    filters = filters or PullFilters()
    now = now or clock.now()
    query = (
        sa.select(Offer)
        .join(Lead, Lead.id == Offer.lead_id)
        .where(
            Offer.partner_id == partner_id,
            Offer.state == OfferState.OPEN,
            sa.or_(Offer.claim_deadline.is_(None), Offer.claim_deadline > now),
        )
    )
    if filters.temperature is not None:
        query = query.where(Lead.temperature == filters.temperature)
    if filters.product_line_id is not None:
        query = query.where(Lead.product_line_id == filters.product_line_id)
    if filters.country:
        query = query.where(Lead.country == filters.country.upper())
    if filters.region:
        query = query.where(Lead.region == filters.region)
    if filters.min_value is not None:
        query = query.where(Lead.estimated_value >= filters.min_value)
    if filters.max_value is not None:
        query = query.where(Lead.estimated_value <= filters.max_value)
    return query.order_by(Offer.score.desc(), TEMPERATURE_ORDER, Offer.visible_from.desc(), Offer.id)


def mark_shown(offers: list[Offer], now: datetime | None = None) -> None:
    """Remember which offers the partner has seen (re-matching leaves those alone)."""
    unseen = [offer.id for offer in offers if offer.first_shown_at is None]
    if unseen:
        db.session.execute(
            sa.update(Offer)
            .where(Offer.id.in_(unseen), Offer.first_shown_at.is_(None))
            .values(first_shown_at=now or clock.now())
            .execution_options(synchronize_session=False)
        )
