from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from exchange.models import LeadStatus
from exchange.offers.vocabulary import DECLINE_REASON_LABELS
from exchange.platform.labels import CONTACT_CHANNELS

STATUS_LABELS = {
    LeadStatus.CONTACTED: _l("Contacted"),
    LeadStatus.MEETING: _l("Meeting"),
    LeadStatus.QUALIFIED: _l("Qualified"),
    LeadStatus.PROPOSAL: _l("Proposal"),
    LeadStatus.WON: _l("Won"),
    LeadStatus.LOST: _l("Lost"),
}


class ClaimForm(FlaskForm):
    submit = SubmitField(_l("Claim this lead"))


class DeclineForm(FlaskForm):
    reason = SelectField(
        _l("Reason"),
        # No reason is pre-selected: declining is for good, so the partner picks one on purpose.
        choices=[
            SelectChoice("", _l("Choose a reason…")),
            *(SelectChoice(r.value, label) for r, label in DECLINE_REASON_LABELS.items()),
        ],
        default="",
        validators=[DataRequired(message=_l("Choose a reason to decline."))],
    )
    text = StringField(_l("Details"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Decline"))


class ContactForm(FlaskForm):
    channel = SelectField(
        _l("How"),
        choices=[SelectChoice(c.value, label) for c, label in CONTACT_CHANNELS.items()],
        validators=[DataRequired()],
    )
    at = DateTimeLocalField(_l("When (empty: now)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Log contact"))


class StatusForm(FlaskForm):
    status = SelectField(
        _l("New status"),
        choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()],
        validators=[DataRequired()],
    )
    amount = DecimalField(_l("Amount won"), validators=[Optional(), NumberRange(min=0)], places=2)
    currency = StringField(_l("Currency"), validators=[Optional(), Length(min=3, max=3)])
    reason = StringField(_l("Why lost"), validators=[Optional(), Length(max=300)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Update status"))


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Add note"))


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Assign"))


class ReturnForm(FlaskForm):
    reason = StringField(_l("Why are you returning it?"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Return to manufacturer"))


class DeclineProgrammeForm(FlaskForm):
    """Declining a programme's invitation; the manufacturer sees the reason."""

    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Decline"))
