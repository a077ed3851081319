"""What a partner sees of a lead: before its claim a teaser without anything that identifies or
reaches the buyer; after its claim the contact details too (CTFd's audience-specific schemas)."""

from __future__ import annotations

import marshmallow as ma

from exchange.schemas import page_schema


class LeadTeaserSchema(ma.Schema):
    """Before the claim: enough to choose by, nothing to reach the buyer with."""

    id = ma.fields.Integer()
    industry = ma.fields.String(allow_none=True)
    size_band = ma.fields.String(allow_none=True)
    employees = ma.fields.Integer(allow_none=True)
    country = ma.fields.String(allow_none=True)
    region = ma.fields.String(allow_none=True)
    product_interest = ma.fields.Method("_product_interest", allow_none=True)
    estimated_value = ma.fields.Decimal(as_string=True, allow_none=True)
    currency = ma.fields.String()
    temperature = ma.fields.String()

    def _product_interest(self, lead):
        return lead.product_line.name if lead.product_line else lead.product_interest


class PartnerOfferSchema(ma.Schema):
    id = ma.fields.Integer()
    score = ma.fields.Float()
    explanation = ma.fields.String(allow_none=True)
    wave = ma.fields.Integer()
    state = ma.fields.String()
    claim_deadline = ma.fields.DateTime(allow_none=True)
    lead = ma.fields.Nested(LeadTeaserSchema)


OfferPageSchema = page_schema(PartnerOfferSchema, "OfferPageSchema")
