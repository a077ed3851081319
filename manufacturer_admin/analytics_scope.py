"""What every analytics page shares: the scope (period and filters) read from the query, the choices
of the scope form, and the tabs between the analytics pages (each view module adds its own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, request

from exchange.analytics import period as periods
from exchange.analytics.fairness import foreign_filter
from exchange.models import Campaign, Enrollment, LeadFact, Organisation, ProductLine, Temperature, Tier
from exchange.platform.extensions import db
from exchange.platform.labels import TEMPERATURE
from exchange.platform.tenancy import current_org
from manufacturer_admin import bp
from manufacturer_admin.partner_forms import TIER_LABELS

# Up to this many partners the scope form offers a list to pick from; beyond, partners are filtered
# from their scorecard (and the partner table's search).
PARTNER_CHOICES_MAX = 300


@dataclass(frozen=True)
class Tab:
    endpoint: str
    label: Any
    order: int


TABS: list[Tab] = []


@bp.context_processor
def _analytics_tabs() -> dict[str, Any]:
    return {"analytics_tabs": TABS}


def add_tab(endpoint: str, label: Any, order: int) -> None:
    """A view module's page among the analytics tabs (``order``: left to right)."""
    TABS.append(Tab(endpoint, label, order))
    TABS.sort(key=lambda tab: tab.order)


def current_scope() -> periods.Scope:
    """The period and filters of this request (errors in ``scope.errors``, shown beside the form);
    404 for another programme's campaign, product line or partner in a filter."""
    org = current_org()
    scope = periods.parse(request.args, org)
    if foreign_filter(org.id, scope.filters):
        abort(404)
    return scope


def scope_choices(org: Organisation) -> dict[str, Any]:
    """The options of the scope form: periods, tiers, temperatures, and the programme's countries,
    regions, product lines, campaigns and (up to ``PARTNER_CHOICES_MAX``) partners."""
    partners = db.session.execute(
        sa.select(Organisation.id, Organisation.name)
        .join(Enrollment, Enrollment.partner_id == Organisation.id)
        .where(Enrollment.manufacturer_id == org.id, Enrollment.accepted_at.is_not(None))
        .order_by(Organisation.name)
        .limit(PARTNER_CHOICES_MAX + 1)
    ).all()
    # The places of the published leads, from lead_facts (one row per published lead) in one pass of
    # its (manufacturer, country, region) index.
    places = db.session.execute(
        sa.select(LeadFact.country, LeadFact.region).where(LeadFact.manufacturer_id == org.id).distinct()
    ).all()
    return {
        "periods": periods.PERIODS,
        "tiers": [(tier.value, TIER_LABELS[tier]) for tier in Tier],
        "temperatures": [(temp.value, TEMPERATURE[temp]) for temp in Temperature],
        "countries": sorted({country for country, _region in places if country is not None}),
        "regions": sorted({region for _country, region in places if region is not None})[:500],
        "product_lines": db.session.execute(
            sa.select(ProductLine.id, ProductLine.name)
            .where(ProductLine.manufacturer_id == org.id)
            .order_by(ProductLine.name)
        ).all(),
        "campaigns": db.session.execute(
            sa.select(Campaign.id, Campaign.name)
            .where(Campaign.manufacturer_id == org.id)
            .order_by(Campaign.name)
        ).all(),
        "partners": partners[:PARTNER_CHOICES_MAX] if len(partners) <= PARTNER_CHOICES_MAX else None,
    }
