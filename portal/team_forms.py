from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from exchange.models import Role
from exchange.web.auth.forms import EMAIL_PATTERN

PARTNER_ROLE_CHOICES = [
    SelectChoice(Role.PARTNER_REP.value, _l("Partner rep")),
    SelectChoice(Role.PARTNER_ADMIN.value, _l("Partner admin")),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class InviteMemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message=_l("Not an e-mail address.")),
        ],
        filters=[_strip],
    )
    role = SelectField(
        _l("Role"),
        choices=PARTNER_ROLE_CHOICES,
        description=_l("Reps pull, claim and work leads; admins also keep the profile, team and tokens."),
    )
    submit = SubmitField(_l("Invite"))


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=PARTNER_ROLE_CHOICES)
