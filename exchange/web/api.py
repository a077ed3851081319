"""The REST API (flask-smorest): registration, authentication rules shared by every API blueprint."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import Blueprint as FlaskBlueprint
from flask import Flask, current_app, g, request
from flask_login import current_user
from flask_smorest import Blueprint, abort
from flask_wtf.csrf import CSRFError, validate_csrf
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from exchange.accounts.permissions import Permission, can
from exchange.models import TokenScope
from exchange.platform.extensions import api, csrf, db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def lone_surrogate_path(value: Any) -> str | None:
    """Where ``value`` (parsed JSON) holds text with a lone surrogate (``"\\ud800"``: valid JSON,
    but no character, so it cannot be stored or sent on), or None. Iterative: any depth."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return path or "/"
        elif isinstance(item, dict):
            for key, child in item.items():
                stack.append((f"{path}/{key}", key))
                stack.append((f"{path}/{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{path}/{index}", child) for index, child in enumerate(item))
    return None


class JsonBodyParser(FlaskParser):
    """webargs' parser with hostile bodies answered 400 in the API's error shape: nesting too deep
    for the JSON decoder (``[[[[...`` raised RecursionError) and text that is not Unicode."""

    def _raw_load_json(self, req) -> Any:
        try:
            data = super()._raw_load_json(req)
        except RecursionError:
            abort(
                400, message="The JSON body is nested too deeply.", errors={"_schema": ["Invalid JSON body."]}
            )
        if data is not core.missing:
            where = lone_surrogate_path(data)
            if where is not None:
                abort(
                    400,
                    message="The JSON body contains text that is not valid Unicode (a lone surrogate).",
                    errors={"_schema": [f"Invalid text at {where}."]},
                )
        return data


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose JSON bodies go through :class:`JsonBodyParser`, and whose
    required bodies are required: a PATCH or POST without one answers 422 instead of doing nothing."""

    ARGUMENTS_PARSER = JsonBodyParser()

    def arguments(self, schema, *, location: str = "json", required: bool = True, **kwargs):
        decorate = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return decorate

        def decorator(func):
            @functools.wraps(func)
            def needs_body(*args, **kw):
                if not is_json_request(request) or not request.get_data(cache=True).strip():
                    abort(
                        422,
                        message="This request needs a JSON body (Content-Type: application/json).",
                        errors={"_schema": ["A JSON body is required."]},
                    )
                return func(*args, **kw)

            return decorate(needs_body)

        return decorator


def api_blueprint(
    name: str,
    import_name: str,
    url_prefix: str,
    description: str,
    permission: Permission | None = None,
    write_permission: Permission | None = None,
) -> Blueprint:
    """An API blueprint whose every request is gated by :func:`require_api_permission` before its
    arguments are parsed (so a stranger gets 401, not a validation error). ``permission``: what
    every request needs (None: being signed in); ``write_permission``, when given, what a write
    needs besides (e.g. reps read the profile, only partner admins change it)."""
    blp = ApiBlueprint(name, import_name, url_prefix=url_prefix, description=description)
    blp.before_request(lambda: require_api_permission(permission, write_permission))
    return blp


def require_api_permission(permission: Permission | None, write_permission: Permission | None = None) -> Any:
    """Gate an API request: 401 without credentials, 403 without ``permission`` (or, on a write,
    ``write_permission``) or with a read-only token on a write, 400 for a session-authenticated
    write without a CSRF token (header ``X-CSRFToken``)."""
    if not current_user.is_authenticated:
        abort(401, message="Authentication required: send a bearer token or sign in.")
    if permission is not None and not can(current_user, permission):
        abort(403, message="Your role may not use this endpoint.")
    if request.method in SAFE_METHODS:
        return None
    if write_permission is not None and not can(current_user, write_permission):
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


def refuse_writes_without(permission: Permission, message: str) -> Callable[[], None]:
    """A ``before_request`` hook for the manufacturer blueprints, whose writes need ``permission``.
    Registered after the blueprint's gate, it runs after the token and CSRF checks (a channel
    manager's read-only token is "read-only", a session write without the header 400), unlike
    ``write_permission``, which is checked before them."""

    def hook() -> None:
        if request.method not in SAFE_METHODS and not can(current_user, permission):
            abort(403, message=message)

    return hook


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


class LimitResponses(BasePlugin):
    """Adds the answers of exchange.platform.security to every operation of the document: 429 (too many
    requests; a source that sent too many unknown bearer tokens is refused on any operation) and,
    where the operation takes a body, 413 (larger than ``MAX_CONTENT_LENGTH``, or the batch limit).
    Both come in the error shape; 429 says in ``Retry-After`` when to try again."""

    BODY_METHODS = frozenset({"post", "put", "patch"})

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        spec.components.response(
            "BODY_TOO_LARGE",
            {
                "description": "The request body is larger than this operation accepts "
                "(2 MiB; 16 MiB for the lead batch); nothing was read or changed",
                "content": {"application/json": {"schema": "Error"}},
            },
        )
        spec.components.response(
            "RATE_LIMITED",
            {
                "description": "Too many requests (or too many unknown tokens) from this source; "
                "try again after Retry-After seconds",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds until a new try may succeed",
                        "schema": {"type": "integer", "minimum": 1},
                    }
                },
                "content": {"application/json": {"schema": "Error"}},
            },
        )

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("429", "RATE_LIMITED")
            if method in self.BODY_METHODS:
                responses.setdefault("413", "BODY_TOO_LARGE")


def init_api(app: Flask) -> None:
    # First of all request hooks: nothing may have opened the session's connection before it.
    app.before_request_funcs.setdefault(None, []).insert(0, _read_without_transaction)
    app.register_blueprint(_docs_assets())
    api.init_app(app, spec_kwargs={"extra_plugins": [LimitResponses()]})
    # Money goes out as strings ("25000.00": no binary rounding) and is read from strings or numbers;
    # the document says string/decimal.
    api.register_field(ma.fields.Decimal, "string", "decimal")
    from exchange.platform.schemas import Money

    api.register_field(Money, None, None)  # its metadata documents it (text with a pattern, or a number)
    from exchange.web.api_common import blp as common_blp
    from exchange.web.inbox.api import blp as notifications_blp
    from manufacturer_admin.api import API_BLUEPRINTS as MANAGE_API
    from portal.api import API_BLUEPRINTS as PORTAL_API

    for blp in (common_blp, notifications_blp, *MANAGE_API, *PORTAL_API):
        api.register_blueprint(blp)
        # Token or session auth with an explicit CSRF header check (require_api_permission), not form CSRF.
        csrf.exempt(blp)
