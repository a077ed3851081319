"""The partner profile over the API: ``GET/PUT/PATCH /api/v1/partner/profile``.

Partner reps read it; partner admins (sessions, or their ``read_write`` tokens) change it. PUT takes
the whole document (every writable field), PATCH only the fields to change. The body is read with the
profile's one schema (``exchange.partners.profile_schema``) and saved by
``exchange.partners.profiles.update_profile``, so the rules and messages are the portal form's, and
every refusal answers 422 with ``errors: {field: [messages]}``.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user

from exchange.accounts.permissions import Permission
from exchange.models import Organisation
from exchange.partners.profile_schema import ProfileSchema
from exchange.partners.profiles import (
    partner_enrollments,
    profile_values,
    selectable_product_lines,
    update_profile,
)
from exchange.platform.tenancy import current_org
from exchange.web.api import api_blueprint

profile_blp = api_blueprint(
    "api_partner_profile",
    __name__,
    "/api/v1/partner/profile",
    "The partner profile that matching uses",
    Permission.USE_PARTNER_AREA,
    Permission.EDIT_PARTNER_PROFILE,
)


class ProductLineSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()


class ProgrammeSchema(ma.Schema):
    """A manufacturer programme the partner is enrolled in; only ``product_lines`` is the partner's."""

    manufacturer_id = ma.fields.Integer(required=True)
    manufacturer = ma.fields.String(dump_only=True)
    tier = ma.fields.String(dump_only=True)
    status = ma.fields.String(dump_only=True)
    product_lines = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "codes of the product lines served"}
    )
    available_product_lines = ma.fields.List(ma.fields.Nested(ProductLineSchema), dump_only=True)


class PartnerProfileSchema(ProfileSchema):
    """The profile's schema as the API's document: the programmes as a list with what the
    manufacturer set, and the figures the partner cannot write."""

    size_band = ma.fields.String(dump_only=True, allow_none=True)
    programmes = ma.fields.List(
        ma.fields.Nested(ProgrammeSchema),
        metadata={"description": "programmes left out keep their product lines"},
    )
    matching_changed_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)

    @ma.post_load
    def programmes_by_manufacturer(self, data, **kwargs):
        if "programmes" in data:
            # A PATCH loads partially, nested entries too: one without both keys changes nothing.
            data["programmes"] = {
                str(p["manufacturer_id"]): p["product_lines"]
                for p in data["programmes"]
                if "manufacturer_id" in p and "product_lines" in p
            }
        return data


class PartnerProfilePatchSchema(PartnerProfileSchema):
    """The same fields, any subset of them (loaded with ``partial=True``)."""


def profile_document(partner: Organisation) -> dict:
    values = profile_values(partner)
    profile = partner.profile
    values["size_band"] = profile.size_band.value if profile.size_band else None
    values["matching_changed_at"] = profile.matching_changed_at
    values["updated_at"] = profile.updated_at
    values["programmes"] = [
        {
            "manufacturer_id": enrollment.manufacturer_id,
            "manufacturer": enrollment.manufacturer.name,
            "tier": enrollment.tier.value,
            "status": enrollment.status.value,
            "product_lines": values["programmes"][str(enrollment.manufacturer_id)],
            "available_product_lines": selectable_product_lines(enrollment),
        }
        for enrollment in partner_enrollments(partner)
    ]
    return values


def _save(data: dict) -> dict:
    org = current_org()
    update_profile(current_user._get_current_object(), org, data)
    return profile_document(org)


@profile_blp.route("")
class PartnerProfile(MethodView):
    @profile_blp.response(200, PartnerProfileSchema)
    @profile_blp.doc(summary="The partner's profile, with its programmes")
    def get(self):
        return profile_document(current_org())

    @profile_blp.arguments(PartnerProfileSchema)
    @profile_blp.response(200, PartnerProfileSchema)
    @profile_blp.doc(summary="Replace the profile (partner admins); every writable field is required")
    def put(self, data):
        return _save(data)

    @profile_blp.arguments(PartnerProfilePatchSchema(partial=True))
    @profile_blp.response(200, PartnerProfileSchema)
    @profile_blp.doc(summary="Change some fields of the profile (partner admins)")
    def patch(self, data):
        return _save(data)
