"""Filtering, searching and sorting a manufacturer's leads: one definition for the lead list, its CSV
export and ``GET /api/v1/leads``."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from exchange.models import Lead, LeadStatus, Organisation, ProductLine, Temperature
from exchange.platform.tenancy import scoped

SORTS = {
    "created_at": Lead.created_at,
    "updated_at": Lead.updated_at,
    "company_name": Lead.company_name,
    "country": Lead.country,
    "status": Lead.status,
    "estimated_value": Lead.estimated_value,
    "published_at": Lead.published_at,
    # hot first when ascending
    "temperature": sa.case(
        {Temperature.HOT.value: 0, Temperature.WARM.value: 1, Temperature.COLD.value: 2},
        value=Lead.temperature,
    ),
}
SORT_CHOICES = [*SORTS, *(f"-{name}" for name in SORTS)]


class LeadFilterSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    status = ma.fields.String(validate=ma.validate.OneOf([s.value for s in LeadStatus]))
    temperature = ma.fields.String(validate=ma.validate.OneOf([t.value for t in Temperature]))
    campaign_id = ma.fields.Integer(metadata={"description": "0: leads without a campaign"})
    country = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z]{2}$", error="Two-letter ISO code."))
    product_line = ma.fields.String(metadata={"description": "Product line code"})
    created_from = ma.fields.Date(metadata={"description": "Created on or after this day (UTC)"})
    created_to = ma.fields.Date(metadata={"description": "Created on or before this day (UTC)"})
    q = ma.fields.String(
        validate=ma.validate.Length(max=200),
        metadata={"description": "Search company, contact, e-mail, city, postal code, source id"},
    )
    sort = ma.fields.String(load_default="-created_at", validate=ma.validate.OneOf(SORT_CHOICES))


class LeadListArgsSchema(LeadFilterSchema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(load_default=25, validate=ma.validate.Range(min=1, max=100))


def parse_filters(args: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Valid filters from query arguments, and the messages for the ones that were not."""
    values = {key: value for key, value in args.items() if value not in ("", None)}
    try:
        return LeadFilterSchema().load(values), {}
    except ma.ValidationError as error:
        valid = dict(error.valid_data or {})
        valid.setdefault("sort", "-created_at")
        return valid, error.messages  # type: ignore[return-value]


def filtered_leads(org: Organisation, filters: dict[str, Any]) -> sa.Select:
    """The organisation's leads matching ``filters`` (LeadFilterSchema output), sorted."""
    query = scoped(Lead, org)
    if filters.get("status"):
        query = query.where(Lead.status == LeadStatus(filters["status"]))
    if filters.get("temperature"):
        query = query.where(Lead.temperature == Temperature(filters["temperature"]))
    if "campaign_id" in filters:
        campaign_id = filters["campaign_id"]
        query = query.where(
            Lead.campaign_id.is_(None) if campaign_id == 0 else Lead.campaign_id == campaign_id
        )
    if filters.get("country"):
        query = query.where(Lead.country == filters["country"].upper())
    if filters.get("product_line"):
        line_ids = sa.select(ProductLine.id).where(
            ProductLine.manufacturer_id == org.id,
            sa.func.lower(ProductLine.code) == filters["product_line"].lower(),
        )
        query = query.where(Lead.product_line_id.in_(line_ids))
    if filters.get("created_from"):
        query = query.where(Lead.created_at >= datetime.combine(filters["created_from"], time(), tzinfo=UTC))
    if filters.get("created_to"):
        end = datetime.combine(filters["created_to"], time(), tzinfo=UTC) + timedelta(days=1)
        query = query.where(Lead.created_at < end)
    if filters.get("q"):
        text = filters["q"].strip()
        if text:
            columns = (
                Lead.company_name,
                Lead.contact_first_name,
                Lead.contact_last_name,
                Lead.contact_email,
                Lead.city,
                Lead.postal_code,
                Lead.source_id,
            )
            query = query.where(sa.or_(*(column.icontains(text, autoescape=True) for column in columns)))
    sort = filters.get("sort") or "-created_at"
    descending = sort.startswith("-")
    column = SORTS[sort.lstrip("-")]
    primary = column.desc() if descending else column.asc()
    if sort.lstrip("-") in ("estimated_value", "published_at", "country"):
        primary = primary.nulls_last()
    return query.order_by(primary, Lead.id.desc() if descending else Lead.id.asc())
