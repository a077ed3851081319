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
    assert _leads_in(history, **march, campaign=fair) == {"L01", "L04", "L11"}


def test_median_time_to_claim_in_sql(history):
    scope = period.parse({"period": "custom", "from": "2026-03-01", "to": "2026-03-28"}, history["maker"])
    where = sql.fact_conditions(history["maker"].id, scope.period, scope.filters)
    # Claimed leads L01-L09, L11, L12, L14, L17 in seconds, sorted: 300 600 900 900 1200 1200 [1500]
    # 1800 1800 1800 2400 3000 4200 - the 7th of 13.
    got = db.session.scalar(
        sa.select(sql.median(LeadFact.claim_seconds)).where(*where, LeadFact.claim_seconds.is_not(None))
    )
    assert got == 1500


def _overview(world, **args):
    from exchange.analytics.overview import overview

    scope = period.parse({"period": "custom", **args}, world["maker"])
    assert scope.errors == {}
    return overview(world["maker"].id, scope)


def test_overview_before_the_dst_change(history):
    """1-28 March: L01-L15 and L17 (16 leads)."""
    view = _overview(history, **{"from": "2026-03-01", "to": "2026-03-28"})
    c = view.current
    assert c.published == 16
    assert c.offered == 15  # all but L15 (France, nobody covers it)
    # claimed: L01-L09, L11, L12, L14, L17
    assert c.claimed == 13
    assert c.awaiting == 1  # L15, still published
    assert c.returned_unclaimed == 3  # L10, L13 and L14 ran out of waves
    assert c.never_claimed == 2  # L10, L13 (L14 was claimed by Gamma first)
    assert c.response_rate == pytest.approx(13 / 15)  # claimed / (claimed + never claimed)
    assert c.contacted == 12  # the claimed ones but L14
    assert c.contacted_in_sla == 11  # a clock met: all contacted but L06 (Echo called 5 min late)
    assert c.qualified == 6  # L01, L04, L11 (qualified) and L07, L12, L17 (won)
    assert (c.won, c.lost) == (6, 2)  # won L01 L04 L07 L11 L12 L17; lost L02 L08
    assert c.win_rate == pytest.approx(6 / 8)
    # EUR: 40,000 (L01) + 12,000 (L04) + 8,000 (L07) + 5,000 (L17); CHF: 30,000 (L11) + 20,000 (L12)
    assert c.won_revenue == {"CHF": Decimal("50000.00"), "EUR": Decimal("65000.00")}
    # Time to claim, seconds sorted: 300 600 900 900 1200 1200 [1500] 1800 1800 1800 2400 3000 4200;
    # p90 at position 0.9 x 12 = 10.8: 2400 + 0.8 x 600 = 2880 s = 48 min.
    assert c.claim_minutes_median == pytest.approx(25)
    assert c.claim_minutes_p90 == pytest.approx(48)
    # Time to first contact: 900 1500 1800 2400 2400 2700 | 2700 3000 3000 4800 7800 8100: median
    # 2700 s = 45 min; p90 at 0.9 x 11 = 9.9: 4800 + 0.9 x 3000 = 7500 s = 125 min.
    assert c.contact_minutes_median == pytest.approx(45)
    assert c.contact_minutes_p90 == pytest.approx(125)
    # Clocks met: one per contacted claim in time, L08 two (Gamma and Echo), L06 none: 12.
    # Missed: L06 (Echo late), L07 (Gamma), L14 (Gamma): 3.
    assert (c.first_contact_met, c.first_contact_missed) == (12, 3)
    assert c.sla_compliance == pytest.approx(12 / 15)
    # Lapsed offers: L06 (Beta), L10 (Gamma, Echo), L13 (Delta), L14 (Echo) = 5; update: L08.
    assert c.breaches == {"first_contact": 3, "next_update": 1, "claim": 5}
    assert c.breaches_total == 9
    assert (c.recycled, c.returned, c.declines) == (3, 1, 1)  # L07 L08 L14; L09; L05
    assert c.claimed_never_contacted == 1  # L14
    assert c.leakage == 3  # L10, L13 never claimed + L14
    assert c.leakage_rate == pytest.approx(3 / 16)
    assert c.claim_buckets == {"15m": 4, "1h": 8, "4h": 1, "1d": 0, "3d": 0, "more": 0}
    assert c.contact_buckets == {"15m": 1, "1h": 8, "4h": 3, "1d": 0, "3d": 0, "more": 0}
    assert [(s.key, s.count) for s in view.funnel] == [
        ("published", 16),
        ("claimed", 13),
        ("contacted", 12),
        ("qualified", 6),
        ("won", 6),
    ]
    assert [s.conversion for s in view.funnel] == [None, 13 / 16, 12 / 13, 6 / 12, 6 / 6]
    # The 28 days before (1-28 February) had no leads.
    assert view.previous.published == 0 and view.previous.response_rate is None


