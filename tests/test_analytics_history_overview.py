"""The overview (exchange.analytics.overview) against the hand-made history
(tests/analytics_history.py): every expected number was counted by hand from its story table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exchange.analytics import period
from tests.analytics_history import build


@pytest.fixture
def history(app, run_jobs):
    return build(run_jobs)


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
    assert (
        c.breaches_total == 4
    )  # missed deadlines: 3 first contact + 1 update (lapsed windows are not breaches)
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
