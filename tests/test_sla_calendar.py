"""Business time (exchange/sla/calendar.py): explicit cases across weekends, holidays and both
daylight-saving changes, and properties checked with hypothesis.

Hypothesis runs the ``sla`` profile (200 examples per property); set ``SLA_HYPOTHESIS_PROFILE=sla-thorough``
for a long local run (5,000 examples).
"""

from __future__ import annotations

import ast
import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.sla.calendar import (
    AROUND_THE_CLOCK,
    BusinessCalendar,
    business_deadline,
    business_minutes_between,
    is_working_time,
    next_opening,
    parse_holidays,
)

settings.register_profile(
    "sla", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "sla-thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings.get_profile(os.environ.get("SLA_HYPOTHESIS_PROFILE", "sla"))

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = BusinessCalendar("Europe/Berlin")  # Monday to Friday, 09:00-17:00
EVERY_DAY = frozenset(range(1, 8))
MICRO = timedelta(microseconds=1)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- explicit cases -------------------------------------------------------------------------------


def test_within_one_working_day():
    assert business_deadline(berlin(2026, 6, 3, 10, 0), 60, OFFICE) == berlin(2026, 6, 3, 11, 0)
    assert business_deadline(berlin(2026, 6, 3, 10, 0), 60, OFFICE).tzinfo is UTC


def test_the_rest_carries_to_the_next_morning():
    assert business_deadline(berlin(2026, 6, 3, 16, 30), 60, OFFICE) == berlin(2026, 6, 4, 9, 30)


def test_a_weekend_is_skipped():
    assert business_deadline(berlin(2026, 6, 5, 16, 0), 120, OFFICE) == berlin(2026, 6, 8, 10, 0)
    assert business_minutes_between(berlin(2026, 6, 5, 16, 0), berlin(2026, 6, 8, 10, 0), OFFICE) == 120


def test_a_holiday_is_skipped():
    labour_day = date(2026, 5, 1)  # a Friday
    calendar = BusinessCalendar("Europe/Berlin", holidays=frozenset({labour_day}))
    assert business_deadline(berlin(2026, 4, 30, 16, 0), 120, calendar) == berlin(2026, 5, 4, 10, 0)
    assert business_deadline(berlin(2026, 4, 30, 16, 0), 120, OFFICE) == berlin(2026, 5, 1, 10, 0)
    assert not is_working_time(berlin(2026, 5, 1, 12, 0), calendar)


def test_a_deadline_that_uses_up_a_window_is_its_closing_edge():
    """Friday 16:00 plus one business hour is Friday 17:00, not Monday 09:00."""
    assert business_deadline(berlin(2026, 6, 5, 16, 0), 60, OFFICE) == berlin(2026, 6, 5, 17, 0)
    assert not is_working_time(berlin(2026, 6, 5, 17, 0), OFFICE)


def test_a_start_outside_working_time_begins_at_the_next_opening():
    assert business_deadline(berlin(2026, 6, 6, 12, 0), 30, OFFICE) == berlin(2026, 6, 8, 9, 30)  # Saturday
    assert business_deadline(berlin(2026, 6, 8, 7, 0), 30, OFFICE) == berlin(2026, 6, 8, 9, 30)
    assert business_deadline(berlin(2026, 6, 8, 17, 0), 30, OFFICE) == berlin(2026, 6, 9, 9, 30)


def test_zero_duration():
    inside = berlin(2026, 6, 8, 11, 15)
    assert business_deadline(inside, 0, OFFICE) == inside
    assert business_deadline(berlin(2026, 6, 8, 6, 0), 0, OFFICE) == berlin(2026, 6, 8, 9, 0)
    assert business_deadline(berlin(2026, 6, 6, 6, 0), 0, OFFICE) == berlin(2026, 6, 8, 9, 0)
    # At a closing edge the clock has not left the window: zero more minutes is the edge itself.
    assert business_deadline(berlin(2026, 6, 8, 17, 0), 0, OFFICE) == berlin(2026, 6, 8, 17, 0)
    assert business_deadline(berlin(2026, 6, 8, 17, 0, 1), 0, OFFICE) == berlin(2026, 6, 9, 9, 0)


def test_fractions_of_a_minute():
    assert business_deadline(berlin(2026, 6, 8, 9, 0), 0.75 * 7, OFFICE) == berlin(2026, 6, 8, 9, 5, 15)
    assert business_minutes_between(berlin(2026, 6, 8, 9, 0), berlin(2026, 6, 8, 9, 5, 15), OFFICE) == 5.25


@pytest.mark.parametrize(
    ("start", "deadline", "label"),
    [
        # Friday afternoon to Monday across the change: Monday opens an hour earlier in UTC.
        (berlin(2026, 3, 27, 16, 30), utc(2026, 3, 30, 7, 30), "Berlin, clocks go forward on 29 March"),
        (berlin(2026, 10, 23, 16, 30), utc(2026, 10, 26, 8, 30), "Berlin, clocks go back on 25 October"),
        (new_york(2026, 3, 6, 16, 30), utc(2026, 3, 9, 13, 30), "New York, clocks go forward on 8 March"),
        (new_york(2026, 10, 30, 16, 30), utc(2026, 11, 2, 14, 30), "New York, clocks go back on 1 November"),
    ],
)
def test_over_a_weekend_with_a_daylight_saving_change(start, deadline, label):
    calendar = BusinessCalendar(start.tzinfo.key)
    assert business_deadline(start, 60, calendar) == deadline, label
    local = deadline.astimezone(start.tzinfo)
    assert (local.hour, local.minute) == (9, 30), label
    assert business_minutes_between(start, deadline, calendar) == 60


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),
        ("Europe/Berlin", date(2026, 10, 25), 25),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
    ],
)
def test_a_working_day_with_a_daylight_saving_change_has_its_real_length(zone, day, hours):
    """A window measures real time: a whole-day window on the day of the change lasts 23 or 25 hours."""
    calendar = BusinessCalendar(zone, EVERY_DAY, time(0), time(0))
    opens, closes = calendar.window(day)
    assert closes - opens == timedelta(hours=hours)
    local_midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    # Three wall-clock days from that midnight (Python adds aware datetimes on the wall clock).
    three_days_later = local_midnight + timedelta(days=3)
    assert business_minutes_between(local_midnight, three_days_later, calendar) == (48 + hours) * 60
    # A day of business time from that midnight ends an hour off the wall-clock midnight.
    end = business_deadline(local_midnight, 24 * 60, calendar).astimezone(ZoneInfo(zone))
    assert end.hour == (1 if hours == 23 else 23)


