"""The pull list: the offers a partner may claim now, best first, filterable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from exchange.models import Lead, Offer, OfferState, ProductLine, SizeBand, Temperature
from exchange.platform import clock
from exchange.platform.extensions import db


@dataclass(frozen=True)
class PullFilters:
    temperature: Temperature | None = None
    product_line_id: int | None = None
    country: str | None = None
    region: str | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    manufacturer_id: int | None = None  # one programme of a partner enrolled in several


# How the list may be sorted; "score" (the default) is the order of the pull-list index.
PULL_SORTS = ("score", "deal_size", "deadline", "temperature")


def _order(sort: str) -> tuple:
    best = (Offer.score.desc(), Offer.temperature_priority.desc(), Offer.visible_from.desc(), Offer.id.desc())
    if sort == "deal_size":
        return (Lead.estimated_value.desc().nulls_last(), *best)
    if sort == "deadline":
        return (Offer.claim_deadline.asc().nulls_last(), *best)
    if sort == "temperature":
        return (Offer.temperature_priority.desc(), *best)
    if sort != "score":
        raise ValueError(f"sort: one of {', '.join(PULL_SORTS)}, not {sort!r}")
    return best


def pull_list(
    partner_id: int, filters: PullFilters | None = None, now: datetime | None = None, sort: str = "score"
) -> sa.Select:
    """Open offers whose claim window has not closed, sorted by score, then temperature (hot first),
    then freshness (newest first); or first by deal size (largest), deadline (soonest) or
    temperature (hottest) with that order after it (``PULL_SORTS``)."""
    filters = filters or PullFilters()
    now = now or clock.now()
    query = (
        sa.select(Offer)
        .join(Lead, Lead.id == Offer.lead_id)
        # Every row shows its lead and product line: load them with the page, not one by one.
        .options(contains_eager(Offer.lead).selectinload(Lead.product_line))
        .where(
            Offer.partner_id == partner_id,
            Offer.state == OfferState.OPEN,
            sa.or_(Offer.claim_deadline.is_(None), Offer.claim_deadline > now),
        )
    )
    if filters.manufacturer_id is not None:
        query = query.where(Offer.manufacturer_id == filters.manufacturer_id)
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
    # By default best score first, then hot before warm before cold, then the newest: the order of
    # the ix_offers_pull_list index, read backwards.
    return query.order_by(*_order(sort))


def mark_shown(offers: list[Offer], now: datetime | None = None) -> None:
    """Remember which offers the partner has seen (re-matching leaves those alone). A plain UPDATE in
    the request's transaction: the page's loaded rows stay as they are; the view commits after
    rendering (API reads run in autocommit, see ``exchange.web.api``)."""
    _mark_shown([offer.id for offer in offers if offer.first_shown_at is None], now)


def _mark_shown(offer_ids: list[int], now: datetime | None = None) -> None:
    if offer_ids:
        db.session.execute(
            sa.update(Offer)
            .where(Offer.id.in_(offer_ids), Offer.first_shown_at.is_(None))
            .values(first_shown_at=now or clock.now())
            .execution_options(synchronize_session=False)
        )


def _count_query(partner_id: int, filters: PullFilters) -> sa.Select:
    lead_filtered = any(
        getattr(filters, name) is not None
        for name in (
            "temperature",
            "product_line_id",
            "country",
            "region",
            "min_value",
            "max_value",
            "manufacturer_id",
        )
    )
    if lead_filtered:
        return sa.select(sa.func.count()).select_from(
            pull_list(partner_id, filters).order_by(None).subquery()
        )
    now = clock.now()
    return (
        sa.select(sa.func.count())
        .select_from(Offer)
        .where(
            Offer.partner_id == partner_id,
            Offer.state == OfferState.OPEN,
            sa.or_(Offer.claim_deadline.is_(None), Offer.claim_deadline > now),
        )
    )


def pull_page(
    partner_id: int, filters: PullFilters | None, page: int, per_page: int, sort: str = "score"
) -> dict:
    """One page of the pull list as plain rows (the API's shape), read in one lean query: the columns
    a partner may see and the list's length, no ORM objects. Returns ``{items, page, per_page, total,
    pages}``."""
    filters = filters or PullFilters()
    base = pull_list(partner_id, filters, sort=sort)
    columns = (
        # The count rides along as an uncorrelated subquery (computed once): one round trip.
        _count_query(partner_id, filters).scalar_subquery().label("total"),
        Offer.id,
        Offer.manufacturer_id,
        Offer.score,
        Offer.components,
        Offer.explanation,
        Offer.wave,
        Offer.state,
        Offer.visible_from,
        Offer.claim_deadline,
        Offer.first_shown_at,
        Lead.id.label("lead_id"),
        Lead.industry,
        Lead.employees,
        Lead.country,
        Lead.region,
        Lead.product_line_id,
        Lead.product_interest,
        Lead.estimated_value,
        Lead.currency,
        Lead.temperature,
        Lead.published_at,
        ProductLine.name.label("product_line_name"),
    )
    query = (
        base.options()
        .with_only_columns(*columns)
        .outerjoin(ProductLine, ProductLine.id == Lead.product_line_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    # The page stops early (it reads offers in score order); the count needs no lead unless a filter
    # is on the lead (an index-only count over the partner's open offers).
    rows = db.session.execute(query).all()
    total = rows[0].total if rows else (db.session.scalar(_count_query(partner_id, filters)) or 0)
    _mark_shown([row.id for row in rows if row.first_shown_at is None])
    items = [
        {
            "id": row.id,
            "manufacturer_id": row.manufacturer_id,
            "score": row.score,
            "components": row.components,
            "explanation": row.explanation,
            "wave": row.wave,
            "state": row.state,
            "visible_from": row.visible_from,
            "claim_deadline": row.claim_deadline,
            "lead": {
                "id": row.lead_id,
                "industry": row.industry,
                "employees": row.employees,
                "size_band": SizeBand.for_employees(row.employees),
                "country": row.country,
                "region": row.region,
                "product_line_id": row.product_line_id,
                "product_interest": row.product_line_name or row.product_interest,
                "estimated_value": row.estimated_value,
                "currency": row.currency,
                "temperature": row.temperature,
                "published_at": row.published_at,
                "contact_details_included": False,
            },
        }
        for row in rows
    ]
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": (total + per_page - 1) // per_page if per_page else 0,
    }


def to_json(page: dict) -> dict:
    """``pull_page``'s rows as JSON values (ISO datetimes, decimals as strings, enums as values)."""

    def plain(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, Enum):
            return value.value
        return value

    items = []
    for item in page["items"]:
        lead = {key: plain(value) for key, value in item["lead"].items()}
        items.append({**{key: plain(value) for key, value in item.items() if key != "lead"}, "lead": lead})
    return {**page, "items": items}
