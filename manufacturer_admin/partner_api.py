"""The partner directory in the API (``/api/v1/partners``): list, add, read one, change its tier and
product lines. Ids are enrollment ids; another programme's answers 404. Both manufacturer roles
read; only holders of ``MANAGE_PARTNERS`` write."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort

from exchange.accounts.password_links import site_base_url
from exchange.accounts.permissions import Permission
from exchange.models import Enrollment, EnrollmentStatus, Tier
from exchange.partners.directory import AddOutcome, PartnerDetails, add_partner, change_programme
from exchange.partners.directory_list import DirectoryFilters, DirectoryRow, directory_page, directory_row
from exchange.partners.partner_details import find_product_lines
from exchange.platform.tenancy import current_org, get_scoped_or_404
from exchange.web.api import api_blueprint, refuse_writes_without
from manufacturer_admin.partner_schemas import (
    AddResultSchema,
    DirectoryPageSchema,
    DirectoryPartnerSchema,
    PartnerAddSchema,
    PartnerListArgsSchema,
    PartnerPatchSchema,
)

partners_blp = api_blueprint(
    "api_partners",
    __name__,
    "/api/v1/partners",
    "A manufacturer's partner directory (ids are enrollment ids)",
    Permission.USE_MANUFACTURER_AREA,
)
partners_blp.before_request(
    refuse_writes_without(
        Permission.MANAGE_PARTNERS, "Only a manufacturer admin may change the partner directory."
    )
)


def _row(enrollment_id: int) -> DirectoryRow:
    row = directory_row(current_org(), enrollment_id)
    if row is None:
        abort(404, message="No such partner in your programme.")
    return row


@partners_blp.route("")
class Partners(MethodView):
    @partners_blp.arguments(PartnerListArgsSchema, location="query")
    @partners_blp.response(200, DirectoryPageSchema)
    @partners_blp.doc(
        summary="List the programme's partners: search, status, tier and readiness filters, pages"
    )
    def get(self, args):
        filters = DirectoryFilters(
            search=(args.get("q") or "").strip(),
            status=EnrollmentStatus(args["status"]) if args.get("status") else None,
            tier=Tier(args["tier"]) if args.get("tier") else None,
            readiness=args.get("readiness"),
        )
        return directory_page(current_org(), filters, page=args["page"], per_page=args["per_page"])

    @partners_blp.arguments(PartnerAddSchema)
    @partners_blp.response(201, AddResultSchema)
    @partners_blp.alt_response(
        200, schema=AddResultSchema, description="Already in the programme: updated or unchanged"
    )
    @partners_blp.alt_response(
        409, description="The e-mail belongs to a manufacturer's user or a partner's non-admin"
    )
    @partners_blp.doc(
        summary="Add a partner: a new one is created and its admin invited; an existing one (its admin's "
        "e-mail) is invited to the programme; the same external id or e-mail updates the one already here"
    )
    def post(self, data):
        invite = data.pop("invite", True)
        coverage = data.pop("coverage", None)
        if coverage is not None:
            data["coverage"] = [
                (row["country"], row.get("region"), row.get("postal_prefix")) for row in coverage
            ]
        if data.get("tier"):
            data["tier"] = Tier(data["tier"])
        data["industries"] = data.get("industries") or []
        result = add_partner(
            current_user, current_org(), PartnerDetails(**data), invite=invite, base_url=site_base_url()
        )
        body = {
            "outcome": result.outcome.value,
            "invited": result.invited,
            "partner": _row(result.enrollment.id),
        }
        return body, 201 if result.outcome is AddOutcome.CREATED else 200


@partners_blp.route("/<int:enrollment_id>")
class PartnerResource(MethodView):
    @partners_blp.response(200, DirectoryPartnerSchema)
    @partners_blp.doc(summary="Read one partner of the programme (before it accepts: what you entered only)")
    def get(self, enrollment_id: int):
        return _row(enrollment_id)

    @partners_blp.arguments(PartnerPatchSchema)
    @partners_blp.response(200, DirectoryPartnerSchema)
    @partners_blp.doc(summary="Change the partner's tier and product lines (each change is recorded)")
    def patch(self, data, enrollment_id: int):
        enrollment = get_scoped_or_404(Enrollment, enrollment_id, current_org())
        lines = None
        if "product_lines" in data:
            lines = find_product_lines(current_org(), data["product_lines"], enrollment)
        change_programme(
            current_user,
            enrollment,
            tier=Tier(data["tier"]) if data.get("tier") else None,
            product_lines=lines,
        )
        return _row(enrollment.id)
