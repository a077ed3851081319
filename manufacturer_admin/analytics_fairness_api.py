"""``/api/v1/analytics``: fairness, coverage gaps over time and Return on Leads as JSON (the figures
of the pages ``/manage/analytics/fairness`` and ``/manage/analytics/return-on-leads``)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from exchange.analytics import coverage as coverage_service
from exchange.analytics import fairness as fairness_service
from exchange.analytics import return_on_leads as return_service
from exchange.models import Tier
from exchange.platform.tenancy import current_org
from manufacturer_admin.analytics_api import ScopeArgsSchema, ScopeSchema, analytics_blp, api_scope

NOT_OURS = "A campaign, product line or partner of another programme (or none)"


def _scope():
    """The request's scope; 422 for arguments that cannot be read, 404 for another programme's ids."""
    scope = api_scope()
    if fairness_service.foreign_filter(current_org().id, scope.filters):
        abort(404, message="No such campaign, product line or partner in your programme.")
    return scope


class LorenzPointSchema(ma.Schema):
    partners = ma.fields.Float(
        metadata={"description": "share of the eligible partners (those with the fewest)"}
    )
    offers = ma.fields.Float(allow_none=True, metadata={"description": "their share of the offers"})
    claims = ma.fields.Float(allow_none=True, metadata={"description": "their share of the claims"})


class SpreadSchema(ma.Schema):
    """How evenly one set of partners shared the period's offers and claims."""

    eligible = ma.fields.Integer(
        metadata={"description": "partners accepted and not ended before the period"}
    )
    offered = ma.fields.Integer(metadata={"description": "eligible partners with at least one offer"})
    claimed = ma.fields.Integer(metadata={"description": "eligible partners with at least one claim"})
    offers = ma.fields.Integer(metadata={"description": "offers that became visible in the period"})
    claims = ma.fields.Integer(metadata={"description": "claims made in the period"})
    offers_gini = ma.fields.Float(
        allow_none=True, metadata={"description": "Gini coefficient of the offers per partner (0 = equal)"}
    )
    claims_gini = ma.fields.Float(allow_none=True)
    offers_top10_share = ma.fields.Float(
        allow_none=True, metadata={"description": "share of the offers the top 10 % of partners got"}
    )
    claims_top10_share = ma.fields.Float(allow_none=True)
    top_partners = ma.fields.Integer(metadata={"description": "how many partners the top 10 % are"})
    lorenz = ma.fields.List(ma.fields.Nested(LorenzPointSchema))


class NeverOfferedSchema(ma.Schema):
    partner_id = ma.fields.Integer()
    name = ma.fields.String()
    tier = ma.fields.Enum(Tier, by_value=True)


class FairnessSchema(ma.Schema):
    scope = ma.fields.Nested(ScopeSchema)
    overall = ma.fields.Nested(SpreadSchema)
    by_tier = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(SpreadSchema))
    never_offered = ma.fields.List(
        ma.fields.Nested(NeverOfferedSchema), metadata={"description": "eligible partners without an offer"}
    )


class GapBucketSchema(ma.Schema):
    start = ma.fields.String(metadata={"description": "first day of the week (Monday) or month"})
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    total = ma.fields.Integer()


class CoverageSchema(ma.Schema):
    scope = ma.fields.Nested(ScopeSchema)
    granularity = ma.fields.String(metadata={"description": "week (periods up to 120 days) or month"})
    causes = ma.fields.List(ma.fields.String(), metadata={"description": "the causes that occur"})
    totals = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    buckets = ma.fields.List(ma.fields.Nested(GapBucketSchema))


class MonthReturnSchema(ma.Schema):
    index = ma.fields.Integer(metadata={"description": "months since the start (0 = the start month)"})
    month = ma.fields.Function(
        lambda m: m.month.isoformat()[:7], metadata={"type": "string", "example": "2026-11"}
    )
    won = ma.fields.Integer()
    revenue = ma.fields.Decimal(as_string=True, places=2)
    cumulative = ma.fields.Decimal(as_string=True, places=2)
    roi = ma.fields.Float(allow_none=True, metadata={"description": "(cumulative - cost) / cost"})
    paid_back = ma.fields.Float(allow_none=True, metadata={"description": "cumulative / cost"})


