"""The shell every page shares: start page, health check, navigation (error pages: ``errors``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from exchange.accounts.permissions import Permission, can
from exchange.models import Role
from exchange.platform import unit_of_work
from exchange.platform.extensions import db

bp = Blueprint("web", __name__)

ROLE_LABELS = {
    Role.MANUFACTURER_ADMIN: _l("Manufacturer admin"),
    Role.CHANNEL_MANAGER: _l("Channel manager"),
    Role.PARTNER_ADMIN: _l("Partner admin"),
    Role.PARTNER_REP: _l("Partner rep"),
}


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    needs: tuple[Permission, ...]  # shown to the roles holding all of them
    menu: Any = None  # items sharing a menu label sit together in one dropdown of the navigation bar


@dataclass(frozen=True)
class NavMenu:
    label: Any
    items: list[NavItem]


def nav_items() -> list[NavItem | NavMenu]:
    """The current user's navigation: links, and menus for the items that share a ``menu`` label."""
    from manufacturer_admin import NAV as MANAGE_NAV
    from portal import NAV as PORTAL_NAV

    if not current_user.is_authenticated:
        return []
    entries: list[NavItem | NavMenu] = []
    menus: dict[str, NavMenu] = {}
    for item in (*MANAGE_NAV, *PORTAL_NAV):
        if not all(can(current_user, permission) for permission in item.needs):
            continue
        if item.menu is None:
            entries.append(item)
            continue
        key = str(item.menu)
        if key not in menus:
            menus[key] = NavMenu(item.menu, [])
            entries.append(menus[key])
        menus[key].items.append(item)
    return entries


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    from exchange.web.auth.views import home_for

    return redirect(home_for(current_user))


@bp.route("/healthz")
def healthz():
    """Database and queue state; 200 when the portal can serve, 503 when it cannot."""
    from exchange.platform.jobs import queue_health

    body: dict[str, Any] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        body["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        unit_of_work.discard()
        current_app.logger.warning("health: database unreachable: %s", error)
        body["database"] = "unreachable"
    body.update(queue_health())
    usable = body["database"] == "ok"
    body["status"] = "ok" if usable and not body.get("degraded") else ("degraded" if usable else "down")
    response = jsonify(body)
    response.status_code = 200 if usable else 503
    response.headers["Cache-Control"] = "no-store"
    return response


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` in URLs stops where database integers stop: a larger id is simply not found."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)  # ids are 32-bit integers on PostgreSQL
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.register_blueprint(bp)
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["role_label"] = lambda role: ROLE_LABELS.get(role, role)
    # Templates ask the permissions module too: {% if can("edit_partner_profile") %}
    app.jinja_env.globals["can"] = lambda permission: can(current_user, Permission(permission))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
