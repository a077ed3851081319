"""What partners use, under ``/portal`` (and the partner API under ``/api/v1/partner``).

Thin views over the domain services. A partner sees only offers made to it, and a lead's contact
details only once it has claimed that lead.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from exchange.accounts.permissions import Permission, require_permission
from exchange.web.shell import NavItem

bp = Blueprint("portal", __name__, template_folder="templates")

AREA = Permission.USE_PARTNER_AREA

NAV = [
    NavItem("portal.offers", _l("Offers"), (AREA,)),
    NavItem("portal.my_leads", _l("My leads"), (AREA,)),
    NavItem("portal.performance", _l("Responsiveness"), (AREA,)),
    NavItem("portal.programmes", _l("Programmes"), (AREA,)),
    NavItem("portal.profile", _l("Profile"), (AREA, Permission.EDIT_PARTNER_PROFILE)),
    NavItem("portal.availability", _l("Availability"), (AREA,)),
    NavItem("portal.team", _l("Team"), (AREA, Permission.MANAGE_TEAM)),
    NavItem("portal.tokens", _l("API tokens"), (AREA, Permission.MANAGE_TOKENS)),
    NavItem("portal.webhooks", _l("Webhooks"), (AREA, Permission.MANAGE_WEBHOOKS)),
]


@bp.before_request
def _partner_roles_only() -> None:
    require_permission(AREA)


from portal import availability, leads, offers, performance, profile, programmes, team, tokens, webhooks  # noqa: E402,F401  (registers the routes)
