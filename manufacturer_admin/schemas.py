"""What a manufacturer sees of its leads (everything: they are its own)."""

from __future__ import annotations

import marshmallow as ma

from exchange.schemas import page_schema


class ManufacturerLeadSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    source_id = ma.fields.String(allow_none=True)
    campaign_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    temperature = ma.fields.String()
    temperature_reason = ma.fields.String(allow_none=True)
    contact_first_name = ma.fields.String(allow_none=True)
    contact_last_name = ma.fields.String(allow_none=True)
    contact_title = ma.fields.String(allow_none=True)
    contact_email = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True)
    company_name = ma.fields.String()
    industry = ma.fields.String(allow_none=True)
    employees = ma.fields.Integer(allow_none=True)
    annual_revenue = ma.fields.Decimal(as_string=True, allow_none=True)
    website = ma.fields.String(allow_none=True)
    street = ma.fields.String(allow_none=True)
    city = ma.fields.String(allow_none=True)
    postal_code = ma.fields.String(allow_none=True)
    region = ma.fields.String(allow_none=True)
    country = ma.fields.String(allow_none=True)
    product_interest = ma.fields.String(allow_none=True)
    estimated_value = ma.fields.Decimal(as_string=True, allow_none=True)
    currency = ma.fields.String()
    need = ma.fields.Boolean(allow_none=True)
    fit = ma.fields.Boolean(allow_none=True)
    budget = ma.fields.Boolean(allow_none=True)
    authority = ma.fields.Boolean(allow_none=True)
    timeframe = ma.fields.Boolean(allow_none=True)
    created_at = ma.fields.DateTime()
    published_at = ma.fields.DateTime(allow_none=True)


LeadPageSchema = page_schema(ManufacturerLeadSchema, "LeadPageSchema")