def test_night_windows_across_the_change_count_real_minutes():
    night = BusinessCalendar("Europe/Berlin", EVERY_DAY, time(1, 0), time(5, 0))
    spring, autumn = night.window(date(2026, 3, 29)), night.window(date(2026, 10, 25))
    assert spring[1] - spring[0] == timedelta(hours=3)
    assert autumn[1] - autumn[0] == timedelta(hours=5)
    start = berlin(2026, 10, 25, 1, 0)
    assert business_deadline(start, 5 * 60, night) == berlin(2026, 10, 25, 5, 0)
    assert business_deadline(start, 5 * 60 + 1, night) == berlin(2026, 10, 26, 1, 1)


def test_an_opening_inside_the_gap_opens_when_the_clocks_jump():
    """At 02:00 the clocks jump to 03:00: an opening at 02:30 that day is at 03:00 CEST (01:00 UTC)."""
    calendar = BusinessCalendar("Europe/Berlin", EVERY_DAY, time(2, 30), time(4, 0))
    assert calendar.window(date(2026, 3, 29)) == (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0))
    assert calendar.window(date(2026, 3, 30)) == (utc(2026, 3, 30, 0, 30), utc(2026, 3, 30, 2, 0))
    inside_gap = BusinessCalendar("America/New_York", EVERY_DAY, time(2, 10), time(2, 50))
    assert inside_gap.window(date(2026, 3, 8)) is None  # the whole window was skipped by the clocks


def test_a_closing_time_inside_the_fold_is_its_first_occurrence():
    """02:00-03:00 happens twice on 25 October in Berlin; a window ends the first time it reads 02:30."""
    calendar = BusinessCalendar("Europe/Berlin", EVERY_DAY, time(1, 0), time(2, 30))
    assert calendar.window(date(2026, 10, 25)) == (utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 30))


def test_a_day_that_does_not_exist():
    """Samoa skipped 30 December 2011 when it crossed the date line."""
    calendar = BusinessCalendar("Pacific/Apia", EVERY_DAY)
    assert calendar.window(date(2011, 12, 30)) is None
    start = datetime(2011, 12, 29, 16, 0, tzinfo=ZoneInfo("Pacific/Apia"))
    deadline = business_deadline(start, 120, calendar).astimezone(ZoneInfo("Pacific/Apia"))
    assert (deadline.date(), deadline.hour) == (date(2011, 12, 31), 10)


