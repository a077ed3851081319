"""The partner directory in the API: a partner of the programme (by its enrollment), what adding one
takes, and the programme's fields a PATCH changes. Before a partner accepts, only what the
manufacturer entered is shown (``name``, ``profile`` and the pause are null), and nothing tells
whether the admin's e-mail belonged to a partner already (no ``created_partner``)."""

from __future__ import annotations

import marshmallow as ma

from exchange.models import EnrollmentStatus, Tier
from exchange.partners.directory import AddOutcome
from exchange.partners.directory_list import READINESS_CHOICES
from exchange.partners.readiness import NotReady
from exchange.platform.schemas import Money, PageArgsSchema, page_schema

STATUSES = [status.value for status in EnrollmentStatus if status is not EnrollmentStatus.PENDING]
TIERS = [tier.value for tier in Tier]


def _status(row) -> str:
    # ``pending`` is the legacy word for an invitation.
    status = row.enrollment.status
    return EnrollmentStatus.INVITED.value if status is EnrollmentStatus.PENDING else status.value


class PartnerListArgsSchema(PageArgsSchema):
    q = ma.fields.String(
        validate=ma.validate.Length(max=100),
        metadata={"description": "In the name, the invited e-mail or the external id"},
    )
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    tier = ma.fields.String(validate=ma.validate.OneOf(TIERS))
    readiness = ma.fields.String(
        validate=ma.validate.OneOf(READINESS_CHOICES),
        metadata={"description": "ready, not_ready, or one reason"},
    )


class CoverageRowSchema(ma.Schema):
    country = ma.fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2"})
    region = ma.fields.String(allow_none=True, load_default=None)
    postal_prefix = ma.fields.String(allow_none=True, load_default=None)


class ProfileSummarySchema(ma.Schema):
    country = ma.fields.String(allow_none=True)
    region = ma.fields.String(allow_none=True)
    postal_code = ma.fields.String(allow_none=True)
    website = ma.fields.String(allow_none=True)
    capacity = ma.fields.Integer()
    radius_km = ma.fields.Float(allow_none=True)
    timezone = ma.fields.String()
    coverage = ma.fields.Function(
        lambda p: [{"country": c, "region": r, "postal_prefix": x} for c, r, x in p.coverage],
        metadata={"type": "array", "items": {"type": "object"}},
    )


class DirectoryPartnerSchema(ma.Schema):
    """One partner of the programme; ``id`` is its enrollment's."""

    id = ma.fields.Function(lambda row: row.enrollment.id, metadata={"type": "integer"})
    status = ma.fields.Function(_status, metadata={"type": "string", "enum": STATUSES})
    status_reason = ma.fields.Function(
        lambda row: row.enrollment.status_reason, metadata={"nullable": True, "type": "string"}
    )
    status_changed_at = ma.fields.Function(
        lambda row: _iso(row.enrollment.status_changed_at),
        metadata={"nullable": True, "type": "string", "format": "date-time"},
    )
    tier = ma.fields.Function(
        lambda row: row.enrollment.tier.value, metadata={"type": "string", "enum": TIERS}
    )
    product_lines = ma.fields.Function(
        lambda row: row.product_line_codes, metadata={"type": "array", "items": {"type": "string"}}
    )
    external_id = ma.fields.Function(
        lambda row: row.enrollment.external_id, metadata={"nullable": True, "type": "string"}
    )
    invited_name = ma.fields.Function(
        lambda row: row.enrollment.invited_name, metadata={"nullable": True, "type": "string"}
    )
    invited_email = ma.fields.Function(
        lambda row: row.enrollment.invited_email, metadata={"nullable": True, "type": "string"}
    )
    invited_at = ma.fields.Function(
        lambda row: _iso(row.enrollment.invited_at),
        metadata={"nullable": True, "type": "string", "format": "date-time"},
    )
    accepted = ma.fields.Function(
        lambda row: row.known,
        metadata={"type": "boolean", "description": "The partner accepted: its name and profile are shown"},
    )
    name = ma.fields.Function(
        lambda row: row.name if row.known else None,
        metadata={
            "nullable": True,
            "type": "string",
            "description": "The partner's own name; null until it accepts",
        },
    )
    ready = ma.fields.Function(lambda row: row.ready, metadata={"type": "boolean"})
    not_ready = ma.fields.Function(
        lambda row: [reason.value for reason in row.reasons],
        metadata={
            "type": "array",
            "items": {"type": "string", "enum": [reason.value for reason in NotReady]},
            "description": "Why it cannot receive offers (empty: ready)",
        },
    )
    paused = ma.fields.Function(
        lambda row: row.paused if row.known else None, metadata={"nullable": True, "type": "boolean"}
    )
    paused_until = ma.fields.Function(
        lambda row: _iso(row.paused_until),
        metadata={"nullable": True, "type": "string", "format": "date-time"},
    )
    pause_reason = ma.fields.Function(
        lambda row: row.pause_reason, metadata={"nullable": True, "type": "string"}
    )
    profile = ma.fields.Function(
        lambda row: ProfileSummarySchema().dump(row.profile) if row.profile is not None else None,
        metadata={"nullable": True, "type": "object", "description": "null until the partner accepts"},
    )


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


DirectoryPageSchema = page_schema(DirectoryPartnerSchema, "DirectoryPageSchema")


class PartnerAddSchema(ma.Schema):
    """A partner to add: what the manufacturer knows (the partner completes the rest of its profile)."""

    company = ma.fields.String(required=True)
    admin_email = ma.fields.String(required=True, metadata={"description": "Its admin is invited"})
    admin_name = ma.fields.String(allow_none=True)
    external_id = ma.fields.String(
        allow_none=True, metadata={"description": "CRM id: adding it again updates the same partner"}
    )
    country = ma.fields.String(allow_none=True, metadata={"description": "ISO 3166-1 alpha-2"})
    region = ma.fields.String(allow_none=True)
    postal_code = ma.fields.String(allow_none=True)
    website = ma.fields.String(allow_none=True)
    employees = ma.fields.Integer(allow_none=True)
    annual_revenue = Money(allow_none=True)
    industries = ma.fields.List(ma.fields.String(), load_default=list)
    tier = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(TIERS))
    product_lines = ma.fields.List(
        ma.fields.String(), allow_none=True, metadata={"description": "Product-line codes of this programme"}
    )
    coverage = ma.fields.List(ma.fields.Nested(CoverageRowSchema), allow_none=True)
    capacity = ma.fields.Integer(allow_none=True)
    invite = ma.fields.Boolean(load_default=True, metadata={"description": "Send the invitation now"})


class AddResultSchema(ma.Schema):
    outcome = ma.fields.String(
        metadata={
            "enum": [outcome.value for outcome in AddOutcome],
            "description": "created, updated or duplicate",
        }
    )
    invited = ma.fields.Boolean(metadata={"description": "An invitation was sent"})
    partner = ma.fields.Nested(DirectoryPartnerSchema)


class PartnerPatchSchema(ma.Schema):
    tier = ma.fields.String(validate=ma.validate.OneOf(TIERS))
    product_lines = ma.fields.List(ma.fields.String(), metadata={"description": "All the lines it serves"})
