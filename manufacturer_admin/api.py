"""The manufacturer side of the REST API."""

from __future__ import annotations

from flask.views import MethodView

from exchange.api import api_blueprint
from exchange.models import Lead
from exchange.models.enums import MANUFACTURER_ROLES
from exchange.schemas import PageArgsSchema, paginate
from exchange.tenancy import current_org, get_scoped_or_404, scoped
from manufacturer_admin.schemas import LeadPageSchema, ManufacturerLeadSchema
from manufacturer_admin.sla_api import sla_blp

leads_blp = api_blueprint(
    "api_leads", __name__, "/api/v1/leads", "A manufacturer's leads", roles=MANUFACTURER_ROLES
)


@leads_blp.route("")
class Leads(MethodView):
    @leads_blp.arguments(PageArgsSchema, location="query")
    @leads_blp.response(200, LeadPageSchema)
    @leads_blp.doc(summary="List the manufacturer's leads, newest first")
    def get(self, args):
        query = scoped(Lead, current_org()).order_by(Lead.created_at.desc(), Lead.id.desc())
        return paginate(query, args["page"], args["per_page"])


@leads_blp.route("/<int:lead_id>")
class LeadResource(MethodView):
    @leads_blp.response(200, ManufacturerLeadSchema)
    @leads_blp.doc(summary="Read one lead")
    def get(self, lead_id: int):
        return get_scoped_or_404(Lead, lead_id, current_org())


API_BLUEPRINTS = [leads_blp, sla_blp]
