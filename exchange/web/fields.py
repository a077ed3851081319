"""Form fields that several pages ask for in the same words: an e-mail address, a new password and
its repetition, how often to e-mail."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from exchange.accounts.passwords import MIN_PASSWORD_LENGTH
from exchange.models import DigestFrequency

# Shape only; deliverability is the mail server's business (and demo addresses use .test).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# Said before the first try, so a reasonable password is not refused by rules nobody mentioned.
PASSWORD_RULES = _l(
    "At least %(n)d characters and hard to guess: not your e-mail address or name, no repeats or "
    "sequences. A phrase of a few unrelated words works well.",
    n=MIN_PASSWORD_LENGTH,
)


def strip(value):
    """A field filter: surrounding white space off a submitted string."""
    return value.strip() if isinstance(value, str) else value


def email_field() -> EmailField:
    """A required e-mail address, stripped, of the shape ``someone@host.tld``."""
    return EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message=_l("Not an e-mail address.")),
        ],
        filters=[strip],
    )


def new_password_field() -> PasswordField:
    """A new password, with the rules said beside it; name it ``new_password`` for
    :func:`repeat_password_field`."""
    return PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        description=PASSWORD_RULES,
    )


def repeat_password_field(label) -> PasswordField:
    """The new password again; it must equal the form's ``new_password``."""
    return PasswordField(
        label, validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))]
    )


def digest_frequency_choices(immediately, never) -> list[SelectChoice]:
    """How often to e-mail about news, in the order of the ``DigestFrequency`` settings; the first and
    the last choice are worded by the page."""
    return [
        SelectChoice(DigestFrequency.IMMEDIATE.value, immediately),
        SelectChoice(DigestFrequency.HOURLY.value, _l("In an hourly digest")),
        SelectChoice(DigestFrequency.DAILY.value, _l("In a daily digest")),
        SelectChoice(DigestFrequency.OFF.value, never),
    ]
