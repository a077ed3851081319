"""The analytics figures against a hand-made history (tests/analytics_history.py): every expected
number below was counted by hand from the story table there, not computed by the code under test.
Runs on SQLite and, with DATABASE_URL set, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from exchange.analytics import facts, period, sql
from exchange.models import LeadFact, LeadStatus
from exchange.platform.extensions import db
from tests.analytics_history import LEADS, build

S = LeadStatus
# lead: (first claimant, offers, declines, lapsed offers, claim s, first contact s, clocks met, missed,
#        update breaches, recycled, returned, unclaimed?, qualified?, won (amount, currency), status,
#        published day in Berlin)
# Seconds are real elapsed seconds since publication (minutes in the story x 60).
EXPECTED_FACTS = {
    "L01": (
        "alpha",
        1,
        0,
        0,
        600,
        1800,
        1,
        0,
        0,
        0,
        0,
        False,
        True,
        ("40000", "EUR"),
        S.WON,
        date(2026, 3, 2),
    ),
    "L02": ("alpha", 1, 0, 0, 1200, 3000, 1, 0, 0, 0, 0, False, False, None, S.LOST, date(2026, 3, 2)),
    "L03": ("alpha", 1, 0, 0, 300, 900, 1, 0, 0, 0, 0, False, False, None, S.MEETING, date(2026, 3, 3)),
    "L04": (
        "beta",
        1,
        0,
        0,
        2400,
        4800,
        1,
        0,
        0,
        0,
        0,
        False,
        True,
        ("12000", "EUR"),
        S.WON,
        date(2026, 3, 3),
    ),
    # Beta declined, Echo (wave 2) claimed 30 min after publication.
    "L05": ("echo", 2, 1, 0, 1800, 2700, 1, 0, 0, 0, 0, False, False, None, S.CONTACTED, date(2026, 3, 4)),
    # Beta lapsed; Echo claimed at 70 (wave 2), called at 135: its deadline was 70 + 60 = 130, missed.
    "L06": ("echo", 2, 0, 1, 4200, 8100, 0, 1, 0, 0, 0, False, False, None, S.CONTACTED, date(2026, 3, 4)),
    # First claim Gamma at 50 (missed, recycled); first contact is Echo's at 130 (met).
    "L07": (
        "gamma",
        2,
        0,
        0,
        3000,
        7800,
        1,
        1,
        0,
        1,
        0,
        False,
        True,
        ("8000", "EUR"),
        S.WON,
        date(2026, 3, 5),
    ),
    # Gamma met first contact (45 <= 90), breached the update clock; Echo met too.
    "L08": ("gamma", 2, 0, 0, 1800, 2700, 2, 0, 1, 1, 0, False, False, None, S.LOST, date(2026, 3, 5)),
    "L09": ("gamma", 1, 0, 0, 1200, 2400, 1, 0, 0, 0, 1, False, False, None, S.RETURNED, date(2026, 3, 6)),
    # Gamma's and Echo's offers both lapsed (the pool reopened the same two rows).
    "L10": (None, 2, 0, 2, None, None, 0, 0, 0, 0, 0, True, False, None, S.UNCLAIMED, date(2026, 3, 6)),
    "L11": (
        "delta",
        1,
        0,
        0,
        900,
        1500,
        1,
        0,
        0,
        0,
        0,
        False,
        True,
        ("30000", "CHF"),
        S.WON,
        date(2026, 3, 9),
    ),
    "L12": (
        "delta",
        1,
        0,
        0,
        1500,
        2400,
        1,
        0,
        0,
        0,
        0,
        False,
        True,
        ("20000", "CHF"),
        S.WON,
        date(2026, 3, 9),
    ),
    "L13": (None, 1, 0, 1, None, None, 0, 0, 0, 0, 0, True, False, None, S.UNCLAIMED, date(2026, 3, 10)),
    # Gamma claimed at 15, never called (missed, recycled); Echo's offer lapsed twice (wave 2, pool).
    "L14": ("gamma", 2, 0, 1, 900, None, 0, 1, 0, 1, 0, True, False, None, S.UNCLAIMED, date(2026, 3, 10)),
    "L15": (None, 0, 0, 0, None, None, 0, 0, 0, 0, 0, False, False, None, S.PUBLISHED, date(2026, 3, 11)),
    "L17": (
        "alpha",
        1,
        0,
        0,
        1800,
        3000,
        1,
        0,
        0,
        0,
        0,
        False,
        True,
        ("5000", "EUR"),
        S.WON,
        date(2026, 3, 28),
    ),
    # 00:15 CET on the 29th = 23:15 UTC on the 28th: the Berlin day counts.
    "L20": ("alpha", 1, 0, 0, 1200, 2100, 1, 0, 0, 0, 0, False, False, None, S.CONTACTED, date(2026, 3, 29)),
    # 01:30 CET -> 03:10 CEST is 40 real minutes across the jump, not 100.
    "L16": ("alpha", 1, 0, 0, 2400, 3600, 1, 0, 0, 0, 0, False, False, None, S.CONTACTED, date(2026, 3, 29)),
    "L18": (
        "beta",
        1,
        0,
        0,
        1800,
        2700,
        1,
        0,
        0,
        0,
        0,
        False,
        True,
        ("15000", "EUR"),
        S.WON,
        date(2026, 3, 29),
    ),
    # 00:30 CEST on the 30th = 22:30 UTC on the 29th.
    "L19": ("beta", 1, 0, 0, 1200, 1800, 1, 0, 0, 0, 0, False, False, None, S.CONTACTED, date(2026, 3, 30)),
}


@pytest.fixture
def history(app, run_jobs):
    return build(run_jobs)


def fact_rows(world) -> dict[str, dict]:
    by_id = {lead.id: key for key, lead in world["leads"].items()}
    rows = db.session.scalars(sa.select(LeadFact).where(LeadFact.manufacturer_id == world["maker"].id))
    columns = [c.key for c in LeadFact.__table__.columns if c.key != "computed_at"]
    return {by_id[row.lead_id]: {c: getattr(row, c) for c in columns} for row in rows}


def partner_key(world, partner_id):
    return next((key for key, org in world["p"].items() if org.id == partner_id), None)


def test_every_lead_has_its_hand_counted_fact_row(history):
    rows = fact_rows(history)
    assert sorted(rows) == sorted(LEADS)
    for key, expected in EXPECTED_FACTS.items():
        row = rows[key]
        got = (
            partner_key(history, row["claimed_partner_id"]),
            row["offers"],
            row["declines"],
            row["lapsed_offers"],
            row["claim_seconds"],
            row["contact_seconds"],
            row["first_contact_met"],
            row["first_contact_missed"],
            row["update_breaches"],
            row["recycled"],
            row["returned"],
            row["unclaimed_at"] is not None,
            row["qualified_at"] is not None,
            (
                str(row["won_amount"].normalize()) if row["won_amount"] is not None else None,
                row["won_currency"],
            )
            if row["won_amount"] is not None
            else None,
            row["status"],
            row["published_day"],
        )
        expected = (*expected[:13], _won(expected[13]), *expected[14:])
        assert got == expected, key


def _won(value):
    return None if value is None else (str(Decimal(value[0]).normalize()), value[1])


def test_a_rebuild_from_the_events_gives_the_same_rows(history):
    before = fact_rows(history)
    db.session.execute(sa.delete(LeadFact))
    db.session.commit()
    assert facts.rebuild(history["maker"].id) == len(LEADS)
    db.session.commit()
    assert fact_rows(history) == before


def _leads_in(world, **args) -> set[str]:
    scope = period.parse(args, world["maker"])
    assert scope.errors == {}
    where = sql.fact_conditions(world["maker"].id, scope.period, scope.filters)
    ids = set(db.session.scalars(sa.select(LeadFact.lead_id).where(*where)))
    return {key for key, lead in world["leads"].items() if lead.id in ids}


def test_periods_are_berlin_calendar_days_across_the_dst_change(history):
    march_29 = period.Period("custom", date(2026, 3, 29), date(2026, 3, 29), "Europe/Berlin")
    # 00:00 CET = 23:00 UTC the day before; the next midnight is CEST (UTC+2): a 23-hour day.
    assert march_29.bounds() == (
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
    )
    custom = {"period": "custom"}
    # Up to the day before the change: L01-L15 and L17 (Sat 23:50 CET); not L20 (00:15 CET on the 29th).
    before = _leads_in(history, **custom, **{"from": "2026-03-01", "to": "2026-03-28"})
    assert before == {f"L{n:02}" for n in range(1, 16)} | {"L17"}
    # The DST day alone: L20 (00:15 CET), L16 (01:30 CET), L18 (10:00 CEST); L19 is 00:30 on the 30th.
    assert _leads_in(history, **custom, **{"from": "2026-03-29", "to": "2026-03-29"}) == {"L16", "L18", "L20"}
    assert _leads_in(history, **custom, **{"from": "2026-03-29", "to": "2026-03-31"}) == {
        "L16",
        "L18",
        "L19",
        "L20",
    }
    # The period before 29-31 March is 26-28 March: L17 only.
    scope = period.parse({**custom, "from": "2026-03-29", "to": "2026-03-31"}, history["maker"])
    assert (scope.period.previous().start, scope.period.previous().end) == (
        date(2026, 3, 26),
        date(2026, 3, 28),
    )


def test_filters_select_the_hand_counted_leads(history):
    march = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
    assert len(_leads_in(history, **march)) == 20
    assert _leads_in(history, **march, country="CH") == {"L11", "L12", "L13"}
    assert _leads_in(history, **march, temperature="warm") == {"L08"}
    # Offered to Echo: the wave-2 and pool leads L05, L06, L07, L08, L10, L14.
    echo = str(history["p"]["echo"].id)
    assert _leads_in(history, **march, partner=echo) == {"L05", "L06", "L07", "L08", "L10", "L14"}
    # Offered to a gold partner (Alpha): L01-L03, L16, L17, L20.
    assert _leads_in(history, **march, tier="gold") == {"L01", "L02", "L03", "L16", "L17", "L20"}
    fair = str(history["campaigns"]["fair"].id)
    assert _leads_in(history, **march, campaign=fair) == {"L01", "L03", "L04", "L11"}


def test_median_time_to_claim_in_sql(history):
    scope = period.parse({"period": "custom", "from": "2026-03-01", "to": "2026-03-28"}, history["maker"])
    where = sql.fact_conditions(history["maker"].id, scope.period, scope.filters)
    # Claimed leads L01-L09, L11, L12, L14, L17 in seconds, sorted: 300 600 900 900 1200 1200 [1500]
    # 1800 1800 1800 2400 3000 4200 - the 7th of 13.
    got = db.session.scalar(
        sa.select(sql.median(LeadFact.claim_seconds)).where(*where, LeadFact.claim_seconds.is_not(None))
    )
    assert got == 1500
