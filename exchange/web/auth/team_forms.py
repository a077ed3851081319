"""The team pages' forms, with the roles of the organisation's kind (partner: reps and admins;
manufacturer: channel managers and admins), offered in ``TEAM_ROLES``' order."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from exchange.accounts.team import TEAM_ROLES
from exchange.models import OrgKind
from exchange.platform.labels import ROLES
from exchange.web.fields import email_field, strip

ROLE_HELP = {
    OrgKind.PARTNER: _l("Reps pull, claim and work leads; admins also keep the profile, team and tokens."),
    OrgKind.MANUFACTURER: _l(
        "Channel managers follow leads, partners and figures; admins also change leads, campaigns, "
        "settings, the team and tokens."
    ),
}


def role_choices(kind: OrgKind) -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLES[role]) for role in TEAM_ROLES[kind]]


class InviteMemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    email = email_field()
    role = SelectField(_l("Role"))
    submit = SubmitField(_l("Invite"))

    def __init__(self, kind: OrgKind, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices(kind)
        self.role.description = ROLE_HELP[kind]


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"))

    def __init__(self, kind: OrgKind, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices(kind)
