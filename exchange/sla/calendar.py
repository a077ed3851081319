"""Business time: a partner's working windows and deadlines measured in them.

Pure: the standard library only (``zoneinfo`` for time zones). No Flask, no SQLAlchemy, no app config;
``tests/test_sla_calendar.py`` keeps it that way. Building a calendar from a partner profile happens
in :mod:`exchange.sla.partners`.

Conventions (docs/sla.md explains them with examples):

- All instants in and out are aware datetimes; results are in UTC.
- Each working day has one window, ``work_start`` to ``work_end`` in the calendar's local wall time;
  ``work_end == 00:00`` means midnight at the end of the day. A window is in working time from its
  opening up to, not including, its closing instant (:func:`is_working_time`).
- A wall time is converted to the *first instant at which the local clock reads that time or later*:
  a time inside a daylight-saving gap becomes the instant of the jump (the clocks skip from 02:00 to
  03:00, so a shop opening at 02:30 opens at 03:00); a time inside a fold (the clocks go back) is
  its first occurrence. Windows therefore keep their order and never overlap, and a window whose
  ends fall in one gap is empty.
- :func:`business_deadline` returns the earliest instant by which ``minutes`` of business time have
  passed: a deadline lies inside a window or exactly at its closing edge (Friday 16:00 plus one
  business hour is Friday 17:00, not Monday 09:00). A start outside working time begins at the next
  opening; with a zero duration the deadline is the start itself when it lies in a window or at its
  closing edge, else the next opening.
- Durations run over whole days window by window, and over whole weeks arithmetically when a week
  keeps one UTC offset (no daylight-saving change inside), so the work grows with the number of weeks
  and changes spanned, never with the minutes.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ISO_WEEKDAYS = frozenset(range(1, 8))
MINUTE = timedelta(minutes=1)
_ONE_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_WEEK_DAYS = 7
_MIDNIGHT = time(0)


@dataclass(frozen=True)
class BusinessCalendar:
    """When a partner works: an IANA time zone, ISO weekdays (1 = Monday), one daily window and
    holiday dates. ``around_the_clock`` makes every instant working time (the zone and hours are then
    ignored). Invalid values raise :class:`ValueError` naming the field."""

    timezone: str = "UTC"
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    holidays: frozenset[date] = frozenset()
    around_the_clock: bool = False
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _sorted_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False, hash=False)
    _window_length: timedelta = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"timezone: {self.timezone!r} is not an IANA time zone") from None
        days = frozenset(self.working_days)
        if not days <= ISO_WEEKDAYS or not all(type(day) is int for day in days):
            raise ValueError("working_days: ISO weekdays are the integers 1 (Monday) to 7 (Sunday)")
        if not days and not self.around_the_clock:
            raise ValueError("working_days: a calendar needs at least one working day")
        for name in ("work_start", "work_end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"{name}: a local time of day without a time zone")
        if self.work_end != _MIDNIGHT and self.work_end <= self.work_start:
            raise ValueError("work_end: working hours must end after they start (00:00 means midnight)")
        holidays = frozenset(self.holidays)
        if not all(type(day) is date for day in holidays):
            raise ValueError("holidays: dates only")
        object.__setattr__(self, "working_days", days)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_sorted_holidays", tuple(sorted(holidays)))
        end_day = date(2000, 1, 2) if self.work_end == _MIDNIGHT else date(2000, 1, 1)
        length = datetime.combine(end_day, self.work_end) - datetime.combine(
            date(2000, 1, 1), self.work_start
        )
        object.__setattr__(self, "_window_length", length)

    # -- windows ---------------------------------------------------------------------------------

    def local_date(self, moment: datetime) -> date:
        """The calendar date on the local wall clock at ``moment``."""
        return moment.astimezone(self._zone).date()

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of local date ``day`` as (opening, closing) in UTC; None when ``day``
        is not a working day, is a holiday, or its window vanished in a daylight-saving gap."""
        if day.isoweekday() not in self.working_days or day in self.holidays:
            return None
        opens = _first_instant_reading(datetime.combine(day, self.work_start), self._zone)
        end_day = day + _ONE_DAY if self.work_end == _MIDNIGHT else day
        closes = _first_instant_reading(datetime.combine(end_day, self.work_end), self._zone)
        return (opens, closes) if closes > opens else None

    def _regular_week(self, first_day: date) -> tuple[datetime, datetime, timedelta] | None:
        """The seven local days from ``first_day`` as (start, end, business time in them) when they
        keep one UTC offset, so every window in them is exactly ``work_end - work_start`` long; None
        when a daylight-saving change (or another offset change) falls inside.

        zoneinfo does not expose transitions, so the offset is compared just before the start, at
        the start, in the middle and at the end of the week: two changes that cancel would have to
        lie within 3.5 days of each other, and no zone in tzdata changes its offset twice within a
        week (the closest pairs, e.g. Brazil in 2000 and Gaza's Ramadan rules, are seven days apart)."""
        start = _first_instant_reading(datetime.combine(first_day, _MIDNIGHT), self._zone)
        end = _first_instant_reading(
            datetime.combine(first_day + timedelta(days=_WEEK_DAYS), _MIDNIGHT), self._zone
        )
        middle = start + (end - start) / 2
        # A change at the very start (midnight fell into a gap) would already have swallowed
        # windows, so look at the second before it too.
        samples = (start - _SECOND, start, middle, end)
        offsets = {moment.astimezone(self._zone).utcoffset() for moment in samples}
        if len(offsets) != 1:
            return None
        working = len(self.working_days) - self._working_holidays(first_day, _WEEK_DAYS)
        return start, end, self._window_length * working

    def _working_holidays(self, first_day: date, days: int) -> int:
        """How many holidays fall on working days in ``days`` days from ``first_day``."""
        low = bisect.bisect_left(self._sorted_holidays, first_day)
        high = bisect.bisect_left(self._sorted_holidays, first_day + timedelta(days=days))
        return sum(
            1 for holiday in self._sorted_holidays[low:high] if holiday.isoweekday() in self.working_days
        )

    @property
    def week_length(self) -> timedelta:
        """Business time in a week without holidays or daylight-saving changes."""
        return self._window_length * len(self.working_days)


