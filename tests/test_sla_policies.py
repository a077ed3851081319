"""Deadline policies (exchange/sla/policies.py) and partner calendars (exchange/sla/partners.py)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from exchange.models import Event, SlaPolicy, Temperature
from exchange.models.enums import BreachAction
from exchange.platform.extensions import db
from exchange.sla.calendar import AROUND_THE_CLOCK, BusinessCalendar, is_working_time
from exchange.sla.partners import DEFAULT_CALENDAR, partner_calendar
from exchange.sla.policies import (
    LIMITS,
    PolicyInvalid,
    claim_deadline,
    default_values,
    describe_minutes,
    elapsed_share,
    first_contact_deadline,
    next_update_deadline,
    policies_for,
    policy_for,
    reminder_at,
    reset_policies,
    terms_for,
    update_policies,
)
from exchange.sla.vocabulary import SlaClock
from tests import factories as f

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessCalendar("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def _events(maker, type_):
    return db.session.scalars(
        sa.select(Event).where(Event.manufacturer_id == maker.id, Event.type == type_).order_by(Event.id)
    ).all()


# --- reading policies and terms ---------------------------------------------------------------------


def test_each_manufacturer_starts_with_the_documented_defaults(app):
    maker = f.manufacturer()
    policies = policies_for(maker)
    assert [p.temperature for p in policies] == [Temperature.HOT, Temperature.WARM, Temperature.COLD]
    assert all(p.id is not None for p in policies)  # stored rows, created with the manufacturer
    hot, warm, cold = (p.terms() for p in policies)
    assert hot == {
        "temperature": "hot",
        "claim_window_minutes": 60,  # 1 business hour
        "first_contact_minutes": 60,  # 1 business hour
        "update_cadence_minutes": 3 * 24 * 60,  # every 3 days
        "waves": 3,
        "business_time": True,
        "reminder_percent": 75,
        "breach_action": "recycle",
        "notify_channel_manager": True,
    }
    assert (warm["claim_window_minutes"], warm["first_contact_minutes"], warm["update_cadence_minutes"]) == (
        4 * 60,
        8 * 60,
        7 * 24 * 60,
    )
    assert (cold["claim_window_minutes"], cold["first_contact_minutes"], cold["update_cadence_minutes"]) == (
        2 * 8 * 60,
        3 * 8 * 60,
        14 * 24 * 60,
    )
    for policy in policies:  # the defaults this module knows equal what the manufacturer got
        assert {k: v for k, v in policy.terms().items() if k != "temperature"} == {
            k: (v.value if isinstance(v, BreachAction) else v)
            for k, v in default_values(policy.temperature).items()
        }


def test_terms_for_is_what_a_lead_keeps(app):
    maker = f.manufacturer()
    other = f.manufacturer()
    update_policies(maker, {"warm": {"claim_window_minutes": 90}}, actor=None)
    assert terms_for(maker, Temperature.WARM)["claim_window_minutes"] == 90
    assert terms_for(maker.id, "warm")["claim_window_minutes"] == 90
    assert terms_for(other, "warm")["claim_window_minutes"] == 240  # each manufacturer its own
    with pytest.raises(ValueError):
        terms_for(maker, "lukewarm")


def test_a_missing_policy_reads_as_the_default_without_writing(app):
    maker = f.manufacturer()
    db.session.execute(sa.delete(SlaPolicy).where(SlaPolicy.manufacturer_id == maker.id))
    db.session.commit()
    policy = policy_for(maker, "hot")
    assert policy.id is None and policy.claim_window_minutes == 60
    assert [p.temperature for p in policies_for(maker)] == [
        Temperature.HOT,
        Temperature.WARM,
        Temperature.COLD,
    ]
    count = sa.select(sa.func.count()).select_from(SlaPolicy).where(SlaPolicy.manufacturer_id == maker.id)
    assert db.session.scalar(count) == 0
    update_policies(maker, {"hot": {"waves": 2}}, actor=None)  # editing creates the missing row
    db.session.commit()
    assert policy_for(maker, "hot").id is not None and policy_for(maker, "hot").waves == 2


# --- deadlines ----------------------------------------------------------------------------------------


HOT = {**default_values("hot"), "breach_action": "recycle", "temperature": "hot"}
COLD = {**default_values("cold"), "breach_action": "recycle", "temperature": "cold"}


def test_claim_and_first_contact_run_in_the_partners_business_time():
    friday_afternoon = berlin(2026, 6, 5, 16, 30)
    assert claim_deadline(HOT, OFFICE, friday_afternoon) == berlin(2026, 6, 8, 9, 30)
    assert first_contact_deadline(HOT, OFFICE, friday_afternoon) == berlin(2026, 6, 8, 9, 30)
    # Cold: 2 business days to claim, 3 to contact (a business day is 8 business hours).
    assert claim_deadline(COLD, OFFICE, friday_afternoon) == berlin(2026, 6, 9, 16, 30)
    assert first_contact_deadline(COLD, OFFICE, friday_afternoon) == berlin(2026, 6, 10, 16, 30)


def test_around_the_clock_terms_ignore_the_partners_hours():
    terms = {**HOT, "business_time": False}
    friday_afternoon = berlin(2026, 6, 5, 16, 30)
    assert claim_deadline(terms, OFFICE, friday_afternoon) == berlin(2026, 6, 5, 17, 30)
    assert first_contact_deadline(terms, OFFICE, friday_afternoon) == berlin(2026, 6, 5, 17, 30)


def test_the_update_cadence_runs_around_the_clock_in_days():
    saturday_night = berlin(2026, 3, 28, 23, 0)  # and across the spring change: 72 real hours
    assert next_update_deadline(HOT, OFFICE, saturday_night) == saturday_night.astimezone(UTC) + timedelta(
        days=3
    )
    assert next_update_deadline(HOT, AROUND_THE_CLOCK, saturday_night) == next_update_deadline(
        HOT, OFFICE, saturday_night
    )


def test_the_reminder_falls_at_its_percentage_of_the_window_in_business_time():
    thursday = berlin(2026, 6, 4, 16, 30)
    # Hot claim window: 60 business minutes; 75 % is 45: 30 today, 15 tomorrow morning.
    assert reminder_at(HOT, SlaClock.CLAIM, OFFICE, thursday) == berlin(2026, 6, 5, 9, 15)
    assert is_working_time(reminder_at(HOT, SlaClock.CLAIM, OFFICE, thursday), OFFICE)
    half = {**HOT, "reminder_percent": 50}
    # 50 %: 30 business minutes use up today's window exactly: the closing edge, not tomorrow 09:00.
    assert reminder_at(half, SlaClock.FIRST_CONTACT, OFFICE, thursday) == berlin(2026, 6, 4, 17, 0)
    assert reminder_at(HOT, SlaClock.UPDATE, OFFICE, thursday) == thursday.astimezone(UTC) + timedelta(
        hours=54
    )  # 75 % of 3 days, around the clock


def test_elapsed_share_for_countdowns():
    start = berlin(2026, 6, 5, 16, 30)
    assert elapsed_share(HOT, SlaClock.CLAIM, OFFICE, start, start) == 0
    assert elapsed_share(HOT, SlaClock.CLAIM, OFFICE, start, berlin(2026, 6, 6, 12, 0)) == 0.5  # weekend
    assert elapsed_share(HOT, SlaClock.CLAIM, OFFICE, start, berlin(2026, 6, 8, 9, 30)) == 1
    assert elapsed_share(HOT, SlaClock.CLAIM, OFFICE, start, berlin(2026, 6, 8, 10, 0)) == 1.5
    assert elapsed_share(HOT, SlaClock.CLAIM, OFFICE, start, berlin(2026, 6, 1, 10, 0)) == 0


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({}, "lack 'claim_window_minutes'"),
        ({"claim_window_minutes": 0}, "positive"),
        ({"claim_window_minutes": "60"}, "positive"),
        ({"claim_window_minutes": True}, "positive"),
        ({"claim_window_minutes": 60, "reminder_percent": 100}, "reminder_percent"),
    ],
)
def test_broken_terms_are_refused_clearly(terms, message):
    with pytest.raises(ValueError, match=message):
        reminder_at(terms, SlaClock.CLAIM, OFFICE, berlin(2026, 6, 5, 16, 30))


# --- partner calendars ----------------------------------------------------------------------------


def test_partner_calendar_from_the_profile(app):
    partner = f.partner(
        None,
        timezone="America/New_York",
        working_days=[1, 2, 3, 4, 6],
        work_start=time(8, 30),
        work_end=time(18, 0),
        holidays=["2026-07-03", "2026-12-25"],
    )
    db.session.commit()
    db.session.expire_all()
    calendar = partner_calendar(partner.profile)
    assert calendar == BusinessCalendar(
        "America/New_York",
        frozenset({1, 2, 3, 4, 6}),
        time(8, 30),
        time(18, 0),
        frozenset({date(2026, 7, 3), date(2026, 12, 25)}),
    )
    assert partner_calendar(None) == DEFAULT_CALENDAR
    # The deadline follows the partner's own week: Friday off, Saturday on.
    thursday = datetime(2026, 6, 4, 17, 30, tzinfo=ZoneInfo("America/New_York"))
    assert claim_deadline(HOT, calendar, thursday) == datetime(
        2026, 6, 6, 9, 0, tzinfo=ZoneInfo("America/New_York")
    )


def test_partner_calendar_replaces_only_broken_fields_and_says_so(app, caplog):
    partner = f.partner(
        None,
        timezone="Europe/Berlin",
        working_days=[1, 2, 9],
        work_start=time(10, 0),
        work_end=time(16, 0),
        holidays=["2026-12-24", "Christmas"],
    )
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="exchange.sla.partners"):
        calendar = partner_calendar(partner.profile)
    assert calendar.timezone == "Europe/Berlin"
    assert calendar.working_days == DEFAULT_CALENDAR.working_days
    assert (calendar.work_start, calendar.work_end) == (time(10, 0), time(16, 0))
    assert calendar.holidays == {date(2026, 12, 24)}
    text = caplog.text
    assert f"partner {partner.id}" in text and "working_days" in text and "'Christmas'" in text

    partner.profile.timezone = "Nowhere/Atlantis"
    partner.profile.work_start, partner.profile.work_end = time(18, 0), time(9, 0)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="exchange.sla.partners"):
        calendar = partner_calendar(partner.profile)
    assert calendar.timezone == "UTC"
    assert (calendar.work_start, calendar.work_end) == (time(9, 0), time(17, 0))
    assert "Nowhere/Atlantis" in caplog.text and "work_start/work_end" in caplog.text


# --- editing policies ------------------------------------------------------------------------------


def test_update_changes_only_what_is_given_and_records_an_event(app):
    maker = f.manufacturer()
    admin = f.user(maker)
    changes = update_policies(
        maker,
        {
            Temperature.HOT: {"claim_window_minutes": 30, "waves": 3, "breach_action": BreachAction.REMIND},
            "cold": {"business_time": False, "notify_channel_manager": False},
        },
        actor=admin,
    )
    db.session.commit()
    assert changes == {
        "hot": {"claim_window_minutes": [60, 30], "breach_action": ["recycle", "remind"]},
        "cold": {"business_time": [True, False], "notify_channel_manager": [True, False]},
    }
    hot = policy_for(maker, "hot")
    assert (hot.claim_window_minutes, hot.breach_action, hot.first_contact_minutes) == (
        30,
        BreachAction.REMIND,
        60,
    )
    (event,) = _events(maker, "sla_policy.updated")
    assert event.data == {"changes": changes}
    assert event.actor_user_id == admin.id
    # Saving the same values again changes nothing and records nothing.
    assert update_policies(maker, {"hot": {"claim_window_minutes": 30}}, actor=admin) == {}
    db.session.commit()
    assert len(_events(maker, "sla_policy.updated")) == 1


def test_invalid_values_name_temperature_and_field_and_change_nothing(app):
    maker = f.manufacturer()
    with pytest.raises(PolicyInvalid) as caught:
        update_policies(
            maker,
            {
                "hot": {"claim_window_minutes": 0, "waves": 3},
                "warm": {"reminder_percent": 100, "breach_action": "explode", "waves": 2.5},
                "cold": {"update_cadence_minutes": 91 * 24 * 60, "business_time": "yes", "colour": "blue"},
                "boiling": {"waves": 1},
            },
            actor=None,
        )
    errors = caught.value.errors
    assert errors["hot"] == {
        "claim_window_minutes": (
            "Hot leads: Claim window per wave must be between 5 minutes and 20 business days."
        )
    }
    assert (
        errors["warm"]["reminder_percent"]
        == "Warm leads: Reminder at % of a window must be between 1 and 99."
    )
    assert errors["warm"]["breach_action"] == "Warm leads: On breach must be one of remind, recycle."
    assert errors["warm"]["waves"] == "Warm leads: Number of waves must be a whole number."
    assert errors["cold"]["update_cadence_minutes"] == (
        "Cold leads: Status update every must be between 1 hour and 90 days."
    )
    assert errors["cold"]["business_time"] == "Cold leads: Measured in must be true or false."
    assert errors["cold"]["colour"] == "Cold leads: colour is not a policy setting."
    assert "boiling" in errors
    assert caught.value.status == 422
    db.session.rollback()
    assert policy_for(maker, "hot").claim_window_minutes == 60
    assert _events(maker, "sla_policy.updated") == []


def test_limits_are_inclusive(app):
    maker = f.manufacturer()
    low = {name: LIMITS[name][0] for name in LIMITS}
    high = {name: LIMITS[name][1] for name in LIMITS}
    update_policies(maker, {"hot": low, "cold": high}, actor=None)
    db.session.commit()
    assert policy_for(maker, "hot").claim_window_minutes == 5
    assert policy_for(maker, "cold").update_cadence_minutes == 90 * 24 * 60


def test_reset_restores_the_defaults(app):
    maker = f.manufacturer()
    admin = f.user(maker)
    update_policies(maker, {"warm": {"claim_window_minutes": 100, "reminder_percent": 50}}, actor=admin)
    changes = reset_policies(maker, actor=admin)
    db.session.commit()
    assert changes == {"warm": {"claim_window_minutes": [100, 240], "reminder_percent": [50, 75]}}
    assert policy_for(maker, "warm").claim_window_minutes == 240
    (event,) = _events(maker, "sla_policy.reset")
    assert event.data == {"changes": changes}
    assert reset_policies(maker, actor=admin) == {}  # already the defaults: no second event
    db.session.commit()
    assert len(_events(maker, "sla_policy.reset")) == 1


def test_describe_minutes(app):
    with app.test_request_context():
        assert describe_minutes(60) == "1 business hour"
        assert describe_minutes(480) == "1 business day"
        assert describe_minutes(960) == "2 business days"
        assert describe_minutes(90) == "90 minutes"
        assert describe_minutes(4320, business=False) == "3 days"
        assert describe_minutes(120, business=False) == "2 hours"