def test_overview_across_the_dst_change(history):
    """29-31 March: L20 (00:15 CET), L16 (01:30 CET), L18 (10:00 CEST) and L19 (00:30 CEST on the
    30th); the period before is 26-28 March: L17 (23:50 CET on the 28th)."""
    view = _overview(history, **{"from": "2026-03-29", "to": "2026-03-31"})
    assert view.period.bounds() == (
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 22, 0, tzinfo=UTC),
    )
    c = view.current
    assert (c.published, c.claimed, c.contacted, c.won, c.lost) == (4, 4, 4, 1, 0)
    assert c.response_rate == 1.0 and c.sla_compliance == 1.0 and c.leakage_rate == 0.0
    assert c.won_revenue == {"EUR": Decimal("15000.00")}  # L18
    # Claim seconds 1200 (L19) 1200 (L20) 1800 (L18) 2400 (L16: 40 real minutes across the jump);
    # median (1200 + 1800) / 2 = 1500 s; p90 at 2.7: 1800 + 0.7 x 600 = 2220 s = 37 min.
    assert c.claim_minutes_median == pytest.approx(25)
    assert c.claim_minutes_p90 == pytest.approx(37)
    # Contact seconds 1800 2100 2700 3600: median 2400 s = 40 min; p90 2700 + 0.7 x 900 = 3330 s.
    assert c.contact_minutes_median == pytest.approx(40)
    assert c.contact_minutes_p90 == pytest.approx(55.5)
    p = view.previous
    assert (p.published, p.claimed, p.won) == (1, 1, 1)
    assert p.won_revenue == {"EUR": Decimal("5000.00")}
    assert p.claim_minutes_median == pytest.approx(30)


def test_overview_trend_by_berlin_week(history):
    view = _overview(history, **{"from": "2026-03-01", "to": "2026-03-31"})
    assert view.trend.unit == "week"
    # W09 holds 1 March only; W10 2-8 March: L01-L10; W11: L11-L15; W13 23-29 March: L17, L20, L16,
    # L18; W14: L19 (22:30 UTC on Sunday is Monday 00:30 in Berlin).
    assert [(p.key, p.published) for p in view.trend.points] == [
        ("2026-W09", 0),
        ("2026-W10", 10),
        ("2026-W11", 5),
        ("2026-W12", 0),
        ("2026-W13", 4),
        ("2026-W14", 1),
    ]
    w10 = view.trend.points[1]
    # W10: claimed all but L10; never claimed L10; clocks met 1+1+1+1+1+0+1+2+1 = 9, missed L06 L07 = 2
    assert (w10.claimed, w10.never_claimed, w10.first_contact_met, w10.first_contact_missed) == (9, 1, 9, 2)
    assert w10.won == 3  # L01, L04, L07


def test_overview_filters(history):
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    swiss = _overview(history, **march, country="CH").current  # L11, L12, L13
    assert (swiss.published, swiss.claimed, swiss.never_claimed, swiss.won) == (3, 2, 1, 2)
    assert swiss.response_rate == pytest.approx(2 / 3)
    assert swiss.won_revenue == {"CHF": Decimal("50000.00")}
    assert swiss.leakage == 1 and swiss.breaches["claim"] == 1  # L13, Delta's lapsed offer
    # Offered to Echo: L05, L06, L07, L08, L10, L14 - whoever claimed first.
    echo = _overview(history, **march, partner=str(history["p"]["echo"].id)).current
    assert (echo.published, echo.claimed, echo.never_claimed) == (6, 5, 1)
    assert (echo.won, echo.lost, echo.recycled, echo.declines) == (1, 1, 3, 1)
    assert echo.won_revenue == {"EUR": Decimal("8000.00")}
    assert echo.leakage == 2  # L10 never claimed, L14 claimed by Gamma and never contacted
    warm = _overview(history, **march, temperature="warm").current  # L08
    assert (warm.published, warm.breaches["next_update"], warm.lost) == (1, 1, 1)


MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
# Partner table for March (offers made visible and claims made in the period), counted per partner
# from the story table: (offers, claimed, declined, lapsed, median minutes offer -> claim, claims,
# clocks met, SLA compliance, breaches, returned, won, lost, won revenue in EUR, won in another
# currency, claims active now)
EXPECTED_PARTNERS = {
    # L01 L02 L03 L16 L17 L20, claimed after 10 20 5 40 30 20 min; won L01 L17, lost L02; active L03 L16 L20
    "alpha": (6, 6, 0, 0, 20.0, 6, 6, 1.0, 0, 0, 2, 0 + 1, Decimal("45000"), 0, 3),
    # L04 L05 (declined) L06 (lapsed) L18 L19, claimed after 40 30 20; won L04 L18; active L19
    "beta": (5, 3, 1, 1, 30.0, 3, 3, 1.0, 0, 0, 2, 0, Decimal("27000"), 0, 1),
    # L07 L08 L14 (recycled) L09 (returned) L10 (lapsed, pool too); claimed after 50 30 20 15: median
    # 25; met L08 L09, missed L07 L14; breaches 2 first contact + 1 update (L08)
    "gamma": (5, 4, 0, 1, 25.0, 4, 2, 0.5, 3, 1, 0, 0, Decimal("0"), 0, 0),
    # L11 L12 won in CHF, L13 lapsed; claimed after 15 25
    "delta": (3, 2, 0, 1, 20.0, 2, 2, 1.0, 0, 0, 2, 0, Decimal("0"), 2, 0),
    # L05 L06 L07 L08 claimed 25 9 9 14 min after their offers became visible (wave 2): median 11.5;
    # L10 L14 lapsed; L06 called late (missed); won L07, lost L08; active L05 L06
    "echo": (6, 4, 0, 2, 11.5, 4, 3, 0.75, 1, 0, 1, 1, Decimal("8000"), 0, 2),
}