def test_midnight_end_and_adjacent_windows():
    nights = BusinessCalendar("UTC", EVERY_DAY, time(22, 0), time(0))
    assert business_deadline(utc(2026, 6, 1, 23, 0), 90, nights) == utc(2026, 6, 2, 22, 30)
    whole_days = BusinessCalendar("UTC", frozenset({1, 2}), time(0), time(0))
    assert business_deadline(utc(2026, 6, 1, 12, 0), 24 * 60, whole_days) == utc(2026, 6, 2, 12, 0)
    assert business_deadline(utc(2026, 6, 2, 0, 0), 0, whole_days) == utc(2026, 6, 2, 0, 0)


def test_around_the_clock():
    start = berlin(2026, 3, 28, 23, 0)
    # Real time: 72 hours over the spring change end at midnight on the local clock, not 23:00.
    assert business_deadline(start, 3 * 24 * 60, AROUND_THE_CLOCK) == berlin(2026, 4, 1, 0, 0)
    assert business_minutes_between(start, utc(2026, 3, 29, 3, 0), AROUND_THE_CLOCK) == 300
    assert is_working_time(berlin(2026, 3, 29, 2, 30), AROUND_THE_CLOCK)
    flagged = BusinessCalendar("Europe/Berlin", around_the_clock=True)
    assert business_deadline(start, 60, flagged) == start + timedelta(hours=1)


def test_is_working_time_and_next_opening():
    assert is_working_time(berlin(2026, 6, 8, 9, 0), OFFICE)
    assert is_working_time(berlin(2026, 6, 8, 16, 59, 59), OFFICE)
    assert not is_working_time(berlin(2026, 6, 8, 17, 0), OFFICE)
    assert not is_working_time(berlin(2026, 6, 7, 12, 0), OFFICE)
    assert next_opening(berlin(2026, 6, 8, 12, 0), OFFICE) == berlin(2026, 6, 8, 12, 0)
    assert next_opening(berlin(2026, 6, 8, 17, 0), OFFICE) == berlin(2026, 6, 9, 9, 0)
    assert next_opening(berlin(2026, 6, 5, 18, 0), OFFICE) == berlin(2026, 6, 8, 9, 0)


def test_elapsed_is_signed():
    a, b = berlin(2026, 6, 8, 9, 0), berlin(2026, 6, 9, 10, 0)
    assert business_minutes_between(a, b, OFFICE) == 540
    assert business_minutes_between(b, a, OFFICE) == -540
    assert business_minutes_between(a, a, OFFICE) == 0


def test_long_durations_skip_whole_weeks_and_agree_with_day_by_day():
    calendar = BusinessCalendar(
        "America/New_York", holidays=parse_holidays(["2027-07-05", "2027-12-24", "2028-01-01"])
    )
    start = new_york(2026, 2, 11, 13, 17)
    minutes = 700 * 8 * 60  # 700 business days, across six daylight-saving changes
    original = BusinessCalendar._regular_week
    with mock.patch.object(BusinessCalendar, "_regular_week", autospec=True) as regular_week:
        regular_week.side_effect = original
        fast = business_deadline(start, minutes, calendar)
        weeks_looked_at = regular_week.call_count
    with mock.patch.object(BusinessCalendar, "_regular_week", return_value=None):
        slow = business_deadline(start, minutes, calendar)
    assert fast == slow
    # 140 weeks from Wednesday 13:17 is Wednesday 2028-10-18 13:17; two holidays fall on weekdays
    # (1 January 2028 is a Saturday), so two more business days: Friday 13:17 local time.
    assert fast == new_york(2028, 10, 20, 13, 17)
    assert weeks_looked_at < 150  # about 140 weeks spanned: one check per week, not per day
    assert business_minutes_between(start, fast, calendar) == minutes


