"""Fairness (how evenly offers and claims spread over the eligible partners) and coverage gaps over
time: the figures on known distributions, the pages, the CSV and the API."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from exchange.accounts.tokens import issue_token
from exchange.analytics import facts
from exchange.analytics.coverage import coverage_over_time
from exchange.analytics.fairness import fairness, gini, lorenz, top_share
from exchange.analytics.period import parse
from exchange.models import (
    Enrollment,
    EnrollmentStatus,
    Event,
    LeadStatus,
    Offer,
    Organisation,
    Role,
    Tier,
    TokenScope,
)
from exchange.platform import clock
from exchange.platform.extensions import db
from tests import factories as f

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
IN_PERIOD = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
BEFORE = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


# --- the coefficients ---------------------------------------------------------------------------------


def test_gini_of_equal_counts_is_zero():
    assert gini([3, 3, 3, 3]) == 0
    assert top_share([3, 3, 3, 3]) == pytest.approx(0.25)  # ceil(10 % of 4) = 1 partner


@pytest.mark.parametrize("n", [2, 5, 10, 37])
def test_one_partner_taking_everything_gives_n_minus_one_over_n(n):
    counts = [0] * (n - 1) + [12]
    assert gini(counts) == pytest.approx((n - 1) / n)
    assert top_share(counts) == 1.0


def test_gini_on_a_known_distribution():
    # x = 1, 2, 3, 4: sum (2i - 5) x_i = -3 - 2 + 3 + 12 = 10; G = 10 / (4 * 10) = 0.25
    assert gini([4, 1, 3, 2]) == pytest.approx(0.25)
    # 20 partners: the top 2 got 10 of 29
    counts = [5, 5] + [1] * 18 + [1]
    assert top_share(counts[:20]) == pytest.approx(10 / 28)


def test_no_figure_without_partners_or_counts():
    assert gini([]) is None
    assert gini([7]) is None  # one partner: nothing to compare
    assert gini([0, 0, 0]) is None
    assert top_share([0, 0]) is None
    assert lorenz([0, 0])[5] is None


def test_lorenz_curve_runs_from_zero_to_one():
    curve = lorenz([0] * 9 + [10])
    assert curve[0] == 0 and curve[-1] == 1.0
    assert curve[9] == 0  # the smallest 90 % got nothing


# --- fairness from the offers and claims --------------------------------------------------------------


def _scope(maker, **args):
    return parse({"period": "30d", **args}, maker, today=NOW.date())


@pytest.fixture
def programme(app):
    maker = f.manufacturer("Fair Pumps")
    gold = [f.partner(maker, f"Gold {i}", tier=Tier.GOLD) for i in range(2)]
    silver = [f.partner(maker, f"Silver {i}", tier=Tier.SILVER) for i in range(3)]
    ended_early = f.partner(maker, "Gone Before", tier=Tier.SILVER)
    ended_late = f.partner(maker, "Gone Lately", tier=Tier.SILVER)
    invited = f.partner(name="Never Accepted")
    from exchange.accounts.organisations import enroll

    enroll(maker, invited, status=EnrollmentStatus.INVITED)
    for partner, at in ((ended_early, BEFORE), (ended_late, IN_PERIOD)):
        enrollment = db.session.scalar(
            db.select(Enrollment).filter_by(manufacturer_id=maker.id, partner_id=partner.id)
        )
        enrollment.status, enrollment.status_changed_at = EnrollmentStatus.ENDED, at
    for enrollment in db.session.scalars(db.select(Enrollment).filter_by(manufacturer_id=maker.id)):
        if enrollment.accepted_at is not None:  # accepted before the periods the tests read
            enrollment.accepted_at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    # Gold 0: 3 offers, 2 claims; Gold 1: 1 offer; Silver 0: 1 offer, 1 claim; the rest none.
    # One lead in FR (filtered out by country=DE); one offer before the period.
    leads = [f.lead(maker, status=LeadStatus.OFFERED, published_at=IN_PERIOD) for _ in range(4)]
    french = f.lead(maker, status=LeadStatus.OFFERED, published_at=IN_PERIOD, country="FR")
    for lead in leads[:3]:
        f.offer(lead, gold[0], visible_from=IN_PERIOD)
    f.offer(leads[3], gold[1], visible_from=IN_PERIOD)
    f.offer(french, silver[0], visible_from=IN_PERIOD)
    old = f.lead(maker, status=LeadStatus.OFFERED, published_at=BEFORE)
    f.offer(old, silver[1], visible_from=BEFORE)
    claims = [
        f.claim(db.session.scalar(db.select(Offer).filter_by(lead_id=lead.id)), claimed_at=IN_PERIOD)
        for lead in leads[:2]
    ]
    f.claim(db.session.scalar(db.select(Offer).filter_by(lead_id=french.id)), claimed_at=IN_PERIOD)
    other = f.manufacturer("Rival")
    theirs = f.partner(other, "Their Partner")
    f.offer(f.lead(other, status=LeadStatus.OFFERED, published_at=IN_PERIOD), theirs, visible_from=IN_PERIOD)
    facts.rebuild(maker.id)
    db.session.commit()
    return {"maker": maker, "gold": gold, "silver": silver, "ended_late": ended_late, "claims": claims}


def test_offers_and_claims_spread_over_the_eligible_partners(programme):
    maker = programme["maker"]
    with clock.frozen(NOW):
        result = fairness(maker.id, _scope(maker))
    overall = result.overall
    # eligible: 2 gold, 3 silver, the one that ended during the period; not the one ended before, not
    # the invitation nobody accepted
    assert overall.eligible == 6
    assert overall.offered == 3
    assert (overall.offers, overall.claims) == (5, 3)
    offers = [0, 0, 0, 1, 1, 3]
    assert overall.offers_gini == pytest.approx(gini(offers))
    assert overall.offers_gini == pytest.approx((1 * 1 + 3 * 1 + 5 * 3) / (6 * 5))  # (2i - 7) x_i
    assert overall.claims_gini == pytest.approx(gini([0, 0, 0, 0, 1, 2]))
    assert overall.top_partners == 1
    assert overall.offers_top10_share == pytest.approx(3 / 5)
    assert overall.claims_top10_share == pytest.approx(2 / 3)
    names = [p.name for p in result.never_offered]
    assert names == ["Gone Lately", "Silver 1", "Silver 2"]  # Silver 1's offer was before the period
    assert {p.tier for p in result.never_offered} == {Tier.SILVER}


def test_per_tier_and_the_tier_filter(programme):
    maker = programme["maker"]
    result = fairness(maker.id, _scope(maker))
    gold, silver = result.by_tier[Tier.GOLD], result.by_tier[Tier.SILVER]
    assert (gold.eligible, gold.offers, gold.claims) == (2, 4, 2)
    assert gold.offers_gini == pytest.approx(gini([1, 3]))
    assert gold.offers_top10_share == pytest.approx(3 / 4)
    assert (silver.eligible, silver.offers, silver.claims) == (4, 1, 1)
    assert silver.offers_gini == pytest.approx(3 / 4)  # one of four took all
    filtered = fairness(maker.id, _scope(maker, tier="gold"))
    assert filtered.overall.eligible == 2
    assert set(filtered.by_tier) == {Tier.GOLD}
    assert filtered.never_offered == []


def test_lead_filters_count_only_those_leads(programme):
    maker = programme["maker"]
    result = fairness(maker.id, _scope(maker, country="DE"))
    assert (result.overall.offers, result.overall.claims) == (4, 2)
    assert "Silver 0" in [p.name for p in result.never_offered]


def test_an_empty_programme_has_no_figures(app):
    maker = f.manufacturer("Empty")
    db.session.commit()
    result = fairness(maker.id, _scope(maker))
    assert result.overall.eligible == 0
    assert result.overall.offers_gini is None and result.overall.offers_top10_share is None
    assert result.by_tier == {}


# --- coverage gaps over time --------------------------------------------------------------------------


def _unmatched(maker, lead, at, cause):
    db.session.add(
        Event(
            type="lead.unmatched",
            occurred_at=at,
            manufacturer_id=maker.id,
            lead_id=lead.id,
            data={"cause": cause} if cause else {},
        )
    )


@pytest.fixture
def gaps(app):
    maker = f.manufacturer("Gap Pumps", timezone="Europe/Berlin")
    a = f.lead(maker, status=LeadStatus.PUBLISHED, published_at=IN_PERIOD)
    b = f.lead(maker, status=LeadStatus.PUBLISHED, published_at=IN_PERIOD, country="AT")
    c = f.lead(
        maker, status=LeadStatus.PUBLISHED, published_at=IN_PERIOD, match_summary={"cause": "at_capacity"}
    )
    # Monday 2 Nov 2026 00:30 Berlin is Sunday 23:30 UTC: it belongs to the week of 2 Nov
    _unmatched(maker, a, datetime(2026, 11, 1, 23, 30, tzinfo=UTC), "outside_coverage")
    _unmatched(maker, a, datetime(2026, 11, 3, 8, 0, tzinfo=UTC), "outside_coverage")  # same week: once
    _unmatched(maker, b, datetime(2026, 11, 10, 8, 0, tzinfo=UTC), "outside_coverage")
    _unmatched(maker, c, datetime(2026, 11, 11, 8, 0, tzinfo=UTC), None)  # the cause from the lead
    _unmatched(maker, a, datetime(2026, 9, 1, 8, 0, tzinfo=UTC), "no_partners")  # before the period
    other = f.manufacturer("Rival")
    _unmatched(other, f.lead(other, status=LeadStatus.PUBLISHED), IN_PERIOD, "no_partners")
    facts.rebuild(maker.id)
    db.session.commit()
    return maker


def test_coverage_gaps_by_week_and_cause(gaps):
    scope = parse({"period": "custom", "from": "2026-11-01", "to": "2026-11-20"}, gaps)
    result = coverage_over_time(gaps.id, scope)
    assert result.granularity == "week"
    assert result.causes == ["outside_coverage", "at_capacity"]
    weeks = {b.start: b.counts for b in result.buckets}
    assert list(weeks) == [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    assert weeks[date(2026, 10, 26)] == {"outside_coverage": 0, "at_capacity": 0}
    assert weeks[date(2026, 11, 2)] == {"outside_coverage": 1, "at_capacity": 0}
    assert weeks[date(2026, 11, 9)] == {"outside_coverage": 1, "at_capacity": 1}
    assert result.totals == {"outside_coverage": 2, "at_capacity": 1}
    assert coverage_over_time(gaps.id, parse({**scope.query_args(), "country": "AT"}, gaps)).totals == {
        "outside_coverage": 1
    }


def test_coverage_gaps_by_month_for_long_periods(gaps):
    scope = parse({"period": "custom", "from": "2026-06-01", "to": "2026-11-30"}, gaps)
    result = coverage_over_time(gaps.id, scope)
    assert result.granularity == "month"
    assert [b.start.month for b in result.buckets] == [6, 7, 8, 9, 10, 11]
    months = {b.start.month: b for b in result.buckets}
    assert months[9].counts["no_partners"] == 1
    assert months[11].total == 3


# --- pages, CSV, API ----------------------------------------------------------------------------------


def _manager(maker):
    user = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    return user


def test_the_fairness_page_reads_the_figures(client, programme):
    maker = programme["maker"]
    programme["silver"][2].profile.capacity = 0
    f.login(client, _manager(maker))
    with clock.frozen(NOW):
        response = client.get("/manage/analytics/fairness?period=30d")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="eligible">6<' in html
    assert 'data-testid="offers-gini">0.63<' in html
    assert "The top 1 partner (10 % of 6 eligible) got 60% of the offers." in html
    assert 'id="scope-partner"' not in html  # the partner filter makes no sense here
    assert html.count('data-testid="never-offered-partner"') == 3
    silver_2 = html.split('data-testid="never-offered-partner"')[3]
    assert "Capacity 0" in silver_2.split("</tr>")[0]  # why matching skips it
    gone = html.split('data-testid="never-offered-partner"')[1].split("</tr>")[0]
    assert "Gone Lately" in gone and "Enrollment not active" in gone
    assert 'href="/manage/partners/' in silver_2 or 'href="/manage/analytics/partners/' in silver_2
    assert 'data-tier="gold"' in html and 'data-tier="silver"' in html
    assert "<svg" in html  # the Lorenz chart, drawn on the server
    assert "/manage/coverage-gaps" in html
    assert "Their Partner" not in html


def test_the_fairness_page_shows_coverage_gaps_and_the_tabs(client, gaps):
    f.login(client, _manager(gaps))
    html = client.get("/manage/analytics/fairness?period=custom&from=2026-11-01&to=2026-11-20").get_data(
        as_text=True
    )
    assert 'data-testid="coverage-table"' in html
    assert 'data-start="2026-11-09"' in html
    assert "No partner covers this location" in html
    assert 'href="/manage/analytics/return-on-leads' in html  # the tabs
    gaps_page = client.get("/manage/coverage-gaps").get_data(as_text=True)
    assert 'aria-current="page" href="/manage/coverage-gaps"' in gaps_page  # one of the analytics tabs


def test_coverage_gaps_left_the_top_navigation(client, gaps):
    f.login(client, _manager(gaps))
    html = client.get("/manage/analytics/fairness").get_data(as_text=True)
    nav = html.split('aria-label="Analytics"')[0]
    assert "/manage/coverage-gaps" not in nav


def test_the_fairness_csv_tables(client, programme):
    maker = programme["maker"]
    f.login(client, _manager(maker))
    with clock.frozen(NOW):
        summary = client.get("/manage/analytics/fairness.csv?period=30d")
        never = client.get("/manage/analytics/fairness.csv?period=30d&table=never_offered")
        coverage = client.get("/manage/analytics/fairness.csv?period=30d&table=coverage")
        unknown = client.get("/manage/analytics/fairness.csv?table=everything")
        unreadable = client.get("/manage/analytics/fairness.csv?period=forever")
    assert summary.mimetype == "text/csv"
    text = summary.get_data(as_text=True)
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Partners,Eligible,Offered,Claimed,Offers,Claims,Gini of offers")
    assert lines[1] == "All,6,3,2,5,3,0.6333,0.7222,0.6,0.6667"
    assert len(never.get_data(as_text=True).splitlines()) == 4  # header and three partners
    assert coverage.status_code == 200
    assert unknown.status_code == 404
    assert unreadable.status_code == 400


def test_the_fairness_and_coverage_api(client, programme, gaps):
    maker = programme["maker"]
    token = issue_token(_manager(maker), "bi", TokenScope.READ).plaintext
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    with clock.frozen(NOW):
        body = client.get("/api/v1/analytics/fairness?period=30d", headers=headers).get_json()
        bad = client.get("/api/v1/analytics/fairness?period=forever", headers=headers)
        covered = client.get("/api/v1/analytics/coverage?period=90d", headers=headers)
    assert body["overall"]["eligible"] == 6
    assert body["overall"]["offers_gini"] == pytest.approx(19 / 30)
    assert body["by_tier"]["gold"]["offers_top10_share"] == pytest.approx(0.75)
    assert [p["name"] for p in body["never_offered"]] == ["Gone Lately", "Silver 1", "Silver 2"]
    assert len(body["overall"]["lorenz"]) == 11
    assert body["scope"]["period"] == "30d"
    assert bad.status_code == 422
    assert covered.status_code == 200
    assert covered.get_json()["granularity"] == "week"
    assert covered.get_json()["totals"] == {}  # the gaps belong to another programme


def test_another_programmes_coverage_never_shows(client, gaps):
    other = db.session.scalar(db.select(Organisation).filter_by(name="Rival"))
    token = issue_token(_manager(other), "bi", TokenScope.READ).plaintext
    db.session.commit()
    with clock.frozen(NOW):
        body = client.get(
            "/api/v1/analytics/coverage?period=30d", headers={"Authorization": f"Bearer {token}"}
        ).get_json()
    assert body["totals"] == {"no_partners": 1}


def test_another_programmes_ids_in_the_filters_give_404(client, programme):
    from exchange.leads.campaigns import create_campaign

    maker = programme["maker"]
    other = db.session.scalar(db.select(Organisation).filter_by(name="Rival"))
    theirs = create_campaign(other, {"name": "Their fair"})
    ours = create_campaign(maker, {"name": "Our fair"})
    their_partner = db.session.scalar(db.select(Organisation).filter_by(name="Their Partner"))
    manager = _manager(maker)
    token = issue_token(manager, "bi", TokenScope.READ).plaintext
    db.session.commit()
    f.login(client, manager)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/manage/analytics/fairness?campaign={theirs.id}").status_code == 404
    assert client.get(f"/manage/analytics/fairness.csv?campaign={theirs.id}").status_code == 404
    assert client.get(f"/manage/analytics/fairness?campaign={ours.id}").status_code == 200
    assert client.get(f"/api/v1/analytics/fairness?campaign={theirs.id}", headers=headers).status_code == 404
    assert (
        client.get(f"/api/v1/analytics/coverage?partner={their_partner.id}", headers=headers).status_code
        == 404
    )
    body = client.get(f"/api/v1/analytics/coverage?campaign={ours.id}", headers=headers).get_json()
    assert body["scope"]["from"]  # the period as the pages show it
