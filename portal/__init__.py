"""What partners use, under ``/portal`` (and the partner API under ``/api/v1/partner``).

Thin views over the domain services. A partner sees only offers made to it, and a lead's contact
details only once it has claimed that lead.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from exchange.accounts.sessions import require_roles
from exchange.models import Role
from exchange.models.enums import PARTNER_ROLES
from exchange.web.shell import NavItem

bp = Blueprint("portal", __name__, template_folder="templates")

ADMIN_ONLY = frozenset({Role.PARTNER_ADMIN})

NAV = [
    NavItem("portal.offers", _l("Offers"), PARTNER_ROLES),
    NavItem("portal.my_leads", _l("My leads"), PARTNER_ROLES),
    NavItem("portal.performance", _l("Responsiveness"), PARTNER_ROLES),
    NavItem("portal.profile", _l("Profile"), ADMIN_ONLY),
    NavItem("portal.team", _l("Team"), ADMIN_ONLY),
    NavItem("portal.tokens", _l("API tokens"), ADMIN_ONLY),
    NavItem("portal.webhooks", _l("Webhooks"), ADMIN_ONLY),
]


@bp.before_request
def _partner_roles_only() -> None:
    require_roles(PARTNER_ROLES)


from portal import leads, offers, performance, profile, team, tokens, webhooks  # noqa: E402,F401  (registers the routes)
