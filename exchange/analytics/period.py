"""What a channel manager's view covers: a period of calendar days in the programme's time zone, the
same period before it for comparison, and the filters. Parsed from query arguments (pages, CSV and
API take the same ones), plain values out.

Query arguments: ``period`` = ``7d`` | ``30d`` (default) | ``90d`` | ``quarter`` (this calendar quarter
so far) | ``year`` (this calendar year so far) | ``custom`` with ``from`` and ``to`` (ISO dates, both
included); filters ``partner`` (id), ``tier``, ``country`` (ISO 3166 alpha-2), ``region``,
``product_line`` (id), ``campaign`` (id), ``temperature``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from exchange.models import Organisation, Temperature, Tier
from exchange.platform import clock

PERIODS = {
    "7d": _l("Last 7 days"),
    "30d": _l("Last 30 days"),
    "90d": _l("Last 90 days"),
    "quarter": _l("This quarter"),
    "year": _l("This year"),
    "custom": _l("Custom"),
}
DEFAULT_PERIOD = "30d"
MAX_DAYS = 5 * 366 + 1  # a custom period spans at most five years


@dataclass(frozen=True)
class Period:
    """Calendar days ``start``..``end`` (both included) in the programme's zone ``tz``."""

    key: str
    start: date
    end: date
    tz: str = "UTC"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants: [local midnight of ``start``, local midnight after ``end``),
        so a day of 23 or 25 hours (a DST change) is still one day."""
        zone = _zone(self.tz)
        low = datetime.combine(self.start, time(0), zone).astimezone(UTC)
        high = datetime.combine(self.end + timedelta(days=1), time(0), zone).astimezone(UTC)
        return low, high

    def previous(self) -> Period:
        """The period to compare with: the same span just before (for this quarter or year so far, the
        same days of the quarter or year before)."""
        # (the same days of the quarter or year before, but never past its last day: Q1 is shorter
        # than Q2, a common year than a leap year)
        last = self.start - timedelta(days=1)
        if self.key == "quarter":
            start = _add_months(self.start, -3)
            return replace(self, start=start, end=min(start + (self.end - self.start), last))
        if self.key == "year":
            start = self.start.replace(year=self.start.year - 1)
            return replace(self, start=start, end=min(start + (self.end - self.start), last))
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.key,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "timezone": self.tz,
        }


@dataclass(frozen=True)
class Filters:
    """Which leads count. ``partner`` and ``tier`` select the leads offered to that partner, or to a
    partner of that tier; the others are the lead's own fields."""

    partner: int | None = None
    tier: Tier | None = None
    country: str | None = None
    region: str | None = None
    product_line: int | None = None
    campaign: int | None = None
    temperature: Temperature | None = None

    def as_dict(self) -> dict[str, Any]:
        """The filters that are set, as query arguments."""
        values = {
            "partner": self.partner,
            "tier": self.tier.value if self.tier else None,
            "country": self.country,
            "region": self.region,
            "product_line": self.product_line,
            "campaign": self.campaign,
            "temperature": self.temperature.value if self.temperature else None,
        }
        return {key: value for key, value in values.items() if value is not None}

    @property
    def active(self) -> bool:
        return bool(self.as_dict())


@dataclass(frozen=True)
class Scope:
    """A parsed request: the period, the filters, and what could not be read (field -> message)."""

    period: Period
    filters: Filters
    errors: dict[str, str] = field(default_factory=dict)

    def query_args(self) -> dict[str, Any]:
        """Query arguments that select this scope again (links, the CSV button, paging)."""
        args: dict[str, Any] = {"period": self.period.key, **self.filters.as_dict()}
        if self.period.key == "custom":
            args.update({"from": self.period.start.isoformat(), "to": self.period.end.isoformat()})
        return args


def programme_zone(manufacturer: Organisation) -> str:
    return manufacturer.timezone or "UTC"


def parse(args: Mapping[str, Any], manufacturer: Organisation, today: date | None = None) -> Scope:
    """The scope the query arguments ask for; what cannot be read falls back to the default and is
    reported in ``errors`` (pages show it beside the form, the API answers 422)."""
    tz = programme_zone(manufacturer)
    today = today or clock.now().astimezone(_zone(tz)).date()
    errors: dict[str, str] = {}
    key = str(args.get("period") or DEFAULT_PERIOD)
    if key not in PERIODS:
        errors["period"] = str(_l("Choose one of: %(choices)s.", choices=", ".join(PERIODS)))
        key = DEFAULT_PERIOD
    period = _period(key, today, tz, args, errors)
    filters = Filters(
        partner=_int(args, "partner", errors),
        tier=_enum(Tier, args, "tier", errors),
        country=_country(args, errors),
        region=(str(args.get("region") or "").strip()[:64] or None),
        product_line=_int(args, "product_line", errors),
        campaign=_int(args, "campaign", errors),
        temperature=_enum(Temperature, args, "temperature", errors),
    )
    return Scope(period, filters, errors)


def _period(key: str, today: date, tz: str, args: Mapping[str, Any], errors: dict[str, str]) -> Period:
    if key == "custom":
        start, end = _date(args, "from", errors), _date(args, "to", errors)
        if start is not None and end is not None:
            if end < start:
                errors["to"] = str(_l("The end is before the start."))
            elif (end - start).days + 1 > MAX_DAYS:
                errors["to"] = str(_l("A period spans at most five years."))
            else:
                return Period("custom", start, end, tz)
        elif "from" not in errors and "to" not in errors:
            errors["from"] = str(_l("A custom period needs a start and an end."))
        key = DEFAULT_PERIOD
    if key == "quarter":
        start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
        return Period(key, start, today, tz)
    if key == "year":
        return Period(key, today.replace(month=1, day=1), today, tz)
    days = int(key.removesuffix("d"))
    return Period(key, today - timedelta(days=days - 1), today, tz)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _date(args: Mapping[str, Any], name: str, errors: dict[str, str]) -> date | None:
    raw = str(args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = str(_l("Not a date (YYYY-MM-DD): %(value)s", value=raw[:20]))
        return None


def _int(args: Mapping[str, Any], name: str, errors: dict[str, str]) -> int | None:
    raw = str(args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        errors[name] = str(_l("Not an id: %(value)s", value=raw[:20]))
        return None
    return int(raw)


def _enum(kind: type, args: Mapping[str, Any], name: str, errors: dict[str, str]) -> Any:
    raw = str(args.get(name) or "").strip().lower()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        errors[name] = str(_l("Choose one of: %(choices)s.", choices=", ".join(m.value for m in kind)))
        return None


def _country(args: Mapping[str, Any], errors: dict[str, str]) -> str | None:
    raw = str(args.get("country") or "").strip().upper()
    if not raw:
        return None
    if len(raw) != 2 or not raw.isalpha():
        errors["country"] = str(_l("A two-letter country code, e.g. DE."))
        return None
    return raw
