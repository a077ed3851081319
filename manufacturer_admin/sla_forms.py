"""The SLA policy editor's forms: the three temperatures side by side, durations in friendly units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, Form, FormField, IntegerField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from exchange.models import SlaPolicy, Temperature
from exchange.models.sla import BUSINESS_DAY_MINUTES
from exchange.sla.policies import DAY_MINUTES, FIELD_LABELS, HOUR_MINUTES, TEMPERATURE_LABELS, PolicyInvalid

# (unit, minutes per unit). A business day is 8 business hours (exchange.models.sla), whatever the
# partner's own day is; the update cadence runs around the clock, so its days are 24 hours.
WINDOW_UNITS = (("minutes", 1), ("hours", HOUR_MINUTES), ("business_days", BUSINESS_DAY_MINUTES))
CADENCE_UNITS = (("hours", HOUR_MINUTES), ("days", DAY_MINUTES))
UNIT_LABELS = {
    "minutes": _l("minutes"),
    "hours": _l("hours"),
    "business_days": _l("business days (8 h)"),
    "days": _l("days"),
}
# form field -> (policy column, units)
DURATION_FIELDS = {
    "claim_window": ("claim_window_minutes", WINDOW_UNITS),
    "first_contact": ("first_contact_minutes", WINDOW_UNITS),
    "update_cadence": ("update_cadence_minutes", CADENCE_UNITS),
}
MEASURED_IN = (("business", _l("Partner's business hours")), ("clock", _l("Around the clock")))
BREACH_ACTIONS = (("recycle", _l("Recycle to the next wave")), ("remind", _l("Remind only")))


def _unit_choices(units):
    return [SelectChoice(unit, UNIT_LABELS[unit]) for unit, _factor in units]


def friendliest_unit(minutes: int, units) -> tuple[Decimal, str]:
    """``minutes`` in the largest unit that holds it exactly (90 minutes stay minutes)."""
    for unit, factor in reversed(units):
        if minutes % factor == 0:
            return Decimal(minutes // factor), unit
    return Decimal(minutes), units[0][0]


class TemperaturePolicyForm(Form):
    """One temperature's column. Ranges are checked by the policy service (one place for the rules)."""

    claim_window = DecimalField(
        FIELD_LABELS["claim_window_minutes"], places=None, validators=[InputRequired()]
    )
    claim_window_unit = SelectField(_l("Unit of the claim window"), choices=_unit_choices(WINDOW_UNITS))
    first_contact = DecimalField(
        FIELD_LABELS["first_contact_minutes"], places=None, validators=[InputRequired()]
    )
    first_contact_unit = SelectField(_l("Unit of the first contact"), choices=_unit_choices(WINDOW_UNITS))
    update_cadence = DecimalField(
        FIELD_LABELS["update_cadence_minutes"], places=None, validators=[InputRequired()]
    )
    update_cadence_unit = SelectField(_l("Unit of the update cadence"), choices=_unit_choices(CADENCE_UNITS))
    waves = IntegerField(FIELD_LABELS["waves"], validators=[InputRequired()])
    business_time = SelectField(
        FIELD_LABELS["business_time"], choices=[SelectChoice(*choice) for choice in MEASURED_IN]
    )
    reminder_percent = IntegerField(FIELD_LABELS["reminder_percent"], validators=[InputRequired()])
    breach_action = SelectField(
        FIELD_LABELS["breach_action"], choices=[SelectChoice(*choice) for choice in BREACH_ACTIONS]
    )
    notify_channel_manager = BooleanField(FIELD_LABELS["notify_channel_manager"])

    def fill(self, policy: SlaPolicy) -> None:
        for name, (column, units) in DURATION_FIELDS.items():
            value, unit = friendliest_unit(getattr(policy, column), units)
            self[name].data, self[f"{name}_unit"].data = value, unit
        self.waves.data = policy.waves
        self.business_time.data = "business" if policy.business_time else "clock"
        self.reminder_percent.data = policy.reminder_percent
        self.breach_action.data = policy.breach_action.value
        self.notify_channel_manager.data = policy.notify_channel_manager


class SlaPoliciesForm(FlaskForm):
    hot = FormField(TemperaturePolicyForm)
    warm = FormField(TemperaturePolicyForm)
    cold = FormField(TemperaturePolicyForm)

    def validate(self, extra_validators=None) -> bool:
        """As usual, then say which temperature and field each message is about (the messages of
        WTForms' validators name neither)."""
        valid = super().validate(extra_validators)
        for temperature in (Temperature.HOT, Temperature.WARM, Temperature.COLD):
            for field in self.column(temperature):
                field.errors = [
                    _(
                        "%(temperature)s leads: %(field)s: %(message)s",
                        temperature=TEMPERATURE_LABELS[temperature],
                        field=field.label.text,
                        message=message,
                    )
                    for message in field.errors
                ]
        return valid

    def messages(self) -> list[str]:
        """Every error message, hot to cold, for the summary above the table."""
        return [
            message
            for temperature in (Temperature.HOT, Temperature.WARM, Temperature.COLD)
            for field in self.column(temperature)
            for message in field.errors
        ]

    def column(self, temperature: Temperature) -> TemperaturePolicyForm:
        return self[temperature.value].form

    def fill(self, policies: list[SlaPolicy]) -> None:
        for policy in policies:
            self.column(policy.temperature).fill(policy)

    def policy_values(self) -> dict[Temperature, dict[str, Any]]:
        """The entered values in the policy's terms (durations in whole minutes). Raises
        :class:`PolicyInvalid` for a duration that is not a whole number of minutes."""
        values: dict[Temperature, dict[str, Any]] = {}
        errors: dict[str, dict[str, str]] = {}
        for temperature in (Temperature.HOT, Temperature.WARM, Temperature.COLD):
            column = self.column(temperature)
            entered: dict[str, Any] = {}
            for name, (policy_field, units) in DURATION_FIELDS.items():
                factor = dict(units).get(column[f"{name}_unit"].data, 1)
                minutes = column[name].data * factor
                if not minutes.is_finite() or minutes != minutes.to_integral_value():
                    errors.setdefault(temperature.value, {})[policy_field] = _(
                        "%(temperature)s leads: %(field)s must come to a whole number of minutes.",
                        temperature=TEMPERATURE_LABELS[temperature],
                        field=FIELD_LABELS[policy_field],
                    )
                    continue
                entered[policy_field] = int(minutes)
            entered["waves"] = column.waves.data
            entered["business_time"] = column.business_time.data == "business"
            entered["reminder_percent"] = column.reminder_percent.data
            entered["breach_action"] = column.breach_action.data
            entered["notify_channel_manager"] = bool(column.notify_channel_manager.data)
            values[temperature] = entered
        if errors:
            raise PolicyInvalid(errors)
        return values

    def show_errors(self, error: PolicyInvalid) -> None:
        """Put the service's messages under the inputs they are about."""
        by_column = {column: name for name, (column, _units) in DURATION_FIELDS.items()}
        for temperature, fields in error.errors.items():
            if temperature not in ("hot", "warm", "cold"):
                continue
            column = self[temperature].form
            for policy_field, message in fields.items():
                name = by_column.get(policy_field, policy_field)
                if name in column._fields:
                    column[name].errors = [*column[name].errors, message]


class SlaResetForm(FlaskForm):
    """Only the CSRF token: the reset button posts it."""
