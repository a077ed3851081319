"""The ranked partner table and the partner scorecards (exchange.analytics.partner_table, .scorecard),
their pages, CSV downloads and API."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from exchange.accounts import organisations
from exchange.analytics import facts
from exchange.analytics import period as periods
from exchange.analytics.partner_table import DEFAULT_DESCENDING, partner_table
from exchange.analytics.scorecard import PartnerNotInProgramme, scorecard
from exchange.models import (
    ClaimStatus,
    DeclineReason,
    Event,
    LeadStatus,
    OfferState,
    Role,
    Tier,
)
from exchange.offers.vocabulary import DECLINE_REASON_LABELS
from exchange.platform import clock
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from tests import factories as f

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _lead(maker, ago: timedelta, **values):
    values.setdefault("status", LeadStatus.OFFERED)
    values.setdefault("country", "FR")
    return f.lead(maker, published_at=NOW - ago, **values)


def _offer(maker, partner, ago: timedelta, state: OfferState = OfferState.OPEN, lead=None, **values):
    on = _lead(maker, ago, **(lead or {}))
    return f.offer(on, partner, state=state, visible_from=NOW - ago, **values)


def _claim(offer, after: timedelta, status: ClaimStatus = ClaimStatus.ACTIVE, **values):
    claim = f.claim(offer, status=status, claimed_at=offer.visible_from + after, **values)
    if status != ClaimStatus.ACTIVE:
        offer.state = OfferState.RETURNED if status == ClaimStatus.RETURNED else OfferState.CLAIMED
    return claim


@pytest.fixture
def world(app):
    """Alpha (gold): 4 offers in the period (2 claimed, 1 declined, 1 lapsed) and one before it;
    Beta (silver): 3 offers (2 claimed: one handed back, one won in USD), 1 open; Gamma: nothing in
    the period, one active claim from before it. Alpha is also a partner of another programme."""
    with clock.frozen(NOW):
        maker = f.manufacturer("Acme Pumps")
        other = f.manufacturer("Other Maker")
        alpha = f.partner(maker, "Alpha Reseller", tier=Tier.GOLD)
        beta = f.partner(maker, "Beta Reseller", tier=Tier.SILVER)
        gamma = f.partner(maker, "Gamma Reseller", tier=Tier.REGISTERED)
        stranger = f.partner(other, "Stranger Reseller")
        organisations.enroll(other, alpha, tier=Tier.PLATINUM)
        day = timedelta(days=1)
        # Alpha
        won = _offer(maker, alpha, 3 * day, lead={"country": "DE", "status": LeadStatus.WON})
        won.lead.won_amount, won.lead.won_currency = Decimal("1000"), "EUR"
        _claim(
            won,
            timedelta(minutes=10),
            ClaimStatus.WON,
            first_contact_deadline=won.visible_from + timedelta(hours=2),
            first_contact_at=won.visible_from + timedelta(hours=1),
        )
        lost = _offer(maker, alpha, 5 * day, lead={"country": "AT", "status": LeadStatus.LOST})
        lost_claim = _claim(
            lost,
            timedelta(minutes=30),
            ClaimStatus.LOST,
            first_contact_deadline=lost.visible_from + timedelta(hours=2),
            first_contact_breached_at=lost.visible_from + timedelta(hours=2),
            update_breached_at=lost.visible_from + timedelta(days=2),
        )
        for clock_name, after in (("first_contact", timedelta(hours=2)), ("next_update", timedelta(days=2))):
            db.session.add(
                Event(
                    type=LeadEvent.SLA_BREACHED.value,
                    occurred_at=lost.visible_from + after,
                    manufacturer_id=maker.id,
                    partner_id=alpha.id,
                    lead_id=lost.lead_id,
                    claim_id=lost_claim.id,
                    offer_id=lost.id,
                    data={"clock": clock_name, "action": "remind"},
                )
            )
        _offer(
            maker,
            alpha,
            6 * day,
            OfferState.DECLINED,
            decline_reason=DeclineReason.TOO_SMALL,
            decline_text="Only 3 pumps",
        )
        _offer(maker, alpha, 7 * day, OfferState.EXPIRED)
        old = _offer(maker, alpha, 60 * day)
        _claim(old, timedelta(minutes=5), ClaimStatus.LOST)
        # Alpha in the other programme: never counted here
        foreign = _offer(other, alpha, 2 * day)
        _claim(foreign, timedelta(minutes=1), ClaimStatus.LOST)
        # Beta
        back = _offer(maker, beta, 2 * day, lead={"country": "DE"})
        _claim(back, timedelta(minutes=60), ClaimStatus.RETURNED, end_reason="Customer went elsewhere")
        usd = _offer(maker, beta, 4 * day, lead={"country": "DE", "status": LeadStatus.WON})
        usd.lead.won_amount, usd.lead.won_currency = Decimal("700"), "USD"
        _claim(
            usd,
            timedelta(minutes=120),
            ClaimStatus.WON,
            first_contact_deadline=usd.visible_from + timedelta(hours=4),
            first_contact_at=usd.visible_from + timedelta(hours=3),
        )
        _offer(maker, beta, 1 * day)  # still open
        # Gamma: working one lead from before the period
        _claim(_offer(maker, gamma, 40 * day), timedelta(minutes=5))
        manager = f.user(maker, Role.CHANNEL_MANAGER)
        db.session.commit()
        facts.rebuild(maker.id)
        facts.rebuild(other.id)
        db.session.commit()
    return {
        "maker": maker,
        "other": other,
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "stranger": stranger,
        "manager": manager,
    }


def _scope(maker, **args):
    return periods.parse(args, maker, today=NOW.date())


def _rows(world, **kwargs):
    args = kwargs.pop("args", {})
    with clock.frozen(NOW):
        return partner_table(world["maker"].id, _scope(world["maker"], **args), **kwargs)


def test_figures_of_each_partner(world):
    table = _rows(world)
    assert [row.name for row in table.rows] == ["Alpha Reseller", "Beta Reseller", "Gamma Reseller"]
    assert table.total == 3 and table.pages == 1 and table.currency == "EUR"
    alpha, beta, gamma = (row.as_dict() for row in table.rows)
    assert alpha | {"claim_minutes_median": round(alpha["claim_minutes_median"], 6)} == alpha | {
        "partner_id": world["alpha"].id,
        "tier": Tier.GOLD,
        "offers": 4,
        "claimed": 2,
        "declined": 1,
        "lapsed": 1,
        "response_rate": 0.5,
        "decline_rate": 0.25,
        "claim_minutes_median": 20.0,
        "claims": 2,
        "sla_compliance": 0.5,
        "breaches": 2,  # the missed first contact and the missed update
        "returned": 0,
        "return_rate": 0.0,
        "won": 1,
        "lost": 1,
        "win_rate": 0.5,
        "won_revenue": Decimal("1000"),
        "won_other_currency": 0,
        "in_progress": 0,
        "capacity": 10,
        "load": 0.0,
    }
    assert beta["offers"] == 3 and beta["claimed"] == 2 and beta["response_rate"] == 1.0
    assert round(beta["claim_minutes_median"], 6) == 90.0
    assert beta["sla_compliance"] == 1.0 and beta["breaches"] == 0
    assert beta["returned"] == 1 and beta["return_rate"] == 0.5
    assert beta["won"] == 1 and beta["win_rate"] == 1.0
    assert beta["won_revenue"] == 0 and beta["won_other_currency"] == 1  # USD is never added to EUR
    assert gamma["offers"] == 0 and gamma["response_rate"] is None and gamma["sla_compliance"] is None
    assert gamma["breaches"] is None and gamma["claim_minutes_median"] is None and gamma["win_rate"] is None
    assert gamma["in_progress"] == 1 and gamma["load"] == 0.1


@pytest.mark.parametrize("sort", sorted(DEFAULT_DESCENDING))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_key_both_ways_with_missing_figures_last(world, sort, descending):
    table = _rows(world, sort=sort, descending=descending)
    assert table.sort == sort and table.descending is descending
    values = [getattr(row, sort) for row in table.rows]
    if sort == "tier":
        values = [row.tier.rank for row in table.rows]
    if sort == "name":
        values = [v.lower() for v in values]
    known = [v for v in values if v is not None]
    assert values == known + [None] * (len(values) - len(known))  # nothing after a missing figure
    assert known == sorted(known, reverse=descending)
    if sort == "response_rate":
        expected = ["Beta Reseller", "Alpha Reseller"] if descending else ["Alpha Reseller", "Beta Reseller"]
        assert [row.name for row in table.rows] == [*expected, "Gamma Reseller"]


def test_ties_are_ordered_by_name_and_an_unknown_sort_is_the_name(world):
    table = _rows(world, sort="returned", descending=False)
    assert [row.name for row in table.rows] == ["Alpha Reseller", "Gamma Reseller", "Beta Reseller"]
    assert _rows(world, sort="nonsense").sort == "name"


def test_paging_total_and_search(world):
    first = _rows(world, sort="offers", per_page=2)
    assert [row.name for row in first.rows] == ["Alpha Reseller", "Beta Reseller"]
    assert first.total == 3 and first.pages == 2
    second = _rows(world, sort="offers", per_page=2, page=2)
    assert [row.name for row in second.rows] == ["Gamma Reseller"]
    assert _rows(world, per_page=2, page=99).page == 2  # the last
    assert [row.name for row in _rows(world, search="bet").rows] == ["Beta Reseller"]
    assert _rows(world, search="100%_").rows == []  # wildcards are text


def test_filters(world):
    de = {row.name: row for row in _rows(world, args={"country": "DE"}).rows}
    assert de["Alpha Reseller"].offers == 1 and de["Alpha Reseller"].won == 1
    assert de["Beta Reseller"].offers == 2 and de["Beta Reseller"].claims == 2
    assert [row.name for row in _rows(world, args={"tier": "gold"}).rows] == ["Alpha Reseller"]
    only = _rows(world, args={"partner": str(world["beta"].id)})
    assert [row.name for row in only.rows] == ["Beta Reseller"] and only.total == 1
    week = {row.name: row for row in _rows(world, args={"period": "7d"}).rows}
    assert week["Alpha Reseller"].offers == 3  # the one 7 days ago is before the period's first day
    year = {row.name: row for row in _rows(world, args={"period": "90d"}).rows}
    assert year["Alpha Reseller"].offers == 5 and year["Alpha Reseller"].lost == 2


def test_another_programmes_offers_and_partners_are_never_counted(world):
    names = [row.name for row in _rows(world).rows]
    assert "Stranger Reseller" not in names
    with clock.frozen(NOW):
        other = partner_table(world["other"].id, _scope(world["other"]))
    alpha = next(row for row in other.rows if row.name == "Alpha Reseller")
    assert alpha.offers == 1 and alpha.claims == 1 and alpha.tier == Tier.PLATINUM


def _card(world, partner="alpha", maker="maker", **args):
    with clock.frozen(NOW):
        return scorecard(world[maker].id, world[partner].id, _scope(world[maker], **args))


def test_the_scorecard_beside_the_programme_and_the_period_before(world):
    card = _card(world)
    assert card.name == "Alpha Reseller" and card.tier == Tier.GOLD and card.currency == "EUR"
    assert card.partner["offers"] == 4 and card.partner["response_rate"] == 0.5
    programme = card.programme
    assert programme["offers"] == 7 and programme["claimed"] == 4 and programme["declined"] == 1
    assert programme["lapsed"] == 1 and programme["response_rate"] == 4 / 6
    assert programme["claims"] == 4 and programme["sla_compliance"] == 2 / 3 and programme["breaches"] == 2
    assert programme["won"] == 2 and programme["won_revenue"] == Decimal("1000")
    assert programme["won_other_currency"] == 1 and programme["returned"] == 1
    assert programme["in_progress"] == 1 and programme["capacity"] == 30 and programme["load"] == 1 / 30
    assert round(programme["claim_minutes_median"], 6) == 45.0  # 10, 30, 60, 120
    assert card.previous["offers"] == 0 and card.previous["response_rate"] is None
    assert card.previous_period.end == card.period.start - timedelta(days=1)
    before = _card(world, period="90d")
    assert before.partner["offers"] == 5 and before.partner["lost"] == 2


def test_the_scorecard_lists(world):
    card = _card(world)
    assert [o["state"] for o in card.offers] == [
        OfferState.CLAIMED,
        OfferState.CLAIMED,
        OfferState.DECLINED,
        OfferState.EXPIRED,
    ]  # latest first
    assert card.declines == {"too_small": 1}
    assert [(t["reason"], t["text"]) for t in card.decline_texts] == [
        (DeclineReason.TOO_SMALL, "Only 3 pumps")
    ]
    assert card.breaches_by_clock == {"first_contact": 1, "next_update": 1}
    assert [b["clock"] for b in card.breaches] == ["next_update", "first_contact"]
    assert [(o["status"], o["amount"], o["currency"]) for o in card.outcomes] == [
        (ClaimStatus.WON, Decimal("1000.00"), "EUR"),
        (ClaimStatus.LOST, None, None),
    ]
    assert [c["first_contact_met"] for c in card.claims] == [True, False]
    beta = _card(world, partner="beta")
    assert [(r["reason"]) for r in beta.returns] == ["Customer went elsewhere"]
    assert [(o["amount"], o["currency"]) for o in beta.outcomes] == [(Decimal("700.00"), "USD")]


def test_the_trend_by_week_and_by_month(world):
    card = _card(world)
    assert card.trend.weekly and all(start.weekday() == 0 for start in card.trend.starts)
    assert sum(card.trend.series["offers"]) == 4 and sum(card.trend.series["won"]) == 1
    assert len(card.trend.series["response_rate"]) == len(card.trend.starts)
    year = _card(world, period="custom", **{"from": "2025-07-01", "to": "2026-06-15"})
    assert not year.trend.weekly and [s.day for s in year.trend.starts] == [1] * 12
    assert sum(year.trend.series["offers"]) == 5
    assert year.trend.series["claim_minutes_median"][-1] == 20.0  # June: 10 and 30 minutes


def test_a_partner_of_another_programme_has_no_scorecard(world):
    with pytest.raises(PartnerNotInProgramme):
        _card(world, partner="stranger")
    other = _card(world, maker="other")  # Alpha in the other programme: only its offers there
    assert other.partner["offers"] == 1 and other.offers[0]["lead_id"] != world["alpha"].id
    assert other.declines == {} and other.breaches == []


def _get(client, world, path, user="manager"):
    f.login(client, world[user])
    with clock.frozen(NOW):
        return client.get(path)


def _page_names(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="partner-row">\s*<td[^>]*><a href="[^"]+">([^<]+)</a>', html)


def test_the_table_page_sorts_pages_and_links_to_scorecards(client, world):
    html = _get(client, world, "/manage/analytics/partners?sort=response_rate&order=desc").get_data(
        as_text=True
    )
    assert _page_names(html) == ["Beta Reseller", "Alpha Reseller", "Gamma Reseller"]
    assert 'aria-sort="descending"' in html and 'aria-current="page"' in html  # the tab
    assert f'href="/manage/analytics/partners/{world["alpha"].id}?period=30d"' in html
    assert "sort=response_rate&amp;order=asc" in html  # the active column turns around
    assert html.count('<svg role="img"') >= 3  # a sparkline per row
    assert "Stranger Reseller" not in html
    assert 'title="no decided offers yet"' in html  # Gamma: a dash with the reason, never 0 %
    assert "(+1 won in another currency)" in html
    searched = _get(client, world, "/manage/analytics/partners?q=gam").get_data(as_text=True)
    assert _page_names(searched) == ["Gamma Reseller"]


def test_the_table_page_pages_by_50(client, world):
    with clock.frozen(NOW):
        for n in range(50):
            f.partner(world["maker"], f"Zeta {n:02d}")
        db.session.commit()
    first = _get(client, world, "/manage/analytics/partners").get_data(as_text=True)
    assert len(_page_names(first)) == 50 and "Page 1 of 2" in first and "page=2" in first
    second = _get(client, world, "/manage/analytics/partners?page=2").get_data(as_text=True)
    assert _page_names(second) == ["Zeta 47", "Zeta 48", "Zeta 49"]


def test_the_old_performance_page_leads_to_the_table(client, world):
    response = _get(client, world, "/manage/partners/performance?sort=claim_minutes&tier=gold&q=al")
    assert response.status_code == 302
    assert (
        response.headers["Location"] == "/manage/analytics/partners?q=al&tier=gold&sort=claim_minutes_median"
    )


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads UTF-8 with a byte-order mark only
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_table_csv_has_every_partner_in_the_tables_order_escaped(client, world):
    with clock.frozen(NOW):
        f.partner(world["maker"], '=HYPERLINK("http://evil.example","x")')
        db.session.commit()
    response = _get(client, world, "/manage/analytics/partners.csv?sort=offers&order=desc")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:3] == ["Partner", "Partner id", "Tier"]
    names = [row[0] for row in rows[1:]]
    assert names == [
        "Alpha Reseller",
        "Beta Reseller",
        '\'=HYPERLINK("http://evil.example","x")',
        "Gamma Reseller",
    ]
    alpha = dict(zip(rows[0], rows[1], strict=True))
    assert alpha["Offers"] == "4" and alpha["Response rate"] == "0.5000" and alpha["SLA breaches"] == "2"
    assert alpha["Won revenue"] == "1000.00" and alpha["Currency"] == "EUR"
    assert _get(client, world, "/manage/analytics/partners.csv?period=custom").status_code == 400
    gamma = dict(zip(rows[0], rows[-1], strict=True))
    assert gamma["Response rate"] == "" and gamma["SLA breaches"] == ""  # undefined, not 0


def test_the_scorecard_page(client, world):
    alpha = world["alpha"]
    html = _get(client, world, f"/manage/analytics/partners/{alpha.id}").get_data(as_text=True)
    assert 'data-testid="partner-name">Alpha Reseller' in html
    assert "/manage/partners/" in html and 'data-testid="directory-link"' in html
    assert "Only 3 pumps" in html and str(DECLINE_REASON_LABELS[DeclineReason.TOO_SMALL]) in html
    assert "First contact: 1" in html and "Status update: 1" in html
    assert "€1,000" in html
    assert html.count("<figure>") == 3 and html.count('<svg role="img"') == 3
    rows = _csv(_get(client, world, f"/manage/analytics/partners/{alpha.id}/scorecard.csv"))
    assert rows[0] == ["Section", "Figure", "Alpha Reseller", "Programme", "Period before"]
    assert ["Figures", "Offers", "4", "7", "0"] in rows


def test_another_programmes_partner_is_not_found(client, world):
    stranger = world["stranger"].id
    assert _get(client, world, f"/manage/analytics/partners/{stranger}").status_code == 404
    assert _get(client, world, f"/manage/analytics/partners/{stranger}/scorecard.csv").status_code == 404
    assert _get(client, world, f"/api/v1/analytics/partners/{stranger}").status_code == 404


def test_the_api(client, world):
    body = _get(client, world, "/api/v1/analytics/partners?sort=claim_minutes_median&per_page=2").get_json()
    assert [item["name"] for item in body["items"]] == ["Alpha Reseller", "Beta Reseller"]
    assert body["total"] == 3 and body["pages"] == 2 and body["order"] == "asc"
    assert body["scope"]["period"] == "30d" and body["scope"]["from"] == "2026-05-17"
    assert body["items"][0]["response_rate"] == 0.5 and body["items"][0]["won_revenue"] == "1000.00"
    card = _get(client, world, f"/api/v1/analytics/partners/{world['alpha'].id}?period=90d").get_json()
    assert card["partner"]["offers"] == 5 and card["programme"]["offers"] == 9
    assert card["declines"] == {"too_small": 1} and card["breaches_by_clock"]["first_contact"] == 1
    assert card["previous_scope"]["to"] < card["scope"]["from"]
    assert _get(client, world, "/api/v1/analytics/partners?per_page=501").status_code == 422
    assert _get(client, world, "/api/v1/analytics/partners?sort=bogus").status_code == 422
    assert _get(client, world, "/api/v1/analytics/partners?period=custom&from=2026-02-01").status_code == 422


def test_partners_may_not_see_the_table(client, world):
    with clock.frozen(NOW):
        rep = f.user(world["alpha"], Role.PARTNER_ADMIN)
        db.session.commit()
    world["rep"] = rep
    assert _get(client, world, "/manage/analytics/partners", user="rep").status_code == 403
    assert _get(client, world, "/api/v1/analytics/partners", user="rep").status_code == 403


def test_partner_names_link_to_the_scorecard(client, world):
    alpha = world["alpha"]
    lead_id = _card(world).offers[0]["lead_id"]
    scorecard_url = f'href="/manage/analytics/partners/{alpha.id}"'
    assert scorecard_url in _get(client, world, f"/manage/leads/{lead_id}").get_data(as_text=True)
    enrollment_id = _card(world).enrollment_id
    detail = _get(client, world, f"/manage/partners/{enrollment_id}").get_data(as_text=True)
    assert 'data-testid="scorecard-link"' in detail and scorecard_url in detail
