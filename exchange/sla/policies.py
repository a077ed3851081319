"""Deadline policies: a manufacturer's SLA policy per temperature, the terms a lead keeps when it is
published, and the one place that turns terms, a partner calendar and a start into a deadline.

Three clocks run on a lead (:class:`exchange.sla.vocabulary.SlaClock`): the claim window of each
wave (from the moment an offer becomes visible), first contact after a claim, and the status-update
cadence while the lead is open. The first two run in the partner's business time when
``terms["business_time"]`` is set and around the clock otherwise; the update cadence always runs
around the clock (it is counted in days).

Editing (``update_policies``, ``reset_policies``) follows the domain-service rules: explicit actor,
flush but never commit, an event on every change, :class:`PolicyInvalid` naming the temperature and
the field of every bad value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from exchange.models import DEFAULT_SLA_POLICIES, Organisation, SlaPolicy, Temperature, User
from exchange.models.enums import BreachAction
from exchange.models.sla import BUSINESS_DAY_MINUTES
from exchange.platform.errors import DomainError
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db
from exchange.sla.calendar import (
    AROUND_THE_CLOCK,
    BusinessCalendar,
    business_deadline,
    business_minutes_between,
)
from exchange.sla.vocabulary import SlaClock

HOUR_MINUTES = 60
DAY_MINUTES = 24 * HOUR_MINUTES

TEMPERATURES = (Temperature.HOT, Temperature.WARM, Temperature.COLD)
TEMPERATURE_LABELS = {Temperature.HOT: _l("Hot"), Temperature.WARM: _l("Warm"), Temperature.COLD: _l("Cold")}


CLOCK_MINUTES_KEY = {
    SlaClock.CLAIM: "claim_window_minutes",
    SlaClock.FIRST_CONTACT: "first_contact_minutes",
    SlaClock.UPDATE: "update_cadence_minutes",
}

# The values a policy holds, in the order the editor and the API show them.
POLICY_FIELDS = (
    "claim_window_minutes",
    "first_contact_minutes",
    "update_cadence_minutes",
    "waves",
    "business_time",
    "reminder_percent",
    "breach_action",
    "notify_channel_manager",
)
INTEGER_FIELDS = frozenset(
    {"claim_window_minutes", "first_contact_minutes", "update_cadence_minutes", "waves", "reminder_percent"}
)
BOOLEAN_FIELDS = frozenset({"business_time", "notify_channel_manager"})

FIELD_LABELS = {
    "claim_window_minutes": _l("Claim window per wave"),
    "first_contact_minutes": _l("First contact after claim"),
    "update_cadence_minutes": _l("Status update every"),
    "waves": _l("Number of waves"),
    "business_time": _l("Measured in"),
    "reminder_percent": _l("Reminder at % of a window"),
    "breach_action": _l("On breach"),
    "notify_channel_manager": _l("Notify the channel manager on breach"),
}

# Sensible bounds. The sweep runs every minute and the fastest response the studies measure is five
# minutes (MIT/InsideSales), so no window is shorter; 20 business days is four working weeks. The
# update cadence runs around the clock: at least hourly, at most once a quarter.
LIMITS: dict[str, tuple[int, int]] = {
    "claim_window_minutes": (5, 20 * BUSINESS_DAY_MINUTES),
    "first_contact_minutes": (5, 20 * BUSINESS_DAY_MINUTES),
    "update_cadence_minutes": (HOUR_MINUTES, 90 * DAY_MINUTES),
    "waves": (1, 10),
    "reminder_percent": (1, 99),
}

# Column defaults of SlaPolicy for what DEFAULT_SLA_POLICIES leaves out (the product brief: a
# reminder at 75 % of a window; on breach, record, notify and recycle to the next wave).
DEFAULT_OPTIONS: dict[str, Any] = {
    "business_time": True,
    "reminder_percent": 75,
    "breach_action": BreachAction.RECYCLE,
    "notify_channel_manager": True,
}


class PolicyInvalid(DomainError):
    """Some policy values were refused. ``errors`` maps temperature -> field -> message."""

    def __init__(self, errors: dict[str, dict[str, str]]) -> None:
        messages = [message for fields in errors.values() for message in fields.values()]
        super().__init__(" ".join(messages), status=422)
        self.errors = errors


# --- reading ------------------------------------------------------------------------------------


def default_values(temperature: Temperature | str) -> dict[str, Any]:
    """The default policy for ``temperature`` (PRODUCT.md's table; minutes, waves, options)."""
    return {**DEFAULT_SLA_POLICIES[Temperature(temperature)], **DEFAULT_OPTIONS}


def default_policy(temperature: Temperature | str) -> SlaPolicy:
    """An unsaved policy holding the defaults (for display and comparison; never added to a session)."""
    return SlaPolicy(temperature=Temperature(temperature), **default_values(temperature))


def _manufacturer_id(manufacturer: Organisation | int) -> int:
    return manufacturer if isinstance(manufacturer, int) else manufacturer.id


def policies_for(manufacturer: Organisation | int) -> list[SlaPolicy]:
    """The manufacturer's policies, hot, warm, cold. Policies are created with each manufacturer; a
    missing one reads as an unsaved default (reading never writes)."""
    rows = db.session.scalars(
        sa.select(SlaPolicy).where(SlaPolicy.manufacturer_id == _manufacturer_id(manufacturer))
    ).all()
    by_temperature = {row.temperature: row for row in rows}
    return [by_temperature.get(t) or default_policy(t) for t in TEMPERATURES]


def policy_for(manufacturer: Organisation | int, temperature: Temperature | str) -> SlaPolicy:
    """The manufacturer's policy for one temperature (an unsaved default if it is missing)."""
    temperature = Temperature(temperature)
    row = db.session.scalar(
        sa.select(SlaPolicy).where(
            SlaPolicy.manufacturer_id == _manufacturer_id(manufacturer), SlaPolicy.temperature == temperature
        )
    )
    return row or default_policy(temperature)


def terms_for(manufacturer: Organisation | int, temperature: Temperature | str) -> dict[str, Any]:
    """What a lead of ``temperature`` keeps at publish (``Lead.sla_terms``): the policy's values
    as plain JSON. Later policy changes do not touch leads published before them."""
    return policy_for(manufacturer, temperature).terms()


# --- deadlines: the one place they are computed -------------------------------------------------


def clock_calendar(terms: Mapping[str, Any], clock: SlaClock, calendar: BusinessCalendar) -> BusinessCalendar:
    """The calendar a clock runs in: the partner's for the claim window and first contact when the
    terms say business time, around the clock otherwise and always for the update cadence."""
    if SlaClock(clock) is SlaClock.UPDATE or not terms.get("business_time", True):
        return AROUND_THE_CLOCK
    return calendar


def window_minutes(terms: Mapping[str, Any], clock: SlaClock) -> int:
    """The length of a clock's window in (business) minutes, from the lead's terms."""
    key = CLOCK_MINUTES_KEY[SlaClock(clock)]
    try:
        minutes = terms[key]
    except KeyError:
        raise ValueError(f"SLA terms lack {key!r}") from None
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise ValueError(f"SLA terms: {key} must be a positive whole number of minutes, not {minutes!r}")
    return minutes


def deadline(
    terms: Mapping[str, Any], clock: SlaClock, calendar: BusinessCalendar, start: datetime
) -> datetime:
    """When ``clock`` started at ``start`` runs out, in UTC (see :func:`clock_calendar`)."""
    return business_deadline(start, window_minutes(terms, clock), clock_calendar(terms, clock, calendar))


def claim_deadline(terms: Mapping[str, Any], calendar: BusinessCalendar, start: datetime) -> datetime:
    """The claim deadline of an offer that became visible at ``start``."""
    return deadline(terms, SlaClock.CLAIM, calendar, start)


def first_contact_deadline(terms: Mapping[str, Any], calendar: BusinessCalendar, start: datetime) -> datetime:
    """The first-contact deadline of a claim made at ``start``."""
    return deadline(terms, SlaClock.FIRST_CONTACT, calendar, start)


def next_update_deadline(terms: Mapping[str, Any], calendar: BusinessCalendar, start: datetime) -> datetime:
    """When the next status update is due after the claim or the last update at ``start``. The
    cadence runs around the clock; ``calendar`` is accepted so all three clocks are called alike."""
    return deadline(terms, SlaClock.UPDATE, calendar, start)


def reminder_percent(terms: Mapping[str, Any]) -> int:
    percent = terms.get("reminder_percent", DEFAULT_OPTIONS["reminder_percent"])
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 < percent < 100:
        raise ValueError(f"SLA terms: reminder_percent must be between 1 and 99, not {percent!r}")
    return percent


def reminder_at(
    terms: Mapping[str, Any], clock: SlaClock, calendar: BusinessCalendar, start: datetime
) -> datetime:
    """When the reminder for ``clock`` is due: ``reminder_percent`` of its window after ``start``,
    measured in the same time as the window (so a business-time reminder falls in working hours)."""
    minutes = window_minutes(terms, clock) * reminder_percent(terms) / 100
    return business_deadline(start, minutes, clock_calendar(terms, clock, calendar))


def elapsed_share(
    terms: Mapping[str, Any], clock: SlaClock, calendar: BusinessCalendar, start: datetime, at: datetime
) -> float:
    """How much of ``clock``'s window has passed at ``at`` (0.0 at the start, 1.0 at the deadline,
    more once it is overdue); for countdowns and progress bars."""
    elapsed = business_minutes_between(start, at, clock_calendar(terms, clock, calendar))
    return max(0.0, elapsed / window_minutes(terms, clock))


# --- editing ------------------------------------------------------------------------------------


def describe_minutes(minutes: int, *, business: bool = True) -> str:
    """``minutes`` in the largest whole unit: business days (8 business hours) and business hours
    for business-time windows; days and hours around the clock."""
    if business and minutes % BUSINESS_DAY_MINUTES == 0:
        n = minutes // BUSINESS_DAY_MINUTES
        return ngettext("%(num)s business day", "%(num)s business days", n)
    if not business and minutes % DAY_MINUTES == 0:
        return ngettext("%(num)s day", "%(num)s days", minutes // DAY_MINUTES)
    if minutes % HOUR_MINUTES == 0:
        n = minutes // HOUR_MINUTES
        if business:
            return ngettext("%(num)s business hour", "%(num)s business hours", n)
        return ngettext("%(num)s hour", "%(num)s hours", n)
    return ngettext("%(num)s minute", "%(num)s minutes", minutes)


def _limit_message(temperature: Temperature, name: str, business: bool) -> str:
    low, high = LIMITS[name]
    if name in CLOCK_MINUTES_KEY.values():
        timed = business and name != "update_cadence_minutes"
        low_text, high_text = describe_minutes(low, business=timed), describe_minutes(high, business=timed)
    else:
        low_text, high_text = str(low), str(high)
    return _(
        "%(temperature)s leads: %(field)s must be between %(low)s and %(high)s.",
        temperature=TEMPERATURE_LABELS[temperature],
        field=FIELD_LABELS[name],
        low=low_text,
        high=high_text,
    )


def validate_policy_values(temperature: Temperature, values: Mapping[str, Any]) -> dict[str, str]:
    """Messages for the bad values among ``values`` (field -> message); empty when all are good."""
    errors: dict[str, str] = {}
    label = TEMPERATURE_LABELS[temperature]
    for name, value in values.items():
        if name not in POLICY_FIELDS:
            errors[name] = _(
                "%(temperature)s leads: %(field)s is not a policy setting.", temperature=label, field=name
            )
        elif name in INTEGER_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int):
                errors[name] = _(
                    "%(temperature)s leads: %(field)s must be a whole number.",
                    temperature=label,
                    field=FIELD_LABELS[name],
                )
            elif not LIMITS[name][0] <= value <= LIMITS[name][1]:
                business = values.get("business_time", True) is not False
                errors[name] = _limit_message(temperature, name, business)
        elif name in BOOLEAN_FIELDS:
            if not isinstance(value, bool):
                errors[name] = _(
                    "%(temperature)s leads: %(field)s must be true or false.",
                    temperature=label,
                    field=FIELD_LABELS[name],
                )
        elif name == "breach_action" and value not in {action.value for action in BreachAction}:
            errors[name] = _(
                "%(temperature)s leads: %(field)s must be one of %(choices)s.",
                temperature=label,
                field=FIELD_LABELS[name],
                choices=", ".join(action.value for action in BreachAction),
            )
    return errors


def _stored(policy: SlaPolicy, name: str) -> Any:
    value = getattr(policy, name)
    return value.value if isinstance(value, enum.Enum) else value


def _apply(
    manufacturer: Organisation, values: Mapping[Temperature | str, Mapping[str, Any]]
) -> dict[str, dict[str, list[Any]]]:
    errors: dict[str, dict[str, str]] = {}
    parsed: dict[Temperature, Mapping[str, Any]] = {}
    for key, fields in values.items():
        try:
            temperature = Temperature(key)
        except ValueError:
            errors[str(key)] = {
                "temperature": _("%(value)s is not a temperature (hot, warm, cold).", value=key)
            }
            continue
        parsed[temperature] = fields
        problems = validate_policy_values(temperature, fields)
        if problems:
            errors[temperature.value] = problems
    if errors:
        raise PolicyInvalid(errors)

    existing = {
        row.temperature: row
        for row in db.session.scalars(
            sa.select(SlaPolicy).where(SlaPolicy.manufacturer_id == manufacturer.id).with_for_update()
        )
    }
    changes: dict[str, dict[str, list[Any]]] = {}
    for temperature in TEMPERATURES:
        if temperature not in parsed:
            continue
        policy = existing.get(temperature)
        if policy is None:
            policy = SlaPolicy(
                manufacturer_id=manufacturer.id, temperature=temperature, **default_values(temperature)
            )
            db.session.add(policy)
        changed: dict[str, list[Any]] = {}
        for name, value in parsed[temperature].items():
            new = value.value if isinstance(value, enum.Enum) else value
            old = _stored(policy, name)
            if old != new:
                changed[name] = [old, new]
                setattr(policy, name, BreachAction(new) if name == "breach_action" else new)
        if changed:
            changes[temperature.value] = changed
    db.session.flush()
    return changes


def update_policies(
    manufacturer: Organisation,
    values: Mapping[Temperature | str, Mapping[str, Any]],
    *,
    actor: User | None,
) -> dict[str, dict[str, list[Any]]]:
    """Change the manufacturer's policies: ``values`` maps a temperature to the settings to change
    (any of :data:`POLICY_FIELDS`; durations in minutes). All values are checked first, and nothing
    changes if any is refused (:class:`PolicyInvalid`). Records ``sla_policy.updated`` with the
    changes (temperature -> field -> [old, new]) when something changed; returns the changes.
    Leads already published keep their terms."""
    changes = _apply(manufacturer, values)
    if changes:
        record(
            AuditEvent.SLA_POLICY_UPDATED,
            actor=actor,
            manufacturer_id=manufacturer.id,
            data={"changes": changes},
        )
    return changes


def reset_policies(manufacturer: Organisation, *, actor: User | None) -> dict[str, dict[str, list[Any]]]:
    """Put all three policies back to the defaults; records ``sla_policy.reset`` with the changes
    when something changed. Returns the changes."""
    changes = _apply(manufacturer, {t: default_values(t) for t in TEMPERATURES})
    if changes:
        record(
            AuditEvent.SLA_POLICY_RESET,
            actor=actor,
            manufacturer_id=manufacturer.id,
            data={"changes": changes},
        )
    return changes