class WonElsewhereSchema(ma.Schema):
    currency = ma.fields.String()
    won = ma.fields.Integer()
    revenue = ma.fields.Decimal(as_string=True, places=2)


class CampaignReturnOnLeadsSchema(ma.Schema):
    campaign_id = ma.fields.Integer()
    name = ma.fields.String()
    cost = ma.fields.Decimal(as_string=True, places=2)
    currency = ma.fields.String()
    starts_on = ma.fields.Date(allow_none=True, metadata={"description": "the first day of month 0"})
    won = ma.fields.Integer()
    revenue = ma.fields.Decimal(
        as_string=True, places=2, metadata={"description": "in the campaign's currency"}
    )
    roi = ma.fields.Float(
        allow_none=True, metadata={"description": "(revenue - cost) / cost; null without a cost"}
    )
    payback_month = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "first month index whose cumulative revenue reached the cost"},
    )
    open_value = ma.fields.Decimal(
        as_string=True, places=2, metadata={"description": "estimated value of open leads"}
    )
    open_leads = ma.fields.Integer()
    won_elsewhere = ma.fields.List(ma.fields.Nested(WonElsewhereSchema))
    months = ma.fields.List(ma.fields.Nested(MonthReturnSchema))


class ReturnOnLeadsSchema(ma.Schema):
    campaigns = ma.fields.List(ma.fields.Nested(CampaignReturnOnLeadsSchema))


class ReturnArgsSchema(ma.Schema):
    campaign = ma.fields.List(
        ma.fields.Integer(), metadata={"description": "campaign ids (repeat); default: every campaign"}
    )


@analytics_blp.route("/fairness")
class FairnessFigures(MethodView):
    @analytics_blp.arguments(ScopeArgsSchema, location="query", as_kwargs=True)
    @analytics_blp.response(200, FairnessSchema)
    @analytics_blp.alt_response(404, description=NOT_OURS)
    @analytics_blp.doc(
        summary="How evenly offers and claims spread over the eligible partners: Gini and top-10 % share, "
        "overall and per tier, and the partners never offered"
    )
    def get(self, **_args):
        scope = _scope()
        result = fairness_service.fairness(current_org().id, scope)
        return {
            "scope": scope.period.as_dict(),
            "overall": result.overall.as_dict(),
            "by_tier": {tier.value: spread.as_dict() for tier, spread in result.by_tier.items()},
            "never_offered": result.never_offered,
        }


@analytics_blp.route("/coverage")
class CoverageGaps(MethodView):
    @analytics_blp.arguments(ScopeArgsSchema, location="query", as_kwargs=True)
    @analytics_blp.response(200, CoverageSchema)
    @analytics_blp.alt_response(404, description=NOT_OURS)
    @analytics_blp.doc(summary="Leads no partner could take, by week or month and cause")
    def get(self, **_args):
        scope = _scope()
        result = coverage_service.coverage_over_time(current_org().id, scope)
        return {"scope": scope.period.as_dict(), **result.as_dict()}


@analytics_blp.route("/return-on-leads")
class ReturnOnLeads(MethodView):
    @analytics_blp.arguments(ReturnArgsSchema, location="query", as_kwargs=True)
    @analytics_blp.response(200, ReturnOnLeadsSchema)
    @analytics_blp.alt_response(404, description="A campaign of another programme (or none)")
    @analytics_blp.doc(
        summary="Return on Leads per campaign: cumulative won revenue by month since the start against the "
        "cost, ROI, payback month and the value still in open leads"
    )
    def get(self, campaign: list[int] | None = None):
        asked = sorted(set(campaign or []))
        returns = return_service.return_on_leads(current_org().id, asked or None)
        if asked and len(returns) != len(asked):
            abort(404, message="No such campaign.")
        return {"campaigns": [r.as_dict() for r in returns]}
