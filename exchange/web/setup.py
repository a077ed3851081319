"""The first-run setup page ``/setup``: while no organisation exists, whoever holds the setup token
(printed in the server log) creates the first manufacturer and its admin, and is signed in as that
admin. Afterwards the page does not exist (404). The service: :mod:`exchange.accounts.first_run`."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from exchange.accounts.first_run import (
    announce_if_empty,
    installation_is_empty,
    setup_token_matches,
    start_programme,
)
from exchange.accounts.passwords import MIN_PASSWORD_LENGTH
from exchange.platform.i18n import common_timezones
from exchange.platform.security import config_limit, limiter, no_store
from exchange.web.errors import refused
from exchange.web.fields import PASSWORD_RULES, email_field, strip

bp = Blueprint("setup", __name__)


class SetupForm(FlaskForm):
    token = StringField(
        _l("Setup token"),
        validators=[DataRequired(), Length(max=100)],
        description=_l(
            "Printed in the server log (the console that runs the portal) while no organisation exists."
        ),
        filters=[strip],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    timezone = StringField(
        _l("Time zone"),
        default="UTC",
        validators=[DataRequired(), Length(max=64)],
        description=_l("IANA name, e.g. Europe/Berlin: the programme's business hours and deadlines."),
        filters=[strip],
        render_kw={"list": "setup-timezones"},
    )
    currency = StringField(
        _l("Currency"),
        default="EUR",
        validators=[DataRequired(), Length(max=3)],
        description=_l("ISO 4217 code, e.g. EUR, CHF, USD."),
        filters=[strip],
    )
    admin_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=PASSWORD_RULES,
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Create the programme and sign in"))


@bp.route("/setup", methods=["GET", "POST"])
@limiter.limit(config_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def setup():
    if not installation_is_empty():
        abort(404)
    form = SetupForm()
    status = 200
    if request.method == "GET":
        announce_if_empty(current_app.config["PUBLIC_URL"])
    elif form.validate_on_submit():
        if not setup_token_matches(form.token.data):
            current_app.logger.warning("wrong setup token from %s", request.remote_addr)
            form.token.errors.append(_("This is not the setup token. Copy it from the server log."))
            status = 403
        else:
            with refused(form):
                _org, admin = start_programme(
                    form.name.data,
                    admin_email=form.email.data,
                    admin_name=form.admin_name.data,
                    timezone=form.timezone.data,
                    currency=form.currency.data,
                    password=form.password.data,
                )
                login_user(admin)
                flash(_("%(org)s is set up. Welcome, %(name)s!", org=_org.name, name=admin.name), "success")
                return redirect(url_for("manage.dashboard"))
            status = 422
    else:
        status = 422
    response = no_store(
        current_app.make_response(render_template("setup.html", form=form, zones=common_timezones()))
    )
    response.status_code = status
    return response


def announce_at_start(app: Flask) -> None:
    """Log the setup hint once when a server starts on an empty installation."""
    with app.app_context():
        announce_if_empty(app.config["PUBLIC_URL"])


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
