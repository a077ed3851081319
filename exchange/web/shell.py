"""The shell every page shares: start page, health check, error pages, navigation."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException, ServiceUnavailable, UnprocessableEntity
from werkzeug.routing import IntegerConverter

from exchange.accounts.permissions import Permission, can
from exchange.models import Role
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
        db.session.rollback()
        current_app.logger.warning("health: database unreachable: %s", error)
        body["database"] = "unreachable"
    body.update(queue_health())
    usable = body["database"] == "ok"
    body["status"] = "ok" if usable and not body.get("degraded") else ("degraded" if usable else "down")
    response = jsonify(body)
    response.status_code = 200 if usable else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


ERROR_TITLES = {
    400: _l("The request could not be understood."),
    401: _l("Please sign in."),
    403: _l("You do not have access to this page."),
    404: _l("This page does not exist."),
    405: _l("This action is not allowed here."),
    409: _l("This conflicts with the current state."),
    413: _l("The upload is too large."),
    422: _l("The request could not be processed."),
    500: _l("Something went wrong on our side."),
    503: _l("The service is unavailable for a moment."),
}


def handle_http_exception(error: HTTPException) -> Any:
    """JSON for the API (``code``, ``status``, ``message``, ``errors``), an HTML page elsewhere.
    Headers such as ``Allow`` on a 405 and ``WWW-Authenticate`` on a 401 are kept."""
    if error.response is not None and not wants_json():
        return error.response
    code = error.code or 500
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    data = getattr(error, "data", None) or {}
    if wants_json():
        payload: dict[str, Any] = {
            "code": code,
            "status": error.name,
            "message": data.get("message") or error.description,
        }
        errors = data.get("errors") or data.get("messages")
        if errors:
            payload["errors"] = errors
        headers.update(data.get("headers") or {})
        if code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
        response = jsonify(payload)
        response.status_code = code
        response.headers.update(headers)
        return response
    page = render_template(
        "errors/error.html",
        code=code,
        title=ERROR_TITLES.get(code, error.name),
        message=error.description if code < 500 else "",
    )
    return page, code, headers


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` in URLs stops where database integers stop: a larger id is simply not found."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)  # ids are 32-bit integers on PostgreSQL
        super().__init__(map, *args, **kwargs)


def value_out_of_range(error: Exception) -> Any:
    """A number the database cannot hold (an id or amount beyond 64 bits, a text over its column's
    length that validation let through): the request is at fault, not the server."""
    db.session.rollback()
    current_app.logger.info("value out of range on %s %s: %s", request.method, request.path, error)
    return handle_http_exception(UnprocessableEntity("A value in the request is out of range."))


def database_unavailable(error: Exception) -> Any:
    """The database cannot be reached (down, refusing connections, its pool exhausted): 503 with
    ``Retry-After``, in the error shape, so clients retry instead of reporting a bug."""
    with contextlib.suppress(Exception):  # the connection may be gone: nothing to roll back then
        db.session.rollback()
    current_app.logger.error("database unavailable on %s %s: %s", request.method, request.path, error)
    unavailable = ServiceUnavailable("The database is unavailable; try again shortly.", retry_after=30)
    return handle_http_exception(unavailable)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.register_blueprint(bp)
    app.register_error_handler(sa.exc.OperationalError, database_unavailable)
    app.register_error_handler(sa.exc.InterfaceError, database_unavailable)
    app.register_error_handler(sa.exc.TimeoutError, database_unavailable)
    app.register_error_handler(OverflowError, value_out_of_range)
    app.register_error_handler(sa.exc.DataError, value_out_of_range)
    app.register_error_handler(HTTPException, handle_http_exception)
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
