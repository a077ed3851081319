"""The manufacturer side of the REST API: leads (one, a batch, list, read, update, publish,
withdraw) and campaigns. Reading is open to both manufacturer roles; writing to the admin."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort

from exchange.accounts.permissions import Permission
from exchange.leads import campaigns as campaign_service
from exchange.leads import lifecycle as lead_service
from exchange.leads.intake.schema import LeadInputSchema
from exchange.leads.lead_writer import LeadWriter
from exchange.models import Campaign, Lead
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from exchange.platform.schemas import PageArgsSchema, paginate
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.api import api_blueprint, refuse_writes_without
from manufacturer_admin.analytics_api import analytics_blp
from manufacturer_admin.lead_filters import LeadListArgsSchema, filtered_leads
from manufacturer_admin.partner_api import partners_blp
from manufacturer_admin.schemas import (
    BulkResultSchema,
    CampaignPageSchema,
    CampaignResultSchema,
    CampaignReturnSchema,
    CampaignSchema,
    CampaignUpdateSchema,
    LeadBatchResultSchema,
    LeadBatchSchema,
    LeadIdsSchema,
    LeadPageSchema,
    LeadUpdateSchema,
    ManufacturerLeadSchema,
    WithdrawSchema,
)
from manufacturer_admin.sla_api import sla_blp

leads_blp = api_blueprint(
    "api_leads", __name__, "/api/v1/leads", "A manufacturer's leads", Permission.USE_MANUFACTURER_AREA
)
campaigns_blp = api_blueprint(
    "api_campaigns",
    __name__,
    "/api/v1/campaigns",
    "A manufacturer's campaigns",
    Permission.USE_MANUFACTURER_AREA,
)


# Channel managers read; only the manufacturer admin changes leads and campaigns.
_ONLY_ADMINS = "Only a manufacturer admin may change leads and campaigns."
leads_blp.before_request(refuse_writes_without(Permission.MANAGE_LEADS, _ONLY_ADMINS))
campaigns_blp.before_request(refuse_writes_without(Permission.MANAGE_CAMPAIGNS, _ONLY_ADMINS))


def _leads_by_ids(ids: list[int]) -> list[Lead]:
    leads = db.session.scalars(scoped(Lead, current_org()).where(Lead.id.in_(ids)).order_by(Lead.id)).all()
    missing = sorted(set(ids) - {lead.id for lead in leads})
    if missing:
        abort(404, message=f"No such lead: {', '.join(map(str, missing))}")
    return list(leads)


@leads_blp.route("")
class Leads(MethodView):
    @leads_blp.arguments(LeadListArgsSchema, location="query")
    @leads_blp.response(200, LeadPageSchema)
    @leads_blp.doc(summary="List leads: filters, search, sort (e.g. -created_at, temperature), pages")
    def get(self, args):
        page, per_page = args.pop("page"), args.pop("per_page")
        return paginate(filtered_leads(current_org(), args), page, per_page)

    @leads_blp.arguments(LeadInputSchema)
    @leads_blp.response(201, ManufacturerLeadSchema)
    @leads_blp.alt_response(409, description="The lead exists already (same source id, or e-mail + company)")
    @leads_blp.doc(summary="Create one draft lead")
    def post(self, data):
        lead = lead_service.create_lead(current_user, current_org(), data)
        return lead


@leads_blp.route("/batch")
class LeadBatch(MethodView):
    @leads_blp.arguments(LeadBatchSchema)
    @leads_blp.response(200, LeadBatchResultSchema)
    @leads_blp.doc(
        summary="Create up to 1,000 leads; each item is validated on its own",
        description="Items are LeadInput objects. Each gets a result: created, updated (an existing "
        "draft with new values), duplicate (exists, unchanged or no longer a draft) or rejected "
        "(with errors per field). The valid items are written even when others are rejected.",
    )
    def post(self, body):
        writer = LeadWriter(current_org(), actor=current_user, event_type=LeadEvent.LEAD_CREATED)
        results = writer.write(list(enumerate(body["items"])))
        counts = {"created": 0, "updated": 0, "duplicate": 0, "rejected": 0}
        for result in results:
            counts[result.status] += 1
        return {
            "created": counts["created"],
            "updated": counts["updated"],
            "duplicates": counts["duplicate"],
            "rejected": counts["rejected"],
            "results": [
                {"index": r.row, "status": r.status, "id": r.lead_id, "errors": r.errors} for r in results
            ],
        }


@leads_blp.route("/<int:lead_id>")
class LeadResource(MethodView):
    @leads_blp.response(200, ManufacturerLeadSchema)
    @leads_blp.doc(summary="Read one lead")
    def get(self, lead_id: int):
        return get_scoped_or_404(Lead, lead_id, current_org())

    @leads_blp.arguments(LeadUpdateSchema(partial=True))
    @leads_blp.response(200, ManufacturerLeadSchema)
    @leads_blp.alt_response(409, description="Not a draft, or the change makes it a duplicate")
    @leads_blp.doc(summary="Change a draft lead (any subset of its fields); re-qualifies it")
    def patch(self, data, lead_id: int):
        lead = get_scoped_or_404(Lead, lead_id, current_org())
        lead_service.update_lead(current_user, lead, data)
        return lead


@leads_blp.route("/<int:lead_id>/publish")
class LeadPublish(MethodView):
    @leads_blp.response(200, ManufacturerLeadSchema)
    @leads_blp.alt_response(409, description="Not a draft")
    @leads_blp.doc(summary="Publish a draft lead (matching starts)")
    def post(self, lead_id: int):
        lead = get_scoped_or_404(Lead, lead_id, current_org())
        lead_service.publish_lead(current_user, lead)
        return lead


@leads_blp.route("/<int:lead_id>/withdraw")
class LeadWithdraw(MethodView):
    @leads_blp.arguments(WithdrawSchema(), required=False)
    @leads_blp.response(200, ManufacturerLeadSchema)
    @leads_blp.alt_response(409, description="A partner works the lead, or it is closed")
    @leads_blp.doc(summary="Withdraw a lead; its pending and open offers close")
    def post(self, body, lead_id: int):
        lead = get_scoped_or_404(Lead, lead_id, current_org())
        lead_service.withdraw_lead(current_user, lead, reason=(body or {}).get("reason"))
        return lead


@leads_blp.route("/publish")
class LeadsPublish(MethodView):
    @leads_blp.arguments(LeadIdsSchema)
    @leads_blp.response(200, BulkResultSchema)
    @leads_blp.doc(summary="Publish several leads; those that are not drafts are skipped")
    def post(self, body):
        leads = _leads_by_ids(body["ids"])
        done = lead_service.publish_leads(current_user, leads)
        done_ids = {lead.id for lead in done}
        return {"done": sorted(done_ids), "skipped": [lead.id for lead in leads if lead.id not in done_ids]}


@leads_blp.route("/withdraw")
class LeadsWithdraw(MethodView):
    @leads_blp.arguments(LeadIdsSchema)
    @leads_blp.response(200, BulkResultSchema)
    @leads_blp.doc(summary="Withdraw several leads; those a partner works or that are closed are skipped")
    def post(self, body):
        leads = _leads_by_ids(body["ids"])
        done = lead_service.withdraw_leads(current_user, leads, reason=body.get("reason"))
        done_ids = {lead.id for lead in done}
        return {"done": sorted(done_ids), "skipped": [lead.id for lead in leads if lead.id not in done_ids]}


def _with_count(campaign: Campaign) -> Campaign:
    campaign.lead_count = campaign_service.lead_count(campaign)  # type: ignore[attr-defined]
    return campaign


@campaigns_blp.route("")
class Campaigns(MethodView):
    @campaigns_blp.arguments(PageArgsSchema, location="query")
    @campaigns_blp.response(200, CampaignPageSchema)
    @campaigns_blp.doc(summary="List campaigns, newest start first")
    def get(self, args):
        query = scoped(Campaign, current_org()).order_by(
            Campaign.starts_on.desc().nulls_last(), Campaign.id.desc()
        )
        page = paginate(query, args["page"], args["per_page"])
        page["items"] = [_with_count(c) for c in page["items"]]
        return page

    @campaigns_blp.arguments(CampaignSchema)
    @campaigns_blp.response(201, CampaignSchema)
    @campaigns_blp.doc(summary="Create a campaign")
    def post(self, data):
        campaign = campaign_service.create_campaign(current_org(), data)
        return _with_count(campaign)


@campaigns_blp.route("/results")
class CampaignResults(MethodView):
    @campaigns_blp.response(200, CampaignResultSchema(many=True))
    @campaigns_blp.doc(
        summary="Results per campaign: response rate, wins, won revenue, cost per won lead, return on leads"
    )
    def get(self):
        return campaign_service.campaign_results(current_org().id)


@campaigns_blp.route("/<int:campaign_id>/results")
class CampaignReturn(MethodView):
    @campaigns_blp.response(200, CampaignReturnSchema)
    @campaigns_blp.doc(summary="One campaign's results and its return on leads month by month")
    def get(self, campaign_id: int):
        return campaign_service.campaign_result(get_scoped_or_404(Campaign, campaign_id, current_org()))


@campaigns_blp.route("/<int:campaign_id>")
class CampaignResource(MethodView):
    @campaigns_blp.response(200, CampaignSchema)
    @campaigns_blp.doc(summary="Read a campaign")
    def get(self, campaign_id: int):
        return _with_count(get_scoped_or_404(Campaign, campaign_id, current_org()))

    @campaigns_blp.arguments(CampaignUpdateSchema(partial=True))
    @campaigns_blp.response(200, CampaignSchema)
    @campaigns_blp.doc(summary="Change a campaign")
    def patch(self, data, campaign_id: int):
        campaign = get_scoped_or_404(Campaign, campaign_id, current_org())
        campaign_service.update_campaign(campaign, data)
        return _with_count(campaign)

    @campaigns_blp.response(204)
    @campaigns_blp.alt_response(409, description="Leads belong to it")
    @campaigns_blp.doc(summary="Delete a campaign without leads")
    def delete(self, campaign_id: int):
        campaign = get_scoped_or_404(Campaign, campaign_id, current_org())
        campaign_service.delete_campaign(campaign)


API_BLUEPRINTS = [leads_blp, campaigns_blp, sla_blp, partners_blp, analytics_blp]
