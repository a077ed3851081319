"""``/api/v1/enrollments``: a manufacturer's programme enrollments, or a partner's own programmes,
and the lifecycle changes each side makes (docs/enrollment.md).

Both kinds of organisation use the same paths; each sees only its own enrollments (another side's
or another programme's id answers 404) and only what it may know: until the partner accepts, the
manufacturer sees the name and e-mail it invited, never the partner organisation.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy.orm import selectinload

from exchange.accounts.password_links import site_base_url
from exchange.accounts.permissions import Permission, can
from exchange.models import Enrollment, EnrollmentStatus
from exchange.offers import enrollment_effects
from exchange.partners import enrollments
from exchange.platform.schemas import PageArgsSchema, page_schema, paginate
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.api import api_blueprint

blp = api_blueprint(
    "api_enrollments",
    __name__,
    "/api/v1/enrollments",
    "Enrollments: a programme's partners (manufacturer tokens) or a partner's programmes (partner "
    "tokens); accept and decline (partner admin), suspend, end, reactivate, reassign (manufacturer admin)",
)


class NamedSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class ProductLineRefSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()


class EnrollmentSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": [s.value for s in EnrollmentStatus]})
    tier = ma.fields.String()
    product_lines = ma.fields.List(ma.fields.Nested(ProductLineRefSchema))
    enrolled_at = ma.fields.DateTime()
    invited_at = ma.fields.DateTime(allow_none=True)
    responded_at = ma.fields.DateTime(allow_none=True)
    status_changed_at = ma.fields.DateTime(allow_none=True)
    status_reason = ma.fields.String(allow_none=True)
    manufacturer = ma.fields.Nested(NamedSchema, metadata={"description": "Partner tokens only"})
    partner = ma.fields.Nested(
        NamedSchema,
        allow_none=True,
        metadata={"description": "Manufacturer tokens only; null until the partner has accepted"},
    )
    invited_name = ma.fields.String(allow_none=True, metadata={"description": "Manufacturer tokens only"})
    invited_email = ma.fields.String(allow_none=True, metadata={"description": "Manufacturer tokens only"})
    external_id = ma.fields.String(allow_none=True, metadata={"description": "Manufacturer tokens only"})


EnrollmentPageSchema = page_schema(EnrollmentSchema, "EnrollmentPageSchema")


class EnrollmentListArgsSchema(PageArgsSchema):
    status = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf([s.value for s in EnrollmentStatus if s != "pending"])
    )


class ReasonSchema(ma.Schema):
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class RequiredReasonSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class ReassignSchema(ma.Schema):
    claim_ids = ma.fields.List(
        ma.fields.Integer(),
        load_default=None,
        allow_none=True,
        metadata={"description": "The claims to reassign; all of the partner's active claims when left out"},
    )
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class ReassignResultSchema(ma.Schema):
    enrollment = ma.fields.Nested(EnrollmentSchema)
    reassigned = ma.fields.List(ma.fields.Integer(), metadata={"description": "The claims taken"})


def as_seen(enrollment: Enrollment) -> dict[str, Any]:
    """The enrollment as the caller's side may see it."""
    seen: dict[str, Any] = {
        "id": enrollment.id,
        "status": (
            EnrollmentStatus.INVITED if enrollments.is_invited(enrollment) else enrollment.status
        ).value,
        "tier": enrollment.tier.value,
        "product_lines": [{"code": line.code, "name": line.name} for line in enrollment.product_lines],
        "enrolled_at": enrollment.enrolled_at,
        "invited_at": enrollment.invited_at,
        "responded_at": enrollment.responded_at,
        "status_changed_at": enrollment.status_changed_at,
        "status_reason": enrollment.status_reason,
    }
    if current_org().is_partner:
        seen["manufacturer"] = {"id": enrollment.manufacturer_id, "name": enrollment.manufacturer.name}
        return seen
    partner = enrollment.partner if enrollments.partner_visible(enrollment) else None
    seen.update(
        partner={"id": partner.id, "name": partner.name} if partner is not None else None,
        invited_name=enrollment.invited_name,
        invited_email=enrollment.invited_email,
        external_id=enrollment.external_id,
    )
    return seen


def _enrollment(enrollment_id: int, permission: Permission | None = None) -> Enrollment:
    if permission is not None and not can(current_user, permission):
        abort(403, message="Your role may not make this change.")
    return get_scoped_or_404(Enrollment, enrollment_id, current_org())


