"""Return on Leads per campaign: cumulative won revenue by month since the start against the cost, ROI,
payback month, the value still in open leads; the page, the CSV, the API and the campaign's curve."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from exchange.accounts.tokens import issue_token
from exchange.analytics.return_on_leads import MAX_MONTHS, return_on_leads
from exchange.leads.campaigns import create_campaign
from exchange.models import LeadStatus, Role, TokenScope
from exchange.platform import clock
from exchange.platform.extensions import db
from tests import factories as f

TODAY = date(2026, 12, 4)


def _won(maker, campaign, at, amount, currency="EUR"):
    return f.lead(
        maker,
        campaign_id=campaign.id,
        status=LeadStatus.WON,
        published_at=at,
        closed_at=at,
        won_amount=Decimal(amount),
        won_currency=currency,
    )


@pytest.fixture
def campaigns(app):
    with clock.frozen(datetime(2026, 12, 4, 10, 0, tzinfo=UTC)):
        return _campaigns()


def _campaigns():
    maker = f.manufacturer("Acme Pumps", timezone="Europe/Berlin")
    fair = create_campaign(
        maker,
        {"name": "Trade fair", "cost": Decimal("10000"), "currency": "EUR", "starts_on": date(2026, 6, 15)},
    )
    # 31 Aug 2026 23:30 UTC is 1 September in Berlin: month 3, not 2
    _won(maker, fair, datetime(2026, 8, 31, 23, 30, tzinfo=UTC), "4000")
    _won(maker, fair, datetime(2026, 7, 2, 9, 0, tzinfo=UTC), "2000")
    _won(maker, fair, datetime(2026, 10, 20, 9, 0, tzinfo=UTC), "5000")
    _won(maker, fair, datetime(2026, 10, 21, 9, 0, tzinfo=UTC), "3000", currency="USD")  # never added
    for status in (LeadStatus.OFFERED, LeadStatus.PROPOSAL):
        f.lead(maker, campaign_id=fair.id, status=status, estimated_value=Decimal("7000"), currency="EUR")
    f.lead(
        maker, campaign_id=fair.id, status=LeadStatus.LOST, estimated_value=Decimal("9999"), currency="EUR"
    )
    f.lead(
        maker, campaign_id=fair.id, status=LeadStatus.DRAFT, estimated_value=Decimal("9999"), currency="EUR"
    )
    webinar = create_campaign(maker, {"name": "Webinar", "cost": Decimal("0"), "currency": "EUR"})
    f.lead(maker, campaign_id=webinar.id, status=LeadStatus.OFFERED)
    old = create_campaign(
        maker,
        {"name": "Old mailing", "cost": Decimal("500"), "currency": "EUR", "starts_on": date(2019, 1, 10)},
    )
    _won(maker, old, datetime(2019, 3, 1, 9, 0, tzinfo=UTC), "300")
    _won(maker, old, datetime(2025, 3, 1, 9, 0, tzinfo=UTC), "900")  # after month 59: not on the curve
    formula = create_campaign(
        maker, {"name": "=1+1", "cost": Decimal("100"), "currency": "EUR", "starts_on": date(2026, 11, 1)}
    )
    other = f.manufacturer("Rival")
    theirs = create_campaign(other, {"name": "Their fair", "cost": Decimal("5")})
    db.session.commit()
    return {
        "maker": maker,
        "fair": fair,
        "webinar": webinar,
        "old": old,
        "formula": formula,
        "theirs": theirs,
    }


def _by_name(maker, **kwargs):
    return {r.name: r for r in return_on_leads(maker.id, today=TODAY, **kwargs)}


def test_cumulative_revenue_roi_and_payback(campaigns):
    fair = _by_name(campaigns["maker"])["Trade fair"]
    assert (fair.cost, fair.currency) == (Decimal("10000"), "EUR")
    assert [m.index for m in fair.months] == list(range(7))  # June..December 2026
    assert fair.months[0].month == date(2026, 6, 1)
    assert [(m.won, m.revenue) for m in fair.months] == [
        (0, 0),
        (1, Decimal("2000")),
        (0, 0),
        (1, Decimal("4000")),  # the Berlin month
        (1, Decimal("5000")),
        (0, 0),
        (0, 0),
    ]
    assert [m.cumulative for m in fair.months] == [0, 2000, 2000, 6000, 11000, 11000, 11000]
    assert fair.months[1].roi == pytest.approx(-0.8)
    assert fair.roi == pytest.approx(0.1)
    assert fair.payback_month == 4
    assert fair.revenue == Decimal("11000") and fair.won == 3
    assert [(w.currency, w.won, w.revenue) for w in fair.won_elsewhere] == [("USD", 1, Decimal("3000"))]
    assert fair.open_value == Decimal("14000")  # offered + proposal; not lost, not draft
    assert fair.open_leads == 2


def test_without_cost_there_is_no_roi(campaigns):
    webinar = _by_name(campaigns["maker"])["Webinar"]
    assert webinar.roi is None and webinar.payback_month is None
    assert webinar.months[0].month == date(2026, 12, 1)  # started with its first lead
    assert webinar.months[0].roi is None


def test_an_old_campaign_is_capped_at_sixty_months(campaigns):
    old = _by_name(campaigns["maker"])["Old mailing"]
    assert len(old.months) == MAX_MONTHS
    assert old.months[-1].index == 59 and old.months[-1].month == date(2023, 12, 1)
    assert old.revenue == Decimal("300")
    assert old.payback_month is None


def test_only_the_programmes_campaigns(campaigns):
    maker = campaigns["maker"]
    assert "Their fair" not in _by_name(maker)
    assert return_on_leads(maker.id, [campaigns["theirs"].id]) == []
    assert [r.name for r in return_on_leads(maker.id, [campaigns["fair"].id], today=TODAY)] == ["Trade fair"]


# --- pages, CSV, API ----------------------------------------------------------------------------------


def _manager(maker):
    user = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    return user


def test_the_page_lists_campaigns_and_draws_the_costliest_curves(client, campaigns):
    f.login(client, _manager(campaigns["maker"]))
    with clock.frozen(datetime(2026, 12, 4, 10, 0, tzinfo=UTC)):
        response = client.get("/manage/analytics/return-on-leads")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    fair = html.split(f'data-campaign="{campaigns["fair"].id}"')[1].split("</tr>")[0]
    assert 'data-testid="roi">10%<' in fair
    assert 'data-testid="payback">month 4<' in fair
    assert "€14,000" in fair  # still in open leads
    assert "1 won, $3,000" in fair  # the USD win, apart
    assert "checked" in fair  # among the five costliest
    webinar = html.split(f'data-campaign="{campaigns["webinar"].id}"')[1].split("</tr>")[0]
    assert "checked" not in webinar  # no cost: no curve
    assert "no cost entered" in webinar
    assert "<svg" in html and 'data-testid="curves-table"' in html
    assert "Their fair" not in html


def test_ticked_campaigns_are_the_curves(client, campaigns):
    f.login(client, _manager(campaigns["maker"]))
    html = client.get(f"/manage/analytics/return-on-leads?campaign={campaigns['old'].id}").get_data(
        as_text=True
    )
    table = html.split('data-testid="curves-table"')[1]
    assert "Old mailing" in table and "Trade fair" not in table
    assert table.count("<tr>") == 1 + MAX_MONTHS


def test_the_csv_has_every_month_and_escapes_formulas(client, campaigns):
    f.login(client, _manager(campaigns["maker"]))
    with clock.frozen(datetime(2026, 12, 4, 10, 0, tzinfo=UTC)):
        response = client.get("/manage/analytics/return-on-leads.csv")
        foreign = client.get(f"/manage/analytics/return-on-leads.csv?campaign={campaigns['theirs'].id}")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "Campaign,Currency,Month index,Month,Won,Revenue,Cumulative,ROI"
    assert "Trade fair,EUR,4,2026-10,1,5000.00,11000.00,0.1" in lines
    assert any(line.startswith("'=1+1,EUR,0,") for line in lines)
    assert not any(line.startswith("=") for line in lines)
    assert foreign.status_code == 404


def test_the_api_repeats_campaign_and_refuses_foreign_ones(client, campaigns):
    token = issue_token(_manager(campaigns["maker"]), "bi", TokenScope.READ).plaintext
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    fair, old = campaigns["fair"].id, campaigns["old"].id
    with clock.frozen(datetime(2026, 12, 4, 10, 0, tzinfo=UTC)):
        body = client.get(
            f"/api/v1/analytics/return-on-leads?campaign={fair}&campaign={old}", headers=headers
        )
        every = client.get("/api/v1/analytics/return-on-leads", headers=headers)
        foreign = client.get(
            f"/api/v1/analytics/return-on-leads?campaign={campaigns['theirs'].id}", headers=headers
        )
        bad = client.get("/api/v1/analytics/return-on-leads?campaign=abc", headers=headers)
    assert body.status_code == 200
    found = {c["name"]: c for c in body.get_json()["campaigns"]}
    assert set(found) == {"Trade fair", "Old mailing"}
    trade = found["Trade fair"]
    assert (trade["cost"], trade["revenue"], trade["payback_month"]) == ("10000.00", "11000.00", 4)
    assert trade["roi"] == pytest.approx(0.1)
    assert trade["open_value"] == "14000.00"
    assert trade["won_elsewhere"] == [{"currency": "USD", "won": 1, "revenue": "3000.00"}]
    assert trade["months"][3] == {
        "index": 3,
        "month": "2026-09",
        "won": 1,
        "revenue": "4000.00",
        "cumulative": "6000.00",
        "roi": pytest.approx(-0.4),
        "paid_back": pytest.approx(0.6),
    }
    assert len(found["Old mailing"]["months"]) == MAX_MONTHS
    assert len(every.get_json()["campaigns"]) == 4
    assert foreign.status_code == 404
    assert bad.status_code == 422


def test_the_campaign_page_shows_its_curve(client, campaigns):
    f.login(client, _manager(campaigns["maker"]))
    with clock.frozen(datetime(2026, 12, 4, 10, 0, tzinfo=UTC)):
        html = client.get(f"/manage/campaigns/{campaigns['fair'].id}").get_data(as_text=True)
        free = client.get(f"/manage/campaigns/{campaigns['webinar'].id}").get_data(as_text=True)
    assert 'data-testid="curve"' in html and "<svg" in html
    assert 'data-month="2026-06"' in html  # the table beside it starts with month 0
    assert 'data-testid="curve"' not in free  # no cost, no curve
