"""``GET /api/v1/analytics/overview``: the overview page as JSON (``exchange.analytics.overview``),
with the page's query arguments. Money as strings with their currency, never added across
currencies; a figure with nothing decided is ``null``."""

from __future__ import annotations

import dataclasses
from typing import Any

import marshmallow as ma
from flask.views import MethodView

from exchange.analytics import overview as overviews
from exchange.platform.tenancy import current_org
from manufacturer_admin.analytics_api import ScopeArgsSchema, ScopeSchema, analytics_blp, api_scope

_RATE = {"allow_none": True, "metadata": {"description": "0-1; null while nothing is decided"}}
_MINUTES = {"allow_none": True, "metadata": {"description": "minutes since publication; null without any"}}


class AmountSchema(ma.Schema):
    currency = ma.fields.String(metadata={"example": "EUR"})
    amount = ma.fields.Decimal(as_string=True, places=2, metadata={"example": "25000.00"})


class BreachesSchema(ma.Schema):
    first_contact = ma.fields.Integer(metadata={"description": "first-contact deadlines missed"})
    next_update = ma.fields.Integer(metadata={"description": "status-update deadlines missed"})
    claim = ma.fields.Integer(metadata={"description": "claim windows that ran out"})


class OverviewFiguresSchema(ma.Schema):
    """One period's figures: the leads first published in it, their outcomes to date."""

    published = ma.fields.Integer()
    offered = ma.fields.Integer()
    claimed = ma.fields.Integer()
    awaiting = ma.fields.Integer(metadata={"description": "still published or offered, never claimed"})
    response_rate = ma.fields.Float(**_RATE)
    contacted = ma.fields.Integer()
    contacted_in_sla = ma.fields.Integer()
    qualified = ma.fields.Integer()
    won = ma.fields.Integer()
    lost = ma.fields.Integer()
    win_rate = ma.fields.Float(**_RATE)
    won_revenue = ma.fields.List(ma.fields.Nested(AmountSchema), metadata={"description": "per currency"})
    claim_minutes_median = ma.fields.Float(**_MINUTES)
    claim_minutes_p90 = ma.fields.Float(**_MINUTES)
    contact_minutes_median = ma.fields.Float(**_MINUTES)
    contact_minutes_p90 = ma.fields.Float(**_MINUTES)
    first_contact_met = ma.fields.Integer()
    first_contact_missed = ma.fields.Integer()
    sla_compliance = ma.fields.Float(**_RATE)
    breaches = ma.fields.Nested(BreachesSchema)
    recycled = ma.fields.Integer()
    returned = ma.fields.Integer(metadata={"description": "claims handed back by partners"})
    returned_unclaimed = ma.fields.Integer(metadata={"description": "leads that ran out of waves"})
    declines = ma.fields.Integer()
    never_claimed = ma.fields.Integer()
    claimed_never_contacted = ma.fields.Integer()
    leakage = ma.fields.Integer()
    leakage_rate = ma.fields.Float(**_RATE)


class OverviewScopeSchema(ma.Schema):
    period = ma.fields.Nested(ScopeSchema)
    previous = ma.fields.Nested(ScopeSchema)
    filters = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())


class FunnelStepSchema(ma.Schema):
    key = ma.fields.String(metadata={"example": "claimed"})
    count = ma.fields.Integer()
    conversion = ma.fields.Float(allow_none=True, metadata={"description": "share of the step before"})
    of_published = ma.fields.Float(allow_none=True)


class LeakageSchema(ma.Schema):
    never_claimed = ma.fields.Integer()
    claimed_never_contacted = ma.fields.Integer()
    leakage = ma.fields.Integer()
    rate = ma.fields.Float(**_RATE)
    previous_rate = ma.fields.Float(**_RATE)
    push_model_low = ma.fields.Float(metadata={"description": "what the push model loses, low end"})
    push_model_high = ma.fields.Float()


class BucketSchema(ma.Schema):
    bucket = ma.fields.String(metadata={"description": "15m, 1h, 4h, 1d, 3d, more (upper bounds)"})
    count = ma.fields.Integer()
    share = ma.fields.Float(allow_none=True)


class DistributionsSchema(ma.Schema):
    claim = ma.fields.List(ma.fields.Nested(BucketSchema))
    contact = ma.fields.List(ma.fields.Nested(BucketSchema))


class TrendPointSchema(ma.Schema):
    key = ma.fields.String(metadata={"example": "2026-W49"})
    start = ma.fields.Date()
    published = ma.fields.Integer()
    response_rate = ma.fields.Float(allow_none=True)
    sla_compliance = ma.fields.Float(allow_none=True)
    leakage_rate = ma.fields.Float(allow_none=True)
    won = ma.fields.Integer()


class TrendSchema(ma.Schema):
    unit = ma.fields.String(metadata={"description": "week (periods up to 120 days) or month"})
    points = ma.fields.List(ma.fields.Nested(TrendPointSchema))


class OverviewSchema(ma.Schema):
    scope = ma.fields.Nested(OverviewScopeSchema)
    current = ma.fields.Nested(OverviewFiguresSchema)
    previous = ma.fields.Nested(OverviewFiguresSchema)
    funnel = ma.fields.List(ma.fields.Nested(FunnelStepSchema))
    leakage = ma.fields.Nested(LeakageSchema)
    distributions = ma.fields.Nested(DistributionsSchema)
    trend = ma.fields.Nested(TrendSchema)


def _figures(figures: overviews.Figures) -> dict[str, Any]:
    values = dataclasses.asdict(figures)
    values["won_revenue"] = [{"currency": c, "amount": a} for c, a in sorted(figures.won_revenue.items())]
    return values


def as_document(data: overviews.Overview) -> dict[str, Any]:
    current = data.current
    return {
        "scope": {
            "period": data.period.as_dict(),
            "previous": data.previous_period.as_dict(),
            "filters": data.scope.filters.as_dict(),
        },
        "current": _figures(current),
        "previous": _figures(data.previous),
        "funnel": data.funnel,
        "leakage": {
            "never_claimed": current.never_claimed,
            "claimed_never_contacted": current.claimed_never_contacted,
            "leakage": current.leakage,
            "rate": current.leakage_rate,
            "previous_rate": data.previous.leakage_rate,
            "push_model_low": overviews.PUSH_MODEL_LEAKAGE[0],
            "push_model_high": overviews.PUSH_MODEL_LEAKAGE[1],
        },
        "distributions": {
            name: [{"bucket": key, "count": n, "share": share} for key, n, share in buckets]
            for name, buckets in data.distributions.items()
        },
        "trend": data.trend,
    }


@analytics_blp.route("/overview")
class AnalyticsOverview(MethodView):
    @analytics_blp.arguments(ScopeArgsSchema, location="query", as_kwargs=True)
    @analytics_blp.response(200, OverviewSchema)
    @analytics_blp.alt_response(404, description="A campaign, product line or partner of another programme")
    @analytics_blp.doc(
        summary="The programme's figures for a period beside the period before, funnel, leakage and trend"
    )
    def get(self, **_args: Any):
        return as_document(overviews.overview(current_org().id, api_scope()))
