from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SubmitField
from wtforms.validators import InputRequired

from exchange.web.fields import digest_frequency_choices


class EmailPreferencesForm(FlaskForm):
    email_notifications = BooleanField(_l("Send me notifications by e-mail"))
    digest_frequency = SelectField(
        _l("E-mail me about everything else"),
        choices=digest_frequency_choices(_l("Immediately, one e-mail each"), _l("Never (hot leads only)")),
        validators=[InputRequired()],
        description=_l("Hot leads are always e-mailed immediately while e-mail is on."),
    )
    submit = SubmitField(_l("Save"))
