"""The shell every page shares: start page, health check, navigation (error pages: ``errors``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify, redirect, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from exchange.accounts.first_run import installation_is_empty
from exchange.accounts.permissions import Permission, can
from exchange.platform import unit_of_work
from exchange.platform.extensions import db
from exchange.platform.jobs import queue_health
from exchange.platform.labels import ROLES
from exchange.web.auth.views import home_for

bp = Blueprint("web", __name__)


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


def register_nav(app: Flask, items: list[NavItem]) -> None:
    """Add a blueprint package's navigation (its ``NAV``) to the bar, after what is there; the
    composition root calls it, so the shell knows no audience package."""
    app.extensions.setdefault("exchange.nav", []).extend(items)


def nav_items() -> list[NavItem | NavMenu]:
    """The current user's navigation: links, and menus for the items that share a ``menu`` label."""
    if not current_user.is_authenticated:
        return []
    entries: list[NavItem | NavMenu] = []
    menus: dict[str, NavMenu] = {}
    for item in current_app.extensions.get("exchange.nav", ()):
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
    if not current_user.is_authenticated and installation_is_empty():
        return redirect(url_for("setup.setup"))  # the first run: no organisation yet
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(home_for(current_user))


@bp.route("/healthz")
def healthz():
    """Database and queue state; 200 when the portal can serve, 503 when it cannot."""
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
    app.jinja_env.globals["role_label"] = lambda role: ROLES.get(role, role)
    # Templates ask the permissions module too: {% if can("edit_partner_profile") %}
    app.jinja_env.globals["can"] = lambda permission: can(current_user, Permission(permission))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
