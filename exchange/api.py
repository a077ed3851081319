"""The REST API (flask-smorest): registration, authentication rules shared by every API blueprint."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Blueprint as FlaskBlueprint
from flask import Flask, current_app, g, request
from flask_login import current_user
from flask_smorest import Blueprint, abort
from flask_wtf.csrf import CSRFError, validate_csrf

from exchange.extensions import api, csrf, db
from exchange.models import Role, TokenScope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def api_blueprint(
    name: str,
    import_name: str,
    url_prefix: str,
    description: str,
    roles: frozenset[Role] | None = None,
    write_roles: frozenset[Role] | None = None,
) -> Blueprint:
    """An API blueprint whose every request is gated by :func:`require_api_roles` before its
    arguments are parsed (so a stranger gets 401, not a validation error). ``write_roles``, when
    given, narrows who may write (e.g. reps read the profile, only partner admins change it)."""
    blp = Blueprint(name, import_name, url_prefix=url_prefix, description=description)
    allowed = tuple(roles or ())
    writers = frozenset(write_roles or ())
    blp.before_request(lambda: require_api_roles(*allowed, write_roles=writers))
    return blp


def require_api_roles(*roles: Role, write_roles: frozenset[Role] = frozenset()) -> Any:
    """Gate an API request: 401 without credentials, 403 for the wrong role or a read-only token on a
    write, 400 for a session-authenticated write without a CSRF token (header ``X-CSRFToken``)."""
    if not current_user.is_authenticated:
        abort(401, message="Authentication required: send a bearer token or sign in.")
    if roles and current_user.role not in roles:
        abort(403, message="Your role may not use this endpoint.")
    if request.method in SAFE_METHODS:
        return None
    if write_roles and current_user.role not in write_roles:
        abort(403, message="Your role may read this but not change it.")
    token = getattr(g, "api_token", None)
    if token is not None:
        if token.scope != TokenScope.READ_WRITE:
            abort(403, message="This token is read-only.")
        return None
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except CSRFError:
        abort(400, message="Session-authenticated writes need the X-CSRFToken header.")
    except Exception:  # noqa: BLE001 - wtforms raises ValidationError for a bad token
        abort(400, message="Session-authenticated writes need a valid X-CSRFToken header.")
    return None


def _read_without_transaction() -> None:
    """API reads run each statement on its own (autocommit): no BEGIN and ROLLBACK round trips for
    the endpoints partners' systems poll. The few writes a read makes (marking offers seen, a token's
    last use, recording that contact details were read) are single statements."""
    if (
        request.method in SAFE_METHODS
        and request.path.startswith("/api/v1/")
        and not db.session().in_transaction()
    ):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _docs_assets() -> FlaskBlueprint:
    """Swagger UI's files (from the swagger-ui-bundle package) under /api/docs/assets/."""
    from swagger_ui_bundle import swagger_ui_path

    return FlaskBlueprint(
        "api_docs_assets", __name__, static_folder=swagger_ui_path, static_url_path="/api/docs/assets"
    )


def init_api(app: Flask) -> None:
    # First of all request hooks: nothing may have opened the session's connection before it.
    app.before_request_funcs.setdefault(None, []).insert(0, _read_without_transaction)
    app.register_blueprint(_docs_assets())
    api.init_app(app)
    # Money goes out as strings ("25000.00": no binary rounding) and is read from strings or numbers;
    # the document says string/decimal.
    api.register_field(ma.fields.Decimal, "string", "decimal")
    from exchange.api_common import blp as common_blp
    from exchange.inbox.api import blp as notifications_blp
    from manufacturer_admin.api import API_BLUEPRINTS as MANAGE_API
    from portal.api import API_BLUEPRINTS as PORTAL_API

    for blp in (common_blp, notifications_blp, *MANAGE_API, *PORTAL_API):
        api.register_blueprint(blp)
        # Token or session auth with an explicit CSRF header check (require_api_roles), not form CSRF.
        csrf.exempt(blp)
