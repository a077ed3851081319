from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from exchange.models import Tier


class ProgramSettingsForm(FlaskForm):
    currency = StringField(
        _l("Currency (ISO code)"),
        validators=[DataRequired(), Regexp(r"^[A-Z]{3}$", message=_l("Three capital letters, e.g. EUR."))],
    )
    wave_size = IntegerField(
        _l("Partners per wave"),
        validators=[DataRequired(), NumberRange(min=1, max=50)],
        description=_l("How many partners see a lead first, exclusively, in each wave."),
    )
    cooling_days_per_step = IntegerField(
        _l("Days until an unworked lead cools one step (0: never)"),
        validators=[Optional(), NumberRange(min=0, max=365)],
    )
    large_deal_threshold = DecimalField(
        _l("Large deal threshold"),
        validators=[Optional(), NumberRange(min=0)],
        places=2,
        description=_l("Deals above this value only go to partners of the minimum tier below."),
    )
    large_deal_min_tier = SelectField(
        _l("Minimum tier for large deals"),
        choices=[SelectChoice("", _l("No minimum"))] + [SelectChoice(t.value, t.value.title()) for t in Tier],
    )
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Save settings"))


class EnrollmentReasonForm(FlaskForm):
    """Suspend, end, reactivate or reassign: the reason goes into the event (the partner sees it)."""

    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
