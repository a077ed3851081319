"""What manufacturers and their channel managers use, under ``/manage`` (and the API under ``/api/v1``).

Thin views: validate input, load a tenant-scoped object or 404, call one domain service, commit,
render or redirect. Every view here requires a manufacturer role.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from exchange.accounts.permissions import Permission, require_permission
from exchange.web.shell import NavItem

bp = Blueprint("manage", __name__, template_folder="templates")

AREA = Permission.USE_MANUFACTURER_AREA
SETTINGS = _l("Settings")

NAV = [
    NavItem("manage.dashboard", _l("Dashboard"), (AREA, Permission.VIEW_ANALYTICS)),
    NavItem("manage.leads", _l("Leads"), (AREA,)),
    NavItem("manage.campaigns", _l("Campaigns"), (AREA,)),
    NavItem("manage.imports", _l("Imports"), (AREA, Permission.MANAGE_LEADS)),
    NavItem("manage.partners", _l("Partners"), (AREA, Permission.VIEW_ANALYTICS)),
    NavItem("manage.analytics_overview", _l("Analytics"), (AREA, Permission.VIEW_ANALYTICS)),
    NavItem("manage.matching_weights", _l("Matching"), (AREA,), menu=SETTINGS),
    NavItem("manage.sla_policies", _l("SLA policies"), (AREA,), menu=SETTINGS),
    NavItem(
        "manage.settings", _l("Programme settings"), (AREA, Permission.EDIT_PROGRAMME_SETTINGS), menu=SETTINGS
    ),
    NavItem("manage.team", _l("Team"), (AREA, Permission.MANAGE_TEAM), menu=SETTINGS),
    NavItem("manage.tokens", _l("API tokens"), (AREA, Permission.MANAGE_TOKENS), menu=SETTINGS),
]


@bp.before_request
def _manufacturer_roles_only() -> None:
    require_permission(AREA)


# Registers the routes of each view module.
from manufacturer_admin import (  # noqa: E402,F401
    analytics_scope,
    analytics_views,
    campaign_views,
    enrollment_views,
    fairness_views,
    import_views,
    lead_views,
    matching_views,
    partner_import_views,
    partner_views,
    scorecard_views,
    sla_views,
    team,
    tokens,
    views,
)
