"""A partner's business calendar, built from its profile (time zone, working days, hours, holidays).

Holidays are the profile's own dates plus, when ``public_holidays`` is on, the public holidays of
the partner's ``country`` and ``region`` (the ``holidays`` package's subdivision code, e.g. DE and
BY), for the years around now; those lists are cached per (country, region, years). A country or
subdivision the package does not know is ignored with a warning in the log.

The profile editor validates these fields with :class:`~exchange.sla.calendar.BusinessCalendar`
itself; rows written before that (or by hand) may still hold a bad value. A deadline must be
computable for every claim, so a bad field falls back to its default here, with a warning in the log
naming the partner and the field, instead of failing the claim.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, time

import holidays as public_holiday_data

from exchange.models import PartnerProfile
from exchange.platform import clock
from exchange.sla.calendar import BusinessCalendar, parse_holidays

log = logging.getLogger(__name__)

DEFAULT_CALENDAR = BusinessCalendar()  # UTC, Monday to Friday, 09:00-17:00
# Public holidays are looked up for this many years before and after the current one.
YEARS_BEFORE, YEARS_AFTER = 1, 2


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
    if profile.public_holidays and profile.country:
        year = clock.now().year
        years = tuple(range(year - YEARS_BEFORE, year + YEARS_AFTER + 1))
        kept |= public_holidays(profile.country, profile.region, years)
    return frozenset(kept)


def public_holidays(country: str, region: str | None, years: tuple[int, ...]) -> frozenset[date]:
    """The public holidays of ``country`` (ISO 3166-1 alpha-2) and optionally its subdivision
    ``region`` in ``years``; empty (with a warning in the log) when the package does not know them."""
    country = country.strip().upper()
    region = (region or "").strip().upper() or None
    if region and region.startswith(f"{country}-"):  # "DE-BY" as ISO 3166-2 writes it
        region = region[len(country) + 1 :]
    return _public_holidays(country, region, years)


@functools.lru_cache(maxsize=512)
def _public_holidays(country: str, region: str | None, years: tuple[int, ...]) -> frozenset[date]:
    try:
        found = public_holiday_data.country_holidays(country, subdiv=region, years=years)
    except (NotImplementedError, KeyError, ValueError) as error:  # an unknown country or subdivision
        if region is None:
            log.warning("public holidays of %s unknown (%s); using none", country, error)
            return frozenset()
        # A region the package does not know (a name, another code scheme) still has its country's
        # national holidays: Bastille Day holds in Île-de-France whatever the region is called.
        log.warning(
            "public holidays of region %s/%s unknown (%s); using the country's", country, region, error
        )
        return _public_holidays(country, None, years)
    return frozenset(found)


def _warn(profile: PartnerProfile, field: str, value: object, error: Exception) -> None:
    log.warning(
        "partner %s: profile field %s=%r is not usable for SLA deadlines (%s); using the default",
        profile.partner_id,
        field,
        value,
        error,
    )
