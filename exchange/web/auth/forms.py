from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional

from exchange.models import TokenScope
from exchange.web.fields import (
    digest_frequency_choices,
    email_field,
    new_password_field,
    repeat_password_field,
    strip,
)


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = new_password_field()
    confirm = repeat_password_field(_l("Repeat the new password"))
    submit = SubmitField(_l("Change password"))


class PreferencesForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    timezone = StringField(
        _l("Time zone (IANA name, e.g. Europe/Berlin; empty: your organisation's)"),
        validators=[Optional(), Length(max=64)],
    )
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("Browser default")),
            SelectChoice("en", "English"),
            SelectChoice("de", "Deutsch"),
        ],
    )
    submit = SubmitField(_l("Save"))


class ForgotPasswordForm(FlaskForm):
    email = email_field()
    submit = SubmitField(_l("Send me a link"))


class ChoosePasswordForm(FlaskForm):
    """The page behind an invitation or reset link."""

    new_password = new_password_field()
    confirm = repeat_password_field(_l("Repeat the password"))
    submit = SubmitField(_l("Save password and sign in"))


class NotificationsForm(FlaskForm):
    email_notifications = BooleanField(_l("Send me e-mail notifications"))
    digest_frequency = SelectField(
        _l("E-mail me about other news"),
        choices=digest_frequency_choices(_l("Immediately"), _l("Never (in the app only)")),
        description=_l(
            "Hot leads always notify you immediately, whatever you choose here: in the app, and by "
            "e-mail while e-mail notifications are on."
        ),
    )
    submit = SubmitField(_l("Save notification settings"))


class CreateTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("What the token is for, e.g. CRM sync."),
        filters=[strip],
    )
    scope = SelectField(
        _l("Scope"),
        choices=[
            SelectChoice(TokenScope.READ.value, _l("Read only")),
            SelectChoice(TokenScope.READ_WRITE.value, _l("Read and write")),
        ],
    )
    expires_on = DateField(
        _l("Expires on (optional)"),
        validators=[Optional()],
        description=_l("The token stops working at the end of this day in your time zone."),
    )
    submit = SubmitField(_l("Create token"))

    def expires_at(self) -> datetime | None:
        """The end of the chosen day in the viewer's time zone, as an aware datetime."""
        if self.expires_on.data is None:
            return None
        zone = ZoneInfo(str(get_timezone() or "UTC"))
        return datetime.combine(self.expires_on.data + timedelta(days=1), time(0), tzinfo=zone)


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token to check."""
