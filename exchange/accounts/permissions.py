"""Who may do what: named permissions and the roles that hold them, in one table.

Every role check asks this module: the audiences' blueprint gates and single pages
(:func:`require_permission`, :func:`require`), the API blueprints (``exchange.web.api``), the few
views that show or hide an action (:func:`can`) and the services that refuse an actor with
``NotAllowed``. A new capability gets a permission here, and the permission matrix test
(``tests/test_permissions.py``) an expectation for its route.

Which organisation's objects a user may reach is not a permission but tenancy
(``exchange.platform.tenancy``): another organisation's id answers 404, never 403.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Collection
from typing import Any

from flask import abort, request
from flask_login import current_user

from exchange.models import Role
from exchange.models.enums import MANUFACTURER_ROLES, PARTNER_ROLES
from exchange.platform.extensions import login_manager

M_ADMIN, P_ADMIN = Role.MANUFACTURER_ADMIN, Role.PARTNER_ADMIN


class Permission(enum.StrEnum):
    # Everyone signed in
    READ_NOTIFICATIONS = "read_notifications"  # the bell, /notifications, /api/v1/notifications
    # Manufacturer side
    USE_MANUFACTURER_AREA = "use_manufacturer_area"  # /manage and the manufacturer API: read the programme
    VIEW_ANALYTICS = "view_analytics"  # dashboard figures, the partner list, coverage gaps
    MANAGE_LEADS = "manage_leads"  # create, edit, import, publish, withdraw leads
    MANAGE_CAMPAIGNS = "manage_campaigns"
    EDIT_QUALIFICATION_RULES = "edit_qualification_rules"
    EDIT_MATCHING_WEIGHTS = "edit_matching_weights"
    EDIT_SLA_POLICIES = "edit_sla_policies"
    EDIT_PROGRAMME_SETTINGS = "edit_programme_settings"
    # The partner directory: add and import partners, invite them, change tier and product lines,
    # suspend, end and reactivate enrollments, reassign a suspended partner's claims.
    MANAGE_PARTNERS = "manage_partners"
    # Partner side
    USE_PARTNER_AREA = "use_partner_area"  # /portal and the partner API: offers, claimed leads
    CLAIM_OFFERS = "claim_offers"  # claim or decline an offer (pages and API)
    ASSIGN_LEADS = "assign_leads"  # give a claimed lead to a colleague
    EDIT_PARTNER_PROFILE = "edit_partner_profile"
    MANAGE_WEBHOOKS = "manage_webhooks"
    # Accept or decline a programme's invitation; pause and resume new offers.
    MANAGE_PROGRAMMES = "manage_programmes"
    # Each organisation's admin, in their own area
    MANAGE_TEAM = "manage_team"
    MANAGE_TOKENS = "manage_tokens"


ROLES_WITH: dict[Permission, frozenset[Role]] = {
    Permission.READ_NOTIFICATIONS: frozenset(Role),
    Permission.USE_MANUFACTURER_AREA: MANUFACTURER_ROLES,
    Permission.VIEW_ANALYTICS: MANUFACTURER_ROLES,
    Permission.MANAGE_LEADS: frozenset({M_ADMIN}),
    Permission.MANAGE_CAMPAIGNS: frozenset({M_ADMIN}),
    Permission.EDIT_QUALIFICATION_RULES: frozenset({M_ADMIN}),
    Permission.EDIT_MATCHING_WEIGHTS: frozenset({M_ADMIN}),
    Permission.EDIT_SLA_POLICIES: frozenset({M_ADMIN}),
    Permission.EDIT_PROGRAMME_SETTINGS: frozenset({M_ADMIN}),
    Permission.MANAGE_PARTNERS: frozenset({M_ADMIN}),
    Permission.USE_PARTNER_AREA: PARTNER_ROLES,
    Permission.CLAIM_OFFERS: PARTNER_ROLES,
    Permission.ASSIGN_LEADS: frozenset({P_ADMIN}),
    Permission.EDIT_PARTNER_PROFILE: frozenset({P_ADMIN}),
    Permission.MANAGE_WEBHOOKS: frozenset({P_ADMIN}),
    Permission.MANAGE_PROGRAMMES: frozenset({P_ADMIN}),
    Permission.MANAGE_TEAM: frozenset({P_ADMIN, M_ADMIN}),
    Permission.MANAGE_TOKENS: frozenset({P_ADMIN, M_ADMIN}),
}


def roles_with(permission: Permission) -> frozenset[Role]:
    return ROLES_WITH[permission]


def can(user: Any, permission: Permission) -> bool:
    """Whether ``user`` holds ``permission`` through its role (an anonymous user holds none).
    Only the role: whether the account is active, and whose objects it may touch, are checked
    where those are decided (sign-in, the services, tenancy)."""
    return getattr(user, "role", None) in ROLES_WITH[permission]


def require_permission(permission: Permission) -> None:
    """Abort unless the current user holds ``permission``: an anonymous user is sent to sign in
    (401 on the API), a signed-in one without it gets 403."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not can(current_user, permission):
        abort(403)


def require(permission: Permission, *, methods: Collection[str] | None = None) -> Callable:
    """Decorate a page with :func:`require_permission` (only for ``methods``, when given: a page
    that everyone of the area may read but only some may post to)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def gated(*args: Any, **kwargs: Any) -> Any:
            if methods is None or request.method in methods:
                require_permission(permission)
            return view(*args, **kwargs)

        return gated

    return decorator
