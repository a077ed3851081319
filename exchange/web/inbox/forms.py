from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired

from exchange.models import DigestFrequency


class EmailPreferencesForm(FlaskForm):
    email_notifications = BooleanField(_l("Send me notifications by e-mail"))
    digest_frequency = SelectField(
        _l("E-mail me about everything else"),
        choices=[
            SelectChoice(DigestFrequency.IMMEDIATE.value, _l("Immediately, one e-mail each")),
            SelectChoice(DigestFrequency.HOURLY.value, _l("In an hourly digest")),
            SelectChoice(DigestFrequency.DAILY.value, _l("In a daily digest")),
            SelectChoice(DigestFrequency.OFF.value, _l("Never (hot leads only)")),
        ],
        validators=[InputRequired()],
        description=_l("Hot leads are always e-mailed immediately while e-mail is on."),
    )
    submit = SubmitField(_l("Save"))
