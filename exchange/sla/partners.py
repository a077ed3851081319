"""A partner's business calendar, built from its profile (time zone, working days, hours, holidays).

The profile editor validates these fields with :class:`~exchange.sla.calendar.BusinessCalendar`
itself; rows written before that (or by hand) may still hold a bad value. A deadline must be
computable for every claim, so a bad field falls back to its default here, with a warning in the log
naming the partner and the field, instead of failing the claim.
"""

from __future__ import annotations

import logging
from datetime import time

from exchange.models import PartnerProfile
from exchange.sla.calendar import BusinessCalendar, parse_holidays

log = logging.getLogger(__name__)

DEFAULT_CALENDAR = BusinessCalendar()  # UTC, Monday to Friday, 09:00-17:00


def partner_calendar(profile: PartnerProfile | None) -> BusinessCalendar:
    """The business calendar of the partner that owns ``profile`` (the default calendar without one)."""
    if profile is None:
        return DEFAULT_CALENDAR
    values = {
        "timezone": profile.timezone or DEFAULT_CALENDAR.timezone,
        "working_days": profile.working_days,
        "work_start": profile.work_start,
        "work_end": profile.work_end,
    }
    holidays = _holidays(profile)
    try:
        return BusinessCalendar(**values, holidays=holidays)
    except (ValueError, TypeError):
        pass
    # Keep every field that is valid on its own; replace only the broken ones.
    checks = {
        "timezone": lambda v: BusinessCalendar(timezone=v),
        "working_days": lambda v: BusinessCalendar(working_days=frozenset(v)),
        "work_start": lambda v: BusinessCalendar(work_start=v, work_end=time(0)),
        "work_end": lambda v: BusinessCalendar(work_start=time(0), work_end=v),
    }
    for name, check in checks.items():
        try:
            check(values[name])
        except (ValueError, TypeError) as error:
            _warn(profile, name, values[name], error)
            values[name] = getattr(DEFAULT_CALENDAR, name)
    try:
        return BusinessCalendar(**values, holidays=holidays)
    except ValueError as error:  # each hour valid, but the pair is not (e.g. closing before opening)
        _warn(profile, "work_start/work_end", (values["work_start"], values["work_end"]), error)
        values["work_start"], values["work_end"] = DEFAULT_CALENDAR.work_start, DEFAULT_CALENDAR.work_end
        return BusinessCalendar(**values, holidays=holidays)


def _holidays(profile: PartnerProfile):
    kept = set()
    for value in profile.holidays or []:
        try:
            kept |= parse_holidays([value])
        except ValueError as error:
            _warn(profile, "holidays", value, error)
    return frozenset(kept)


def _warn(profile: PartnerProfile, field: str, value: object, error: Exception) -> None:
    log.warning(
        "partner %s: profile field %s=%r is not usable for SLA deadlines (%s); using the default",
        profile.partner_id,
        field,
        value,
        error,
    )
