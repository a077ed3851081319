"""``/api/v1/analytics``: every analytics view as JSON, with the query arguments of the pages
(``exchange.analytics.period``). Each view module adds its routes to ``analytics_blp``."""

from __future__ import annotations

from flask import request
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from exchange.accounts.permissions import Permission
from exchange.analytics import period as periods
from exchange.analytics.fairness import foreign_filter
from exchange.models import Temperature, Tier
from exchange.platform.tenancy import current_org
from exchange.web.api import api_blueprint

analytics_blp = api_blueprint(
    "api_analytics",
    __name__,
    "/api/v1/analytics",
    "The channel manager's figures: overview, partners, fairness, Return on Leads",
    Permission.VIEW_ANALYTICS,
)


# What ``period.parse`` reads as an id: digits, at most 12 of them.
ID_RANGE = validate.Range(min=0, max=10**12 - 1)


class ScopeArgsSchema(Schema):
    """The period and the filters (documented here; read by ``exchange.analytics.period.parse``)."""

    period = fields.String(
        validate=validate.OneOf(list(periods.PERIODS)), metadata={"description": "default 30d"}
    )
    from_ = fields.Date(data_key="from", metadata={"description": "custom period: first day (included)"})
    to = fields.Date(metadata={"description": "custom period: last day (included)"})
    partner = fields.Integer(validate=ID_RANGE, metadata={"description": "leads offered to this partner"})
    tier = fields.String(
        validate=validate.OneOf([t.value for t in Tier]),
        metadata={"description": "leads offered to a partner of this tier"},
    )
    country = fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$"), metadata={"description": "ISO 3166 alpha-2, e.g. DE"}
    )
    region = fields.String(validate=validate.Length(max=64))
    product_line = fields.Integer(validate=ID_RANGE)
    campaign = fields.Integer(validate=ID_RANGE)
    temperature = fields.String(validate=validate.OneOf([t.value for t in Temperature]))


class ScopeSchema(Schema):
    """The period a figure set covers (calendar days in the programme's time zone)."""

    period = fields.String()
    from_ = fields.String(data_key="from", attribute="from")  # Period.as_dict() has "from"
    to = fields.String()
    timezone = fields.String()


def api_scope() -> periods.Scope:
    """The scope of this API request; 422 with the arguments that could not be read, 404 for another
    programme's campaign, product line or partner in a filter."""
    org = current_org()
    scope = periods.parse(request.args, org)
    if scope.errors:
        abort(422, errors={"query": scope.errors}, message="Some query arguments could not be read.")
    if foreign_filter(org.id, scope.filters):
        abort(404, message="No such campaign, product line or partner in your programme.")
    return scope


# Each view module adds its routes to ``analytics_blp``.
from manufacturer_admin import (  # noqa: E402,F401
    analytics_fairness_api,
    analytics_overview_api,
    analytics_partners_api,
)
