"""What a manufacturer sees of its leads (everything: they are its own), and what it sends."""

from __future__ import annotations

import marshmallow as ma

from exchange.leads.fields import MANUFACTURER_FIELDS, LeadFieldsSchema
from exchange.leads.intake.schema import LeadInputSchema
from exchange.platform.schemas import non_negative_decimal, page_schema

BATCH_LIMIT = 1000


class ManufacturerLeadSchema(LeadFieldsSchema):
    """Everything about its own lead (``MANUFACTURER_FIELDS``)."""

    class Meta:
        fields = MANUFACTURER_FIELDS

    id = ma.fields.Integer(dump_only=True)


LeadPageSchema = page_schema(ManufacturerLeadSchema, "LeadPageSchema")


class LeadUpdateSchema(LeadInputSchema):
    """The fields to change (any subset of a lead's input)."""


class LeadBatchSchema(ma.Schema):
    items = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        validate=ma.validate.Length(min=1, max=BATCH_LIMIT),
        metadata={"description": f"1 to {BATCH_LIMIT} leads, each as LeadInput; validated one by one."},
    )


class BatchItemResultSchema(ma.Schema):
    index = ma.fields.Integer(metadata={"description": "Position of the item in the request (0-based)"})
    status = ma.fields.String(metadata={"description": "created, updated, duplicate or rejected"})
    id = ma.fields.Integer(allow_none=True, metadata={"description": "The lead (new or existing)"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Field -> messages (rejected items)"},
    )


class LeadBatchResultSchema(ma.Schema):
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    duplicates = ma.fields.Integer()
    rejected = ma.fields.Integer()
    results = ma.fields.List(ma.fields.Nested(BatchItemResultSchema))


class LeadIdsSchema(ma.Schema):
    ids = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1)),  # database ids
        required=True,
        validate=ma.validate.Length(min=1, max=BATCH_LIMIT),
    )
    reason = ma.fields.String(validate=ma.validate.Length(max=500), metadata={"description": "Withdraw only"})


class WithdrawSchema(ma.Schema):
    reason = ma.fields.String(validate=ma.validate.Length(max=500))


class BulkResultSchema(ma.Schema):
    done = ma.fields.List(ma.fields.Integer(), metadata={"description": "Leads published / withdrawn"})
    skipped = ma.fields.List(
        ma.fields.Integer(), metadata={"description": "Leads whose status does not allow it (left alone)"}
    )


class CampaignSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    channel = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    starts_on = ma.fields.Date(allow_none=True)
    ends_on = ma.fields.Date(allow_none=True)
    cost = non_negative_decimal(as_string=True, places=2)
    currency = ma.fields.String(
        validate=ma.validate.Regexp(r"^[A-Z]{3}$", error="Three capital letters, e.g. EUR.")
    )
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=10_000))
    lead_count = ma.fields.Integer(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)


class CampaignUpdateSchema(CampaignSchema):
    """The campaign fields to change."""


CampaignPageSchema = page_schema(CampaignSchema, "CampaignPageSchema")


class CampaignResultSchema(ma.Schema):
    """What a campaign brought (money in the campaign's currency)."""

    campaign_id = ma.fields.Function(lambda r: r.campaign.id, metadata={"type": "integer"})
    name = ma.fields.Function(lambda r: r.campaign.name, metadata={"type": "string"})
    currency = ma.fields.Function(lambda r: r.campaign.currency, metadata={"type": "string"})
    cost = ma.fields.Function(
        lambda r: str(r.campaign.cost), metadata={"type": "string", "format": "decimal"}
    )
    leads = ma.fields.Integer()
    published = ma.fields.Integer()
    awaiting = ma.fields.Integer(metadata={"description": "Published, on offer, not claimed yet"})
    claimed = ma.fields.Integer(metadata={"description": "A partner claimed it (whatever happened since)"})
    unclaimed = ma.fields.Integer(metadata={"description": "Ran out of waves unclaimed (leakage)"})
    won = ma.fields.Integer()
    lost = ma.fields.Integer()
    won_elsewhere = ma.fields.Integer(
        metadata={"description": "Won in another currency: counted, not summed"}
    )
    won_value = ma.fields.Decimal(as_string=True, places=2)
    response_rate = ma.fields.Float(
        allow_none=True, metadata={"description": "claimed / (claimed + unclaimed); null while none decided"}
    )
    win_rate = ma.fields.Float(
        allow_none=True, metadata={"description": "won / (won + lost); null while none closed"}
    )
    cost_per_won = ma.fields.Decimal(as_string=True, places=2, allow_none=True)
    return_on_leads = ma.fields.Float(allow_none=True, metadata={"description": "won_value / cost"})


class ReturnMonthSchema(ma.Schema):
    month = ma.fields.Function(
        lambda m: m.month.isoformat()[:7], metadata={"type": "string", "example": "2026-11"}
    )
    won = ma.fields.Integer()
    revenue = ma.fields.Decimal(as_string=True, places=2)
    cumulative = ma.fields.Decimal(as_string=True, places=2)
    return_on_leads = ma.fields.Float(allow_none=True, metadata={"description": "cumulative / cost"})


class CampaignReturnSchema(CampaignResultSchema):
    """A campaign's results and its Return on Leads month by month since it started."""

    months = ma.fields.List(ma.fields.Nested(ReturnMonthSchema))
