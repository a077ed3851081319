"""Forms of the partner directory: adding a partner by hand, changing its tier and product lines."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from exchange.models import ProductLine, Tier
from exchange.platform.iso_codes import country_names
from exchange.web.fields import email_field, strip
from manufacturer_admin.lead_forms import MultiCheckboxField

TIER_LABELS = {
    Tier.PLATINUM: _l("Platinum"),
    Tier.GOLD: _l("Gold"),
    Tier.SILVER: _l("Silver"),
    Tier.REGISTERED: _l("Registered"),
}


def tier_choices() -> list[SelectChoice]:
    return [SelectChoice(tier.value, TIER_LABELS[tier]) for tier in Tier]


def product_line_choices(lines: list[ProductLine]) -> list[SelectChoice]:
    return [SelectChoice(line.code, line.name) for line in lines]


class ProgrammeForm(FlaskForm):
    """The programme's own fields of an enrollment."""

    tier = SelectField(_l("Tier"), choices=[])
    product_lines = MultiCheckboxField(
        _l("Product lines"), choices=[], description=_l("The product lines this partner may be offered.")
    )
    submit = SubmitField(_l("Save tier and product lines"))

    def set_choices(self, lines: list[ProductLine]) -> ProgrammeForm:
        self.tier.choices = tier_choices()
        self.product_lines.choices = product_line_choices(lines)
        return self


class AddPartnerForm(FlaskForm):
    company = StringField(_l("Company"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    country = SelectField(_l("Country"), choices=[], validators=[Optional()])
    tier = SelectField(_l("Tier"), choices=[])
    product_lines = MultiCheckboxField(_l("Product lines"), choices=[])
    admin_name = StringField(_l("Admin's name"), validators=[Optional(), Length(max=200)], filters=[strip])
    admin_email = email_field()
    external_id = StringField(
        _l("External id"),
        validators=[Optional(), Length(max=100)],
        filters=[strip],
        description=_l("The partner's id in your CRM: adding it again with this id updates it."),
    )
    invite = BooleanField(_l("Send the invitation now"), default=True)
    submit = SubmitField(_l("Add partner"))

    def set_choices(self, lines: list[ProductLine]) -> AddPartnerForm:
        self.admin_email.label.text = _("Admin's e-mail")
        self.admin_email.description = _(
            "The partner's admin is invited with it. If it belongs to a partner already on the Lead "
            "Exchange, that partner is invited to your programme and accepts or declines."
        )
        names = country_names(get_locale() or "en")
        self.country.choices = [SelectChoice("", "–")] + [
            SelectChoice(code, name) for code, name in names.items()
        ]
        self.tier.choices = tier_choices()
        if not self.tier.data:
            self.tier.data = Tier.REGISTERED.value
        self.product_lines.choices = product_line_choices(lines)
        return self
