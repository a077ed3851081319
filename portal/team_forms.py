from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from exchange.models import Role
from exchange.web.fields import email_field, strip

PARTNER_ROLE_CHOICES = [
    SelectChoice(Role.PARTNER_REP.value, _l("Partner rep")),
    SelectChoice(Role.PARTNER_ADMIN.value, _l("Partner admin")),
]


class InviteMemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    email = email_field()
    role = SelectField(
        _l("Role"),
        choices=PARTNER_ROLE_CHOICES,
        description=_l("Reps pull, claim and work leads; admins also keep the profile, team and tokens."),
    )
    submit = SubmitField(_l("Invite"))


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=PARTNER_ROLE_CHOICES)