AROUND_THE_CLOCK = BusinessCalendar(around_the_clock=True)
"""Every instant is working time: durations are plain elapsed time."""


def _first_instant_reading(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock in ``zone`` reads ``wall`` or later."""
    candidate = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first occurrence in a fold
    if candidate.astimezone(zone).replace(tzinfo=None) == wall:
        return candidate
    # ``wall`` falls in a gap. fold=0 used the offset from before the jump, so ``candidate`` lies at
    # or after the jump; fold=1 uses the offset from after it and lies before. The jump is the first
    # instant with the later offset: bisect for it to the second (tzdata transitions are whole seconds).
    earlier = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    later_offset = candidate.astimezone(zone).utcoffset()
    low, high = math.floor(earlier.timestamp()), math.ceil(candidate.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == later_offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _aware_utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name}: an aware datetime is required")
    return moment.astimezone(UTC)


def _duration(minutes: float) -> timedelta:
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise ValueError("minutes: a number of minutes is required")
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError("minutes: a duration is finite and not negative")
    return timedelta(minutes=minutes)


def business_deadline(start: datetime, minutes: float, calendar: BusinessCalendar) -> datetime:
    """The instant (UTC) by which ``minutes`` of business time in ``calendar`` have passed since
    ``start``: the earliest instant with that much working time between the two.

    A start outside working time begins at the next opening; the deadline lies inside a working
    window or at its closing edge. The work grows with the days and weeks spanned, not the minutes."""
    moment = _aware_utc(start, "start")
    remaining = _duration(minutes)
    if calendar.around_the_clock:
        return moment + remaining
    week_length = calendar.week_length
    day = calendar.local_date(moment) - _ONE_DAY  # yesterday's window may close at ``start`` itself
    no_week_before = day  # after an irregular week, walk its days before trying the next week
    while True:
        if remaining > week_length and day >= no_week_before:
            week = calendar._regular_week(day)
            if week is None:
                no_week_before = day + timedelta(days=_WEEK_DAYS)
            else:
                week_start, _, business = week
                if week_start >= moment and remaining > business:
                    remaining -= business
                    day += timedelta(days=_WEEK_DAYS)
                    continue
        window = calendar.window(day)
        if window is not None and window[1] >= moment:
            begin = max(window[0], moment)
            available = window[1] - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += _ONE_DAY


def business_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Minutes of business time between two instants; negative when ``end`` is before ``start``.
    The inverse of :func:`business_deadline`: ``business_minutes_between(s, business_deadline(s, m,
    c), c) == m``."""
    first = _aware_utc(start, "start")
    last = _aware_utc(end, "end")
    if last < first:
        return -business_minutes_between(last, first, calendar)
    if calendar.around_the_clock:
        return (last - first) / MINUTE
    total = timedelta(0)
    day = calendar.local_date(first) - _ONE_DAY
    final_day = calendar.local_date(last) + _ONE_DAY
    no_week_before = day
    while day <= final_day:
        if day >= no_week_before and day + timedelta(days=_WEEK_DAYS) <= final_day:
            week = calendar._regular_week(day)
            if week is None:
                no_week_before = day + timedelta(days=_WEEK_DAYS)
            else:
                week_start, week_end, business = week
                if week_end > last:
                    no_week_before = final_day + _ONE_DAY  # no later week ends in time either
                elif week_start >= first:
                    total += business
                    day += timedelta(days=_WEEK_DAYS)
                    continue
        window = calendar.window(day)
        if window is not None:
            overlap = min(window[1], last) - max(window[0], first)
            if overlap > timedelta(0):
                total += overlap
        day += _ONE_DAY
    return total / MINUTE


def is_working_time(moment: datetime, calendar: BusinessCalendar) -> bool:
    """Whether ``moment`` lies in a working window (from its opening up to, not including, its close)."""
    instant = _aware_utc(moment, "moment")
    if calendar.around_the_clock:
        return True
    today = calendar.local_date(instant)
    for day in (today - _ONE_DAY, today, today + _ONE_DAY):
        window = calendar.window(day)
        if window is not None and window[0] <= instant < window[1]:
            return True
    return False


def next_opening(moment: datetime, calendar: BusinessCalendar) -> datetime:
    """``moment`` itself when it is working time, else the next instant at which working time begins."""
    instant = _aware_utc(moment, "moment")
    if calendar.around_the_clock:
        return instant
    day = calendar.local_date(instant) - _ONE_DAY
    while True:
        window = calendar.window(day)
        if window is not None and window[1] > instant:
            return max(window[0], instant)
        day += _ONE_DAY


def parse_holidays(values: Iterable[str | date]) -> frozenset[date]:
    """Holiday dates from ISO strings (``2026-12-24``) or dates; a bad entry raises ValueError naming it."""
    holidays = set()
    for value in values:
        if type(value) is date:
            holidays.add(value)
            continue
        try:
            holidays.add(date.fromisoformat(str(value).strip()))
        except ValueError:
            raise ValueError(f"holidays: {value!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(holidays)
