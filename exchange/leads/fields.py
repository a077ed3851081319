"""A lead's fields per audience, each list once; the audiences' schemas are built from them.

- ``MANUFACTURER_FIELDS``: what a manufacturer sees of its own leads (everything it gave and what
  the exchange made of it).
- ``TEASER_FIELDS``: what a partner sees before its claim - enough to choose by, nothing that
  identifies or reaches the buyer (``CONTACT_FIELDS``).
- ``CLAIMED_FIELDS``: what the partner holding the claim sees - the teaser and who to call.

:class:`LeadFieldsSchema` declares every field once, with its type; an audience's schema is a
subclass that names its list in ``Meta.fields`` (a schema of its own, so the OpenAPI document keeps
one component per audience).
"""

from __future__ import annotations

import marshmallow as ma

# The lead columns a manufacturer's input fills (files, the API, the form: LeadInputSchema).
INPUT_COLUMNS = (
    "source_id", "lead_source", "company_name", "contact_first_name", "contact_last_name", "contact_title",
    "contact_email", "contact_phone", "street", "postal_code", "city", "region", "country", "industry",
    "employees", "annual_revenue", "website", "product_interest", "estimated_value", "currency",
    "description", "need", "fit", "budget", "authority", "timeframe",
)  # fmt: skip

MANUFACTURER_FIELDS = (
    "id", *INPUT_COLUMNS, "campaign_id", "product_line_id", "status", "temperature", "temperature_reason",
    "imported_rating", "created_at", "updated_at", "published_at", "closed_at",
)  # fmt: skip

TEASER_FIELDS = (
    "id", "industry", "size_band", "employees", "country", "region", "product_interest", "estimated_value",
    "currency", "temperature", "contact_details_included",
)  # fmt: skip

# Who to call: never sent to a partner before its claim (nor in a payload's extras).
CONTACT_FIELDS = frozenset(
    {
        "company_name",
        "contact_first_name",
        "contact_last_name",
        "contact_name",
        "contact_title",
        "contact_email",
        "contact_phone",
        "street",
        "postal_code",
        "city",
        "website",
        "latitude",
        "longitude",
        "description",
    }
)

CLAIMED_FIELDS = (
    *TEASER_FIELDS, "status", "company_name", "website", "contact_name", "contact_first_name",
    "contact_last_name", "contact_title", "contact_email", "contact_phone", "street", "postal_code", "city",
    "description", "qualification", "claimed_at",
)  # fmt: skip

# What the partner portal's API adds to the teaser, and to the claimed lead.
PORTAL_FIELDS = ("product_line_id", "published_at")
OUTCOME_FIELDS = ("won_amount", "won_currency", "lost_reason")


class LeadFieldsSchema(ma.Schema):
    """Every field a lead is shown with, declared once; subclasses choose theirs (``Meta.fields``)."""

    id = ma.fields.Integer()
    source_id = ma.fields.String(allow_none=True)
    lead_source = ma.fields.String(allow_none=True)
    campaign_id = ma.fields.Integer(allow_none=True)
    product_line_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String()
    temperature = ma.fields.String()
    temperature_reason = ma.fields.String(allow_none=True)
    imported_rating = ma.fields.String(allow_none=True)
    contact_name = ma.fields.String()
    contact_first_name = ma.fields.String(allow_none=True)
    contact_last_name = ma.fields.String(allow_none=True)
    contact_title = ma.fields.String(allow_none=True)
    contact_email = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True)
    company_name = ma.fields.String()
    industry = ma.fields.String(allow_none=True)
    size_band = ma.fields.String(allow_none=True)
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
    description = ma.fields.String(allow_none=True)
    need = ma.fields.Boolean(allow_none=True)
    fit = ma.fields.Boolean(allow_none=True)
    budget = ma.fields.Boolean(allow_none=True)
    authority = ma.fields.Boolean(allow_none=True)
    timeframe = ma.fields.Boolean(allow_none=True)
    qualification = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean(allow_none=True))
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    published_at = ma.fields.DateTime(allow_none=True)
    claimed_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    won_amount = ma.fields.Decimal(as_string=True, allow_none=True)
    won_currency = ma.fields.String(allow_none=True)
    lost_reason = ma.fields.String(allow_none=True)
    contact_details_included = ma.fields.Constant(False)
