"""How errors are answered: one JSON shape on the API, an error page, a flash message or a form
field's error on pages.

Every API error body is ``{"code": 422, "status": "Unprocessable Entity", "message": "...",
"errors": {"field": ["message", ...]}}``, whatever raised it: an HTTP error (``abort``), webargs'
validation (flattened from ``{"json": {"url": [...]}}`` to ``{"url": [...]}``; a location stays in the
name only when two locations name the same field), or a ``DomainError`` (its ``field``, or its own
``errors``). Nested fields are named with dots (``items.1.waves``); a message about the whole body is
under ``_schema``. Headers such as ``Allow`` on a 405 and ``Retry-After`` on a 429 or 503 are kept.

A page shows a refusal with :func:`refused` (a flash message, or the form field's error); a
``DomainError`` no view showed becomes the error page with its status and message.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, flash, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, ServiceUnavailable, UnprocessableEntity
from werkzeug.http import HTTP_STATUS_CODES

from exchange.platform import unit_of_work
from exchange.platform.errors import DomainError

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

WHOLE_INPUT = "_schema"  # marshmallow's name for a message about the whole input, not one field


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


# --- the API's error shape -----------------------------------------------------------------------------


def flat_errors(messages: Any, *, by_location: bool = False) -> dict[str, list[str]]:
    """``{field: [messages]}`` from marshmallow-style messages (nested dicts, lists, strings). With
    ``by_location`` the first level says where webargs read the value (json, query, form, ...): it
    is dropped, unless two locations name the same field (then ``query.page`` and ``json.page``)."""
    if not messages:
        return {}
    if not by_location or not isinstance(messages, Mapping):
        return _flatten(messages, "")
    per_location = {str(location): _flatten(value, "") for location, value in messages.items()}
    seen = Counter(name for fields in per_location.values() for name in fields)
    flat: dict[str, list[str]] = {}
    for location, fields in per_location.items():
        for name, texts in fields.items():
            flat.setdefault(f"{location}.{name}" if seen[name] > 1 else name, []).extend(texts)
    return flat


def _flatten(value: Any, prefix: str) -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(value, Mapping):
        for key, child in value.items():
            name = prefix if key == WHOLE_INPUT and prefix else f"{prefix}.{key}" if prefix else str(key)
            for child_name, texts in _flatten(child, name).items():
                flat.setdefault(child_name, []).extend(texts)
        return flat
    for item in value if isinstance(value, list | tuple) else [value]:
        if isinstance(item, Mapping):
            for child_name, texts in _flatten(item, prefix).items():
                flat.setdefault(child_name, []).extend(texts)
        else:
            flat.setdefault(prefix or WHOLE_INPUT, []).append(str(item))
    return flat


def api_error(code: int, message: Any, errors: dict[str, list[str]] | None = None, headers: Any = None):
    """The API's one error answer."""
    response = jsonify(
        {
            "code": code,
            "status": HTTP_STATUS_CODES.get(code, "Unknown Error"),
            "message": str(message),
            "errors": errors or {},
        }
    )
    response.status_code = code
    if headers:
        response.headers.update(headers)
    return response


def error_page(code: int, message: Any = "", headers: Any = None):
    title = ERROR_TITLES.get(code, HTTP_STATUS_CODES.get(code, ""))
    return render_template("errors/error.html", code=code, title=title, message=message), code, headers or {}


def handle_http_exception(error: HTTPException) -> Any:
    """JSON for the API, an HTML page elsewhere. Headers such as ``Allow`` on a 405 and
    ``WWW-Authenticate`` on a 401 are kept."""
    if error.response is not None and not wants_json():
        return error.response
    code = error.code or 500
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    data = getattr(error, "data", None) or {}
    if not wants_json():
        return error_page(code, error.description if code < 500 else "", headers)
    if "errors" in data:  # ours: abort(status, message=..., errors={field: [...]})
        errors = flat_errors(data["errors"])
    else:  # webargs' validation: messages by location
        errors = flat_errors(data.get("messages"), by_location=True)
    headers.update(data.get("headers") or {})
    if code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return api_error(code, data.get("message") or error.description, errors, headers)


def value_out_of_range(error: Exception) -> Any:
    """A number the database cannot hold (an id or amount beyond 64 bits, a text over its column's
    length that validation let through): the request is at fault, not the server."""
    unit_of_work.discard()
    current_app.logger.info("value out of range on %s %s: %s", request.method, request.path, error)
    return handle_http_exception(UnprocessableEntity("A value in the request is out of range."))


def database_unavailable(error: Exception) -> Any:
    """The database cannot be reached (down, refusing connections, its pool exhausted): 503 with
    ``Retry-After``, in the error shape, so clients retry instead of reporting a bug."""
    with contextlib.suppress(Exception):  # the connection may be gone: nothing to roll back then
        unit_of_work.discard()
    current_app.logger.error("database unavailable on %s %s: %s", request.method, request.path, error)
    unavailable = ServiceUnavailable("The database is unavailable; try again shortly.", retry_after=30)
    return handle_http_exception(unavailable)


# --- refusals ---------------------------------------------------------------------------------------------


def handle_domain_error(error: DomainError) -> Any:
    """A refusal no view showed itself: the API's error shape, or the error page with its message."""
    unit_of_work.discard()
    if wants_json():
        return api_error(error.status, error.message, flat_errors(error.errors))
    return error_page(error.status, error.message)


@dataclass
class Refusal:
    error: DomainError | None = None


@contextmanager
def refused(
    form: Any = None, *, default_field: str | None = None, category: str = "danger"
) -> Iterator[Refusal]:
    """Show a refusal on the page being answered instead of an error page: what the request did so
    far is discarded, and the message goes on the form field the error names (or ``default_field``),
    else into a flash message. The rest of the block does not run; ``refusal.error`` is the error.

        with refused(form) as refusal:
            service.create_endpoint(current_user, form.url.data, form.events.data)
            return redirect(...)
        return render_template(...), 422  # here only when refused
    """
    refusal = Refusal()
    try:
        yield refusal
    except DomainError as error:
        unit_of_work.discard()
        refusal.error = error
        name = error.field if form is not None and error.field and error.field in form else default_field
        if form is not None and name:
            form[name].errors = [*form[name].errors, error.message]
        else:
            flash(error.message, category)


def init_app(app: Flask) -> None:
    app.register_error_handler(sa.exc.OperationalError, database_unavailable)
    app.register_error_handler(sa.exc.InterfaceError, database_unavailable)
    app.register_error_handler(sa.exc.TimeoutError, database_unavailable)
    app.register_error_handler(OverflowError, value_out_of_range)
    app.register_error_handler(sa.exc.DataError, value_out_of_range)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
