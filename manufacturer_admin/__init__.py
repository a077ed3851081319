"""What manufacturers and their channel managers use, under ``/manage`` (and the API under ``/api/v1``).

Thin views: validate input, load a tenant-scoped object or 404, call one domain service, commit,
render or redirect. Every view here requires a manufacturer role.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from exchange.accounts.sessions import require_roles
from exchange.models import Role
from exchange.models.enums import MANUFACTURER_ROLES
from exchange.web.shell import NavItem

bp = Blueprint("manage", __name__, template_folder="templates")

ADMIN_ONLY = frozenset({Role.MANUFACTURER_ADMIN})
SETTINGS = _l("Settings")

NAV = [
    NavItem("manage.dashboard", _l("Dashboard"), MANUFACTURER_ROLES),
    NavItem("manage.leads", _l("Leads"), MANUFACTURER_ROLES),
    NavItem("manage.campaigns", _l("Campaigns"), MANUFACTURER_ROLES),
    NavItem("manage.imports", _l("Imports"), ADMIN_ONLY),
    NavItem("manage.partners", _l("Partners"), MANUFACTURER_ROLES),
    NavItem("manage.coverage_gaps", _l("Coverage gaps"), MANUFACTURER_ROLES),
    NavItem("manage.matching_weights", _l("Matching"), MANUFACTURER_ROLES, menu=SETTINGS),
    NavItem("manage.sla_policies", _l("SLA policies"), MANUFACTURER_ROLES, menu=SETTINGS),
    NavItem("manage.settings", _l("Programme settings"), ADMIN_ONLY, menu=SETTINGS),
    NavItem("manage.tokens", _l("API tokens"), ADMIN_ONLY, menu=SETTINGS),
]


@bp.before_request
def _manufacturer_roles_only() -> None:
    require_roles(MANUFACTURER_ROLES)


# Registers the routes of each view module.
from manufacturer_admin import (  # noqa: E402,F401
    campaign_views,
    import_views,
    lead_views,
    matching_views,
    sla_views,
    tokens,
    views,
)
