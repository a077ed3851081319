"""What a partner sees of a lead: before its claim a teaser without anything that identifies or
reaches the buyer; after its claim the contact details too (CTFd's audience-specific schemas)."""

from __future__ import annotations

import marshmallow as ma

from exchange.leads.fields import CLAIMED_FIELDS, OUTCOME_FIELDS, PORTAL_FIELDS, TEASER_FIELDS
from exchange.models import ContactChannel, DeclineReason, LeadStatus
from exchange.notify.partner_payloads import (
    REVEALING_CLAIM_STATUSES,
    PartnerClaimedLeadSchema,
    PartnerLeadTeaserSchema,
)
from exchange.offers.pull_filters import PullFilterSchema
from exchange.platform.schemas import PageArgsSchema, non_negative_decimal, page_schema


class LeadTeaserSchema(PartnerLeadTeaserSchema):
    """Before the claim (the teaser every partner-bound payload uses), plus ids and the publication
    time. Reads a Lead or a plain row of the pull list (exchange.offers.pull_list.pull_page)."""

    class Meta:
        fields = (*TEASER_FIELDS, *PORTAL_FIELDS)

    product_interest = ma.fields.Function(
        lambda lead: (
            lead["product_interest"]
            if isinstance(lead, dict)
            else (lead.product_line.name if lead.product_line else lead.product_interest)
        ),
        allow_none=True,
    )


class PartnerOfferSchema(ma.Schema):
    id = ma.fields.Integer()
    manufacturer_id = ma.fields.Integer()  # the programme the offer comes from
    score = ma.fields.Float()
    components = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    # The one-line "why", in English for API clients (the pages render it in the viewer's language).
    explanation = ma.fields.String(allow_none=True)
    wave = ma.fields.Integer()
    state = ma.fields.String()
    visible_from = ma.fields.DateTime(allow_none=True)
    claim_deadline = ma.fields.DateTime(allow_none=True)
    lead = ma.fields.Nested(LeadTeaserSchema)


OfferPageSchema = page_schema(PartnerOfferSchema, "OfferPageSchema")


class ScoreComponentSchema(ma.Schema):
    name = ma.fields.String()
    label = ma.fields.String()
    value = ma.fields.Float(allow_none=True)
    weight = ma.fields.Float()
    points = ma.fields.Float(allow_none=True)
    hint = ma.fields.String(allow_none=True)


class PartnerOfferDetailSchema(PartnerOfferSchema):
    """One offer: also the programme's name and the score's parts as the offer page shows them
    (exchange.offers.explain.score_breakdown)."""

    manufacturer_name = ma.fields.Method("_manufacturer_name")
    score_breakdown = ma.fields.Method("_breakdown")

    def _manufacturer(self, offer):
        from exchange.models import Organisation
        from exchange.platform.extensions import db

        return db.session.get(Organisation, offer.manufacturer_id)

    def _manufacturer_name(self, offer):
        manufacturer = self._manufacturer(offer)
        return manufacturer.name if manufacturer else None

    def _breakdown(self, offer):
        from exchange.offers.explain import score_breakdown

        manufacturer = self._manufacturer(offer)
        weights = manufacturer.program.matching_weights if manufacturer and manufacturer.program else None
        return ScoreComponentSchema(many=True).dump(score_breakdown(offer.components, weights))


class OfferFilterSchema(PullFilterSchema, PageArgsSchema):
    """A page of the pull list: the page's filters and sort (one schema for the page and the API)."""


class DeclineSchema(ma.Schema):
    reason = ma.fields.Enum(DeclineReason, by_value=True, required=True)
    text = ma.fields.String(load_default=None, validate=ma.validate.Length(max=500))


class ClaimedLeadSchema(PartnerClaimedLeadSchema):
    """After the claim: who to call (the shared schema), plus ids, the publication time and the outcome."""

    class Meta:
        fields = (*CLAIMED_FIELDS, *PORTAL_FIELDS, *OUTCOME_FIELDS)


class ClaimSchema(ma.Schema):
    id = ma.fields.Integer()
    offer_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    claimed_at = ma.fields.DateTime()
    assigned_to_id = ma.fields.Integer(allow_none=True)
    first_contact_deadline = ma.fields.DateTime(allow_none=True)
    first_contact_at = ma.fields.DateTime(allow_none=True)
    next_update_deadline = ma.fields.DateTime(allow_none=True)
    ended_at = ma.fields.DateTime(allow_none=True)
    end_reason = ma.fields.String(allow_none=True)
    lead = ma.fields.Method("_lead")

    def _lead(self, claim):
        # Contact details only while the claim is this partner's (active or closed by it).
        schema = ClaimedLeadSchema() if claim.status in REVEALING_CLAIM_STATUSES else LeadTeaserSchema()
        return schema.dump(claim.lead)


ClaimPageSchema = page_schema(ClaimSchema, "ClaimPageSchema")


class ClaimListArgsSchema(PageArgsSchema):
    status = ma.fields.String(load_default="active", validate=ma.validate.OneOf(["active", "all"]))


class ContactSchema(ma.Schema):
    channel = ma.fields.Enum(ContactChannel, by_value=True, required=True)
    at = ma.fields.AwareDateTime(load_default=None, default_timezone=None)
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))


class StatusSchema(ma.Schema):
    status = ma.fields.Enum(LeadStatus, by_value=True, required=True)
    amount = non_negative_decimal(load_default=None, allow_none=True)
    currency = ma.fields.String(load_default=None, validate=ma.validate.Length(equal=3))
    reason = ma.fields.String(load_default=None, validate=ma.validate.Length(max=300))
    note = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))


class ReturnSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class NoteSchema(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=4000))