def test_partner_table_against_hand_counts(history):
    from exchange.analytics.partner_table import partner_table

    scope = period.parse(MARCH, history["maker"])
    page = partner_table(history["maker"].id, scope, per_page=10)
    assert page.total == 5 and page.currency == "EUR"
    rows = {partner_key(history, row.partner_id): row for row in page.rows}
    for key, expected in EXPECTED_PARTNERS.items():
        r = rows[key]
        got = (
            r.offers,
            r.claimed,
            r.declined,
            r.lapsed,
            r.claim_minutes_median,
            r.claims,
            round(r.sla_compliance * r.claims) if r.sla_compliance is not None else None,
            r.sla_compliance,
            r.breaches,
            r.returned,
            r.won,
            r.lost,
            r.won_revenue,
            r.won_other_currency,
            r.in_progress,
        )
        assert got == pytest.approx(expected), key
    assert rows["gamma"].response_rate == pytest.approx(4 / 5)  # claimed / (claimed + declined + lapsed)
    assert rows["gamma"].win_rate is None  # nothing Gamma claimed was closed by Gamma
    assert rows["beta"].decline_rate == pytest.approx(1 / 5)
    assert rows["alpha"].load == pytest.approx(3 / 20)
    # Response rate, highest first: Alpha 1, Gamma .8, Delta and Echo .667 (by name), Beta .6
    by_response = partner_table(history["maker"].id, scope, sort="response_rate").rows
    assert [partner_key(history, r.partner_id) for r in by_response] == [
        "alpha",
        "gamma",
        "delta",
        "echo",
        "beta",
    ]
    # SLA compliance, lowest first: Gamma .5, Echo .75, then the 100 % by name
    by_sla = partner_table(history["maker"].id, scope, sort="sla_compliance", descending=False).rows
    assert [partner_key(history, r.partner_id) for r in by_sla] == ["gamma", "echo", "alpha", "beta", "delta"]
    gold = partner_table(history["maker"].id, period.parse({**MARCH, "tier": "gold"}, history["maker"]))
    assert [partner_key(history, r.partner_id) for r in gold.rows] == ["alpha"]


def test_scorecard_against_hand_counts(history):
    from exchange.analytics.scorecard import scorecard

    scope = period.parse(MARCH, history["maker"])
    card = scorecard(history["maker"].id, history["p"]["gamma"].id, scope)
    assert (card.partner["claims"], card.partner["breaches"], card.partner["returned"]) == (4, 3, 1)
    # The programme: 25 offers (6 + 5 + 5 + 3 + 6), 19 claimed, 1 declined, 5 lapsed; 19 claims with
    # 16 clocks met and 3 missed; breaches 3 + 1 update; won 7 claims, lost 2; EUR 45,000 + 27,000 + 8,000.
    p = card.programme
    assert (p["offers"], p["claimed"], p["declined"], p["lapsed"]) == (25, 19, 1, 5)
    assert p["response_rate"] == pytest.approx(19 / 25)
    assert (p["claims"], p["breaches"], p["returned"], p["won"], p["lost"]) == (19, 4, 1, 7, 2)
    assert p["sla_compliance"] == pytest.approx(16 / 19)
    assert p["won_revenue"] == Decimal("80000") and p["won_other_currency"] == 2
    # 19 claim times in minutes: 5 9 9 10 14 15 15 20 20 [20] 20 25 25 30 30 30 40 40 50
    assert p["claim_minutes_median"] == pytest.approx(20)
    # Gamma's breaches: L07 and L14 first contact, L08 the update clock
    assert card.breaches_by_clock == {"first_contact": 2, "next_update": 1}
    assert [(r["lead_id"], r["reason"]) for r in card.returns] == [
        (history["leads"]["L09"].id, "not our business")
    ]
    assert card.outcomes == []
    # February, the period before: nothing
    assert card.previous["offers"] == 0 and card.previous["response_rate"] is None
    beta = scorecard(history["maker"].id, history["p"]["beta"].id, scope)
    assert beta.declines == {"too_small": 1}
    assert sorted((o["status"].value, str(o["amount"])) for o in beta.outcomes) == [
        ("won", "12000.00"),
        ("won", "15000.00"),
    ]
