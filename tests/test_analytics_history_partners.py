"""The partner table, scorecards, fairness, coverage over time and Return on Leads against the
hand-made history (tests/analytics_history.py); every expected number was counted by hand from its
story table. The overview and lead_facts: tests/test_analytics_history.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from exchange.analytics import period
from exchange.models import Tier
from tests.analytics_history import build
from tests.test_analytics_history import partner_key


@pytest.fixture
def history(app, run_jobs):
    return build(run_jobs)


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


def test_fairness_against_hand_counts(history):
    from exchange.analytics.fairness import fairness

    result = fairness(history["maker"].id, period.parse(MARCH, history["maker"]))
    o = result.overall
    # Offers per partner: Delta 3, Beta 5, Gamma 5, Alpha 6, Echo 6 (sum 25); claims: Delta 2, Beta 3,
    # Gamma 4, Echo 4, Alpha 6 (sum 19). Gini = sum (2i - n - 1) x_i / (n sum x), i = 1..5 ascending:
    # offers (-4 x 3 - 2 x 5 + 0 + 2 x 6 + 4 x 6) / (5 x 25) = 14 / 125;
    # claims (-4 x 2 - 2 x 3 + 0 + 2 x 4 + 4 x 6) / (5 x 19) = 18 / 95.
    assert (o.eligible, o.offered, o.claimed, o.offers, o.claims) == (5, 5, 5, 25, 19)
    assert o.offers_gini == pytest.approx(14 / 125)
    assert o.claims_gini == pytest.approx(18 / 95)
    # The top 10 % of 5 partners is 1 partner: 6 of 25 offers, 6 of 19 claims (Alpha).
    assert o.top_partners == 1
    assert o.offers_top10_share == pytest.approx(6 / 25)
    assert o.claims_top10_share == pytest.approx(6 / 19)
    # Per tier: gold Alpha alone (no Gini); silver Beta 5 / Delta 3 offers: (-3 + 5) / (2 x 8);
    # claims 3 / 2: (-2 + 3) / (2 x 5); registered Gamma 5 / Echo 6: 1 / 22; claims 4 / 4: 0.
    assert result.by_tier[Tier.GOLD].offers_gini is None
    assert result.by_tier[Tier.SILVER].offers_gini == pytest.approx(2 / 16)
    assert result.by_tier[Tier.SILVER].claims_gini == pytest.approx(1 / 10)
    assert result.by_tier[Tier.REGISTERED].offers_gini == pytest.approx(1 / 22)
    assert result.by_tier[Tier.REGISTERED].claims_gini == pytest.approx(0)
    assert result.never_offered == []
    # Swiss leads only: Delta got all 3 offers; the others were never offered one: (n - 1) / n.
    swiss = fairness(history["maker"].id, period.parse({**MARCH, "country": "CH"}, history["maker"]))
    assert swiss.overall.offers_gini == pytest.approx(4 / 5)
    assert [partner_key(history, p.partner_id) for p in swiss.never_offered] == [
        "alpha",
        "beta",
        "echo",
        "gamma",
    ]


def test_coverage_over_time_against_hand_counts(history):
    from exchange.analytics.coverage import coverage_over_time

    result = coverage_over_time(history["maker"].id, period.parse(MARCH, history["maker"]))
    # Only L15 (France, Wednesday 11 March) found no partner: one gap, in the week of Monday 9 March.
    assert result.granularity == "week"
    assert result.totals == {"outside_coverage": 1}
    assert [(b.start, b.total) for b in result.buckets if b.total] == [(date(2026, 3, 9), 1)]


def test_return_on_leads_against_hand_counts(history):
    from exchange.analytics.return_on_leads import return_on_leads

    results = {r.name: r for r in return_on_leads(history["maker"].id, today=date(2026, 5, 15))}
    fair, search = results["Trade fair"], results["Paid search"]
    # Trade fair (5,000 EUR, from 1 March): L01 won 40,000 EUR on 6 March, L04 12,000 EUR on 9 March
    # (month 0); L11's 30,000 CHF is apart; L03 still open (estimated 25,000 EUR).
    assert [(m.index, m.month, m.won, m.cumulative) for m in fair.months] == [
        (0, date(2026, 3, 1), 2, Decimal("52000")),
        (1, date(2026, 4, 1), 0, Decimal("52000")),
        (2, date(2026, 5, 1), 0, Decimal("52000")),
    ]
    assert fair.roi == pytest.approx((52000 - 5000) / 5000)
    assert fair.payback_month == 0
    assert [(w.currency, w.won, w.revenue) for w in fair.won_elsewhere] == [("CHF", 1, Decimal("30000"))]
    assert (fair.open_leads, fair.open_value) == (1, Decimal("25000"))
    # Paid search (50,000 EUR): L02 lost, L10 unclaimed, L13 unclaimed (CHF): nothing won, nothing open.
    assert search.won == 0 and search.roi == pytest.approx(-1.0) and search.payback_month is None
    assert (search.open_leads, search.open_value) == (0, Decimal("0"))
