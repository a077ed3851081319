"""``/api/v1/analytics/partners``: the ranked partner table (sorted and paged in SQL) and a partner's
scorecard, with the query arguments of the pages. Another programme's partner answers 404."""

from __future__ import annotations

from typing import Any

from flask_smorest import abort
from marshmallow import Schema, fields, validate

from exchange.analytics import partner_table as table
from exchange.analytics.period import Period
from exchange.analytics.scorecard import PartnerNotInProgramme, scorecard
from exchange.platform.tenancy import current_org
from manufacturer_admin.analytics_api import ScopeArgsSchema, ScopeSchema, analytics_blp, api_scope


class PartnerTableArgsSchema(ScopeArgsSchema):
    sort = fields.String(
        validate=validate.OneOf(list(table.SORT_KEYS)), metadata={"description": "a figure; default name"}
    )
    order = fields.String(
        validate=validate.OneOf(["asc", "desc"]),
        metadata={"description": "default: highest first for counts and rates, A-Z for the name"},
    )
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "part of the name"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(
        load_default=table.PER_PAGE, validate=validate.Range(min=1, max=table.MAX_PER_PAGE)
    )


class PartnerFiguresSchema(Schema):
    """A partner's (or the programme's) figures for a period (docs/metrics.md); null: undefined."""

    offers = fields.Integer()
    claimed = fields.Integer()
    declined = fields.Integer()
    lapsed = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    decline_rate = fields.Float(allow_none=True)
    claim_minutes_median = fields.Float(allow_none=True)
    claims = fields.Integer()
    sla_compliance = fields.Float(allow_none=True)
    breaches = fields.Integer(allow_none=True)
    returned = fields.Integer()
    return_rate = fields.Float(allow_none=True)
    won = fields.Integer()
    lost = fields.Integer()
    win_rate = fields.Float(allow_none=True)
    won_revenue = fields.Decimal(as_string=True, metadata={"description": "in the programme's currency"})
    won_other_currency = fields.Integer(metadata={"description": "won in another currency (not added)"})
    in_progress = fields.Integer()
    capacity = fields.Integer()
    load = fields.Float(allow_none=True)


class PartnerRowSchema(PartnerFiguresSchema):
    partner_id = fields.Integer()
    name = fields.String()
    tier = fields.String()
    currency = fields.String()


class PartnerTableSchema(Schema):
    items = fields.List(fields.Nested(PartnerRowSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
    sort = fields.String()
    order = fields.String()
    currency = fields.String()
    scope = fields.Nested(ScopeSchema)
    filters = fields.Dict(keys=fields.String())


class ScorecardTrendSchema(Schema):
    weekly = fields.Boolean(metadata={"description": "by week (Mondays), else by month"})
    starts = fields.List(fields.Date())
    series = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw(allow_none=True)))


class ScorecardOfferSchema(Schema):
    offer_id = fields.Integer()
    lead_id = fields.Integer()
    company = fields.String()
    visible_from = fields.DateTime()
    state = fields.String()
    wave = fields.Integer()
    score = fields.Float()
    decline_reason = fields.String(allow_none=True)


class ScorecardClaimSchema(Schema):
    claim_id = fields.Integer()
    lead_id = fields.Integer()
    company = fields.String()
    claimed_at = fields.DateTime()
    status = fields.String()
    first_contact_at = fields.DateTime(allow_none=True)
    first_contact_met = fields.Boolean(allow_none=True, metadata={"description": "null: clock not decided"})


class ScorecardDeclineTextSchema(Schema):
    lead_id = fields.Integer()
    company = fields.String()
    reason = fields.String(allow_none=True)
    text = fields.String()
    at = fields.DateTime(allow_none=True)


class ScorecardBreachSchema(Schema):
    lead_id = fields.Integer()
    company = fields.String()
    at = fields.DateTime()
    clock = fields.String(allow_none=True)
    action = fields.String(allow_none=True)


class ScorecardReturnSchema(Schema):
    lead_id = fields.Integer()
    company = fields.String()
    claimed_at = fields.DateTime()
    at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)


class ScorecardOutcomeSchema(Schema):
    lead_id = fields.Integer()
    company = fields.String()
    status = fields.String()
    at = fields.DateTime(allow_none=True)
    amount = fields.Decimal(as_string=True, allow_none=True)
    currency = fields.String(allow_none=True)


class ScorecardSchema(Schema):
    partner_id = fields.Integer()
    enrollment_id = fields.Integer(allow_none=True, metadata={"description": "its id in /api/v1/partners"})
    name = fields.String()
    tier = fields.String()
    currency = fields.String()
    scope = fields.Nested(ScopeSchema)
    previous_scope = fields.Nested(ScopeSchema)
    partner = fields.Nested(PartnerFiguresSchema)
    programme = fields.Nested(PartnerFiguresSchema, metadata={"description": "all partners together"})
    previous = fields.Nested(
        PartnerFiguresSchema, metadata={"description": "the partner's, the period before"}
    )
    trend = fields.Nested(ScorecardTrendSchema)
    offers = fields.List(fields.Nested(ScorecardOfferSchema))
    claims = fields.List(fields.Nested(ScorecardClaimSchema))
    declines = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "by reason"}
    )
    decline_texts = fields.List(fields.Nested(ScorecardDeclineTextSchema))
    breaches = fields.List(fields.Nested(ScorecardBreachSchema))
    breaches_by_clock = fields.Dict(keys=fields.String(), values=fields.Integer())
    returns = fields.List(fields.Nested(ScorecardReturnSchema))
    outcomes = fields.List(fields.Nested(ScorecardOutcomeSchema))


def _scope_dict(period: Period) -> dict[str, Any]:
    return period.as_dict()  # ScopeSchema reads its "from"


@analytics_blp.route("/partners")
@analytics_blp.arguments(PartnerTableArgsSchema, location="query", as_kwargs=True)
@analytics_blp.response(200, PartnerTableSchema)
@analytics_blp.alt_response(404, description="A campaign, product line or partner of another programme")
@analytics_blp.doc(
    summary="The programme's partners with their figures for a period, sorted by any figure, paged"
)
def partner_table_api(**args: Any):
    scope = api_scope()
    page = table.partner_table(
        current_org().id,
        scope,
        sort=args.get("sort") or "name",
        descending={"asc": False, "desc": True}.get(args.get("order") or ""),
        search=args.get("q") or "",
        page=args["page"],
        per_page=args["per_page"],
    )
    return {
        "items": [row.as_dict() for row in page.rows],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "sort": page.sort,
        "order": "desc" if page.descending else "asc",
        "currency": page.currency,
        "scope": _scope_dict(scope.period),
        "filters": scope.filters.as_dict(),
    }


@analytics_blp.route("/partners/<int:partner_id>")
@analytics_blp.arguments(ScopeArgsSchema, location="query", as_kwargs=True)
@analytics_blp.response(200, ScorecardSchema)
@analytics_blp.alt_response(
    404, description="Not a partner of your programme (or a filter of another programme)"
)
@analytics_blp.doc(summary="A partner's scorecard: its figures against the programme's and the period before")
def partner_scorecard_api(partner_id: int, **_args: Any):
    scope = api_scope()
    try:
        card = scorecard(current_org().id, partner_id, scope)
    except PartnerNotInProgramme:
        abort(404, message="No such partner in your programme.")
    data = dict(vars(card))
    data["scope"] = _scope_dict(data.pop("period"))
    data["previous_scope"] = _scope_dict(data.pop("previous_period"))
    data["trend"] = vars(card.trend)
    return data
