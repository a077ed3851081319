"""Accounts: sessions (Flask-Login) and bearer tokens for the API. Role gates: ``permissions``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l

from exchange.models import User
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


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def normalise_email(email: str) -> str:
    return email.strip().lower()