def test_a_week_that_starts_with_a_change_at_midnight_is_walked_day_by_day():
    """Havana moved its clocks from 00:00 to 01:00 on Sunday 14 March 2010: a window at 00:00-00:01
    vanished that day, so the week from that Sunday holds six business minutes, not seven."""
    calendar = BusinessCalendar("America/Havana", EVERY_DAY, time(0, 0), time(0, 1))
    havana = ZoneInfo("America/Havana")
    assert calendar.window(date(2010, 3, 14)) is None
    start = datetime(2010, 3, 13, 12, 0, tzinfo=havana)
    assert business_deadline(start, 8, calendar) == datetime(2010, 3, 22, 0, 1, tzinfo=havana)
    with mock.patch.object(BusinessCalendar, "_regular_week", return_value=None):
        assert business_deadline(start, 8, calendar) == datetime(2010, 3, 22, 0, 1, tzinfo=havana)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"working_days": frozenset()}, "working_days"),
        ({"working_days": frozenset({0, 1})}, "working_days"),
        ({"working_days": frozenset({8})}, "working_days"),
        ({"work_start": time(17), "work_end": time(9)}, "work_end"),
        ({"work_start": time(9), "work_end": time(9)}, "work_end"),
        ({"work_start": time(9, tzinfo=UTC)}, "work_start"),
        ({"holidays": frozenset({"2026-12-24"})}, "holidays"),
    ],
)
def test_invalid_calendars_name_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="aware"):
        business_deadline(datetime(2026, 6, 8, 9, 0), 60, OFFICE)
    with pytest.raises(ValueError, match="not negative"):
        business_deadline(berlin(2026, 6, 8, 9, 0), -1, OFFICE)
    with pytest.raises(ValueError, match="minutes"):
        business_deadline(berlin(2026, 6, 8, 9, 0), float("nan"), OFFICE)
    with pytest.raises(ValueError, match="end"):
        business_minutes_between(berlin(2026, 6, 8, 9, 0), datetime(2026, 6, 8), OFFICE)


def test_parse_holidays():
    assert parse_holidays(["2026-12-24", " 2026-12-25 ", date(2026, 12, 26)]) == {
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
    }
    with pytest.raises(ValueError, match="'24.12.2026'"):
        parse_holidays(["24.12.2026"])


def test_calendars_are_values():
    assert BusinessCalendar("Europe/Berlin", frozenset({5, 1, 2, 3, 4})) == OFFICE
    assert hash(BusinessCalendar("Europe/Berlin")) == hash(OFFICE)
    assert BusinessCalendar("Europe/Berlin", working_days=[1, 2]).working_days == frozenset({1, 2})


def test_the_calendar_module_is_pure():
    source = Path(__file__).resolve().parent.parent / "exchange" / "sla" / "calendar.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


# --- properties -----------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # half-hour daylight saving
    "America/Havana",  # changes at midnight
    "America/Santiago",  # changes at midnight, southern hemisphere
    "America/St_Johns",  # -03:30
    "Asia/Kolkata",
    "Asia/Tehran",
    "Asia/Gaza",  # Ramadan rules: changes a week apart
    "Africa/Casablanca",
    "Europe/Dublin",  # negative daylight saving in tzdata
    "Pacific/Apia",  # skipped a whole day in 2011
]


def _time_of(minute_of_day: int) -> time:
    return time(minute_of_day // 60, minute_of_day % 60) if minute_of_day < 24 * 60 else time(0)


@st.composite
def scenarios(draw, zones=ZONES, earliest_opening=0, latest_closing=24 * 60, min_window=1):
    """A calendar and a start near it: holidays are drawn around the start so they matter."""
    zone = draw(st.sampled_from(zones))
    days = draw(st.frozensets(st.integers(1, 7), min_size=1))
    opening = draw(st.integers(earliest_opening, latest_closing - min_window))
    closing = draw(st.integers(opening + min_window, latest_closing))
    start = draw(
        st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))
    )
    offsets = draw(st.lists(st.integers(-3, 120), max_size=12))
    holidays = frozenset(start.date() + timedelta(days=offset) for offset in offsets)
    calendar = BusinessCalendar(zone, days, _time_of(opening), _time_of(closing), holidays)
    return calendar, start


# Short durations, and long ones that the tests scale to at most 150 weeks of the calendar's business
# time (a calendar open one minute a week would otherwise run past the year 9999).
durations = st.one_of(st.integers(0, 3 * 8 * 60), st.integers(0, 10**7))
MAX_WEEKS = 150


def _scaled(minutes: int, calendar: BusinessCalendar) -> int:
    limit = MAX_WEEKS * int(calendar.week_length / timedelta(minutes=1))
    return minutes if minutes <= 3 * 8 * 60 else minutes % (limit + 1)


@st.composite
def spans(draw):
    """A scenario and a duration scaled to its calendar: (calendar, start, minutes)."""
    calendar, start = draw(scenarios())
    return calendar, start, _scaled(draw(durations), calendar)


