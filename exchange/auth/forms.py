from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from exchange.auth.passwords import MIN_PASSWORD_LENGTH

# Shape only; deliverability is the mail server's business (and demo addresses use .test).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message=_l("Not an e-mail address.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))],
    )
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
