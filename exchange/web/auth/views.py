"""Sign in, sign out, the account page, choosing a password through an invitation or reset link."""

from __future__ import annotations

import math
import time
from typing import Any

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from exchange.accounts.password_links import (
    LinkExpired,
    LinkInvalid,
    LinkPurpose,
    site_base_url,
    user_for_token,
)
from exchange.accounts.team import choose_password, request_password_reset
from exchange.accounts.users import authenticate, change_password
from exchange.models import DigestFrequency
from exchange.models.user import new_session_nonce
from exchange.partners.enrollments import accept_created_enrollments
from exchange.platform import unit_of_work
from exchange.platform.errors import DomainError
from exchange.platform.i18n import is_valid_timezone
from exchange.platform.security import (
    clear_failed_logins,
    config_limit,
    form_email,
    limiter,
    lockout_retry_after,
    no_store,
    record_failed_login,
    safe_next,
)
from exchange.web.auth.forms import (
    ChangePasswordForm,
    ChoosePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NotificationsForm,
    PreferencesForm,
)
from exchange.web.errors import handle_http_exception, refused

bp = Blueprint("auth", __name__)


def home_for(user) -> str:
    return url_for("manage.dashboard") if user.is_manufacturer_user else url_for("portal.offers")


def _locked_out(form, retry_after: int, *, per_address: bool = False):
    """The sign-in form again, saying why and for how long (429 with ``Retry-After``), rather than
    an error page that leaves the form."""
    minutes = max(1, (retry_after + 59) // 60)
    if per_address:
        message = _("Too many sign-in attempts from your network. Try again in %(n)d minutes.", n=minutes)
    else:
        message = _(
            "Too many failed sign-ins for this account. Try again in %(n)d minutes, or ask your "
            "organisation's admin to unlock it.",
            n=minutes,
        )
    flash(message, "danger")
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def rate_limited_login(retry_after: int):
    """The per-address limit on ``/login`` hit: the form again with the message (the e-mail kept)."""
    return _locked_out(LoginForm(), retry_after, per_address=True)


@bp.app_errorhandler(RateLimitExceeded)
def too_many_requests(error: RateLimitExceeded) -> Any:
    """Flask-Limiter's 429 anywhere in the app, answered like any other error (JSON on the API), with
    ``Retry-After``; the sign-in form shows it on the form."""
    current_limit = limiter.current_limit
    retry = max(1, math.ceil(current_limit.reset_at - time.time())) if current_limit else 60
    current_app.logger.warning(
        "rate limit %s hit by %s on %s %s",
        error.description,
        get_remote_address(),
        request.method,
        request.path,
    )
    if request.endpoint == "auth.login":
        return rate_limited_login(retry)
    return handle_http_exception(TooManyRequests(retry_after=retry))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(config_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        retry_after = lockout_retry_after(form.email.data)
        if retry_after is not None:
            return _locked_out(form, retry_after)
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            record_failed_login(form.email.data)
            current_app.logger.info("failed sign-in for %s from %s", form.email.data, request.remote_addr)
            flash(_("E-mail or password is not correct."), "danger")
            return render_template("auth/login.html", form=form), 401
        clear_failed_logins(form.email.data)
        login_user(user, remember=form.remember.data)
        return redirect(safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # A new nonce: the session id in this cookie (and in any copy of it, and the remember-me
        # cookie) no longer matches, so a saved cookie cannot open a page again.
        user = current_user._get_current_object()
        user.session_nonce = new_session_nonce()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    prefs = PreferencesForm(prefix="prefs", obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    notifications = NotificationsForm(prefix="notify", obj=current_user)
    if request.method == "GET":
        notifications.digest_frequency.data = current_user.digest_frequency.value
    if notifications.submit.data and notifications.validate_on_submit():
        current_user.email_notifications = notifications.email_notifications.data
        current_user.digest_frequency = DigestFrequency(notifications.digest_frequency.data)
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("auth.account"))
    if prefs.submit.data and prefs.validate_on_submit():
        if prefs.timezone.data and not is_valid_timezone(prefs.timezone.data):
            prefs.timezone.errors.append(_("Unknown time zone."))
        else:
            current_user.name = prefs.name.data
            current_user.timezone = prefs.timezone.data or None
            current_user.locale = prefs.locale.data or None
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("auth.account"))
    if password_form.submit.data and password_form.validate_on_submit():
        try:
            change_password(
                current_user, password_form.current_password.data, password_form.new_password.data
            )
        except DomainError as error:  # the service's "password" is the new one; anything else, the current
            unit_of_work.discard()
            target = (
                password_form.new_password if error.field == "password" else password_form.current_password
            )
            target.errors.append(error.message)
        else:
            # The nonce changed: every other session is over; keep this one.
            login_user(current_user._get_current_object(), fresh=True)
            flash(_("Your password is changed. Other sessions have been signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html", prefs=prefs, password_form=password_form, notifications=notifications
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(config_limit("PASSWORD_RESET_RATE_LIMIT"), methods=["POST"])
@limiter.limit(config_limit("PASSWORD_RESET_ACCOUNT_LIMIT"), methods=["POST"], key_func=form_email)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data, base_url=site_base_url())
        # The same answer whether or not the address exists.
        flash(
            _(
                "If there is an account for %(email)s, we have sent it a link to choose a new password. "
                "Check your inbox.",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


def _link_key() -> str:
    """Per link, that is per account: the signed token in the URL."""
    return "link:" + str((request.view_args or {}).get("token", ""))[:200]


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(config_limit("CHOOSE_PASSWORD_RATE_LIMIT"), methods=["POST"])
@limiter.limit(config_limit("CHOOSE_PASSWORD_RATE_LIMIT"), methods=["POST"], key_func=_link_key)
def accept_invitation(token: str):
    return _choose_password(token, LinkPurpose.INVITE)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(config_limit("CHOOSE_PASSWORD_RATE_LIMIT"), methods=["POST"])
@limiter.limit(config_limit("CHOOSE_PASSWORD_RATE_LIMIT"), methods=["POST"], key_func=_link_key)
def reset_password(token: str):
    return _choose_password(token, LinkPurpose.RESET)


def _choose_password(token: str, purpose: LinkPurpose):
    try:
        user = user_for_token(token, purpose)
    except LinkExpired:
        response = _no_leaks(render_template("auth/link_invalid.html", purpose=purpose.value, expired=True))
        return response, 410
    except LinkInvalid:
        response = _no_leaks(render_template("auth/link_invalid.html", purpose=purpose.value, expired=False))
        return response, 404
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        with refused(form, default_field="new_password"):
            choose_password(user, form.new_password.data, purpose)
            if purpose is LinkPurpose.INVITE:
                # The admin of a partner a programme created: its invitation to that programme is
                # accepted with the account (glue here: accounts sit below partners).
                accept_created_enrollments(user)
            login_user(user)
            flash(_("Your password is saved. Welcome, %(name)s!", name=user.name), "success")
            return redirect(home_for(user))
    return _no_leaks(
        render_template("auth/choose_password.html", form=form, user=user, purpose=purpose.value)
    )


def _no_leaks(body: str):
    """The URL holds a secret: keep it out of caches and out of Referer headers."""
    response = no_store(make_response(body))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