@blp.route("")
class Enrollments(MethodView):
    @blp.arguments(EnrollmentListArgsSchema, location="query")
    @blp.response(200, EnrollmentPageSchema)
    @blp.doc(summary="Your enrollments: a manufacturer's partners, or a partner's programmes")
    def get(self, args):
        query = (
            scoped(Enrollment, current_org())
            .options(selectinload(Enrollment.product_lines), selectinload(Enrollment.manufacturer))
            .order_by(Enrollment.id)
        )
        if args["status"] == EnrollmentStatus.INVITED:
            query = query.where(Enrollment.status.in_(enrollments.INVITED))
        elif args["status"]:
            query = query.where(Enrollment.status == args["status"])
        page = paginate(query, args["page"], args["per_page"])
        page["items"] = [as_seen(e) for e in page["items"]]
        return page


@blp.route("/<int:enrollment_id>")
class EnrollmentResource(MethodView):
    @blp.response(200, EnrollmentSchema)
    @blp.doc(summary="One enrollment")
    def get(self, enrollment_id: int):
        return as_seen(_enrollment(enrollment_id))


@blp.route("/<int:enrollment_id>/accept")
class EnrollmentAccept(MethodView):
    @blp.response(200, EnrollmentSchema)
    @blp.alt_response(409, description="No open invitation")
    @blp.doc(summary="Accept the programme's invitation (partner admin)")
    def post(self, enrollment_id: int):
        enrollment = _enrollment(enrollment_id, Permission.MANAGE_PROGRAMMES)
        enrollments.accept(current_user, enrollment)
        return as_seen(enrollment)


@blp.route("/<int:enrollment_id>/decline")
class EnrollmentDecline(MethodView):
    @blp.arguments(ReasonSchema, required=False)
    @blp.response(200, EnrollmentSchema)
    @blp.alt_response(409, description="No open invitation")
    @blp.doc(summary="Decline the programme's invitation, optionally saying why (partner admin)")
    def post(self, data, enrollment_id: int):
        enrollment = _enrollment(enrollment_id, Permission.MANAGE_PROGRAMMES)
        enrollments.decline(current_user, enrollment, (data or {}).get("reason"))
        return as_seen(enrollment)


@blp.route("/<int:enrollment_id>/suspend")
class EnrollmentSuspend(MethodView):
    @blp.arguments(RequiredReasonSchema)
    @blp.response(200, EnrollmentSchema)
    @blp.alt_response(409, description="Only an active enrollment can be suspended")
    @blp.doc(
        summary="Suspend the partner (manufacturer admin): no new offers, its open offers close, its "
        "claims stay with it"
    )
    def post(self, data, enrollment_id: int):
        enrollment = _enrollment(enrollment_id, Permission.MANAGE_PARTNERS)
        enrollment_effects.suspend(current_user, enrollment, data["reason"])
        return as_seen(enrollment)


@blp.route("/<int:enrollment_id>/end")
class EnrollmentEnd(MethodView):
    @blp.arguments(RequiredReasonSchema)
    @blp.response(200, EnrollmentSchema)
    @blp.alt_response(409, description="Already ended, or declined")
    @blp.doc(
        summary="End the enrollment, or withdraw an open invitation (manufacturer admin); open offers "
        "close, claims stay"
    )
    def post(self, data, enrollment_id: int):
        enrollment = _enrollment(enrollment_id, Permission.MANAGE_PARTNERS)
        enrollment_effects.end(current_user, enrollment, data["reason"])
        return as_seen(enrollment)


@blp.route("/<int:enrollment_id>/reactivate")
class EnrollmentReactivate(MethodView):
    @blp.arguments(ReasonSchema, required=False)
    @blp.response(200, EnrollmentSchema)
    @blp.alt_response(409, description="Active or invited already")
    @blp.doc(
        summary="Reactivate a suspended partner; invite an ended or declined one again (manufacturer admin)"
    )
    def post(self, data, enrollment_id: int):
        enrollment = _enrollment(enrollment_id, Permission.MANAGE_PARTNERS)
        enrollments.reactivate(current_user, enrollment, (data or {}).get("reason"), base_url=site_base_url())
        return as_seen(enrollment)


@blp.route("/<int:enrollment_id>/reassign")
class EnrollmentReassign(MethodView):
    @blp.arguments(ReassignSchema, required=False)
    @blp.response(200, ReassignResultSchema)
    @blp.alt_response(409, description="The partner is not suspended or ended")
    @blp.doc(
        summary="Take a suspended or ended partner's claims (all, or claim_ids) and match their leads "
        "again without it (manufacturer admin)"
    )
    def post(self, data, enrollment_id: int):
        enrollment = _enrollment(enrollment_id, Permission.MANAGE_PARTNERS)
        data = data or {}
        taken = enrollment_effects.reassign_claims(
            current_user, enrollment, data.get("claim_ids"), data.get("reason")
        )
        return {"enrollment": as_seen(enrollment), "reassigned": [claim.id for claim in taken]}
