"""Accounts: sessions (Flask-Login), bearer tokens for the API, role gates."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from exchange.models import Role, User
from exchange.platform.extensions import db, login_manager


def init_app(app: Flask) -> None:
    from exchange.accounts import passwords

    passwords.configure(app.config.get("ARGON2_PARAMETERS"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = app.config["SESSION_PROTECTION"]

    from exchange.web.auth.views import bp

    app.register_blueprint(bp)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session ids are ``<user id>:<nonce>``; a changed password rotates the nonce."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_nonce != nonce or not user.is_active:
        return None
    return user


@login_manager.request_loader
def load_user_from_bearer(req: Any) -> User | None:
    """API requests may authenticate with ``Authorization: Bearer <token>`` instead of a session."""
    if not req.path.startswith("/api/"):
        return None
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    from flask import g

    from exchange.accounts.tokens import resolve_token
    from exchange.platform.security import check_bearer_failures, record_bearer_failure

    check_bearer_failures()
    token = resolve_token(header[7:].strip())
    if token is None:
        record_bearer_failure()
        return None
    g.api_token = token
    return token.user


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if request.path.startswith("/api/"):
        abort(401)
    from flask import flash, redirect, url_for

    flash(str(login_manager.login_message), login_manager.login_message_category)
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def require_roles(roles: Iterable[Role]) -> None:
    """Abort unless the current user holds one of ``roles`` (401 anonymous, 403 wrong role)."""
    if not current_user.is_authenticated:
        # Flask-Login's handler: redirect to the login page, or 401 on the API.
        abort(login_manager.unauthorized())
    if current_user.role not in set(roles):
        abort(403)


def roles_required(*roles: Role) -> Callable:
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require_roles(roles)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def normalise_email(email: str) -> str:
    return email.strip().lower()