def _inside_or_closing_edge(moment: datetime, calendar: BusinessCalendar) -> bool:
    return is_working_time(moment, calendar) or is_working_time(moment - MICRO, calendar)


@PROFILE
@given(scenarios(), st.integers(0, 20_000), durations)
def test_a_later_start_never_gives_an_earlier_deadline(scenario, later_by_minutes, minutes):
    calendar, start = scenario
    minutes = _scaled(minutes, calendar)
    later = start + timedelta(minutes=later_by_minutes)
    assert business_deadline(later, minutes, calendar) >= business_deadline(start, minutes, calendar)


@PROFILE
@given(scenarios(), durations, durations)
def test_adding_a_then_b_equals_adding_a_plus_b(scenario, a, b):
    calendar, start = scenario
    a, b = _scaled(a, calendar), _scaled(b, calendar)
    assert business_deadline(business_deadline(start, a, calendar), b, calendar) == business_deadline(
        start, a + b, calendar
    )


@PROFILE
@given(spans())
def test_a_deadline_falls_inside_working_time_or_at_its_closing_edge(span):
    calendar, start, minutes = span
    deadline = business_deadline(start, minutes, calendar)
    assert deadline >= start
    assert _inside_or_closing_edge(deadline, calendar)


@PROFILE
@given(spans())
def test_elapsed_is_the_inverse_of_the_deadline(span):
    calendar, start, minutes = span
    assert business_minutes_between(start, business_deadline(start, minutes, calendar), calendar) == minutes


@PROFILE
@given(scenarios(), st.integers(0, 60 * 24 * 60), st.integers(0, 60 * 24 * 60))
def test_elapsed_adds_up_over_consecutive_spans(scenario, first, second):
    calendar, start = scenario
    middle = start + timedelta(minutes=first)
    end = middle + timedelta(minutes=second)
    whole = business_minutes_between(start, end, calendar)
    parts = business_minutes_between(start, middle, calendar) + business_minutes_between(
        middle, end, calendar
    )
    assert whole == pytest.approx(parts, abs=1e-6)
    assert 0 <= whole <= (end - start) / timedelta(minutes=1)


@PROFILE
@given(spans())
def test_skipping_whole_weeks_changes_nothing(span):
    calendar, start, minutes = span
    fast = business_deadline(start, minutes, calendar)
    end = start + timedelta(minutes=minutes * 3)
    fast_elapsed = business_minutes_between(start, end, calendar)
    with mock.patch.object(BusinessCalendar, "_regular_week", return_value=None):
        assert business_deadline(start, minutes, calendar) == fast
        assert business_minutes_between(start, end, calendar) == fast_elapsed


@PROFILE
@given(scenarios())
def test_next_opening_is_working_time_and_nothing_before_it_is(scenario):
    calendar, start = scenario
    opening = next_opening(start, calendar)
    assert opening >= start
    assert is_working_time(opening, calendar)
    assert business_minutes_between(start, opening, calendar) == 0


# An independent reference: walk quarter hours and ask the local wall clock whether it is working
# time. It is only equal to the window semantics where no window edge meets a daylight-saving
# change, so it runs on zones that change at night and windows between 04:00 and 23:00.
TAME_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Europe/London", "Asia/Kolkata"]
QUARTER = timedelta(minutes=15)


def _working_by_wall_clock(moment: datetime, calendar: BusinessCalendar) -> bool:
    local = moment.astimezone(ZoneInfo(calendar.timezone))
    return (
        local.isoweekday() in calendar.working_days
        and local.date() not in calendar.holidays
        and calendar.work_start <= local.time() < calendar.work_end
    )


@PROFILE
@given(
    scenarios(TAME_ZONES, earliest_opening=4 * 60, latest_closing=23 * 60, min_window=120).filter(
        lambda s: len(s[0].working_days) >= 2
    ),
    st.integers(1, 160),
)
def test_agrees_with_walking_the_wall_clock(scenario, quarters):
    calendar, start = scenario
    if calendar.work_start.minute % 15 or calendar.work_end.minute % 15:
        calendar = BusinessCalendar(
            calendar.timezone,
            calendar.working_days,
            calendar.work_start.replace(minute=0),
            calendar.work_end.replace(minute=0),
            calendar.holidays,
        )
    start = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    moment, counted = start, 0
    while counted < quarters:
        if _working_by_wall_clock(moment, calendar):
            counted += 1
        moment += QUARTER
    assert business_deadline(start, quarters * 15, calendar) == moment
    assert business_minutes_between(start, moment, calendar) == quarters * 15
