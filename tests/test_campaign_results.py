"""Campaign results: response rate, wins, won revenue against cost (Return on Leads), per campaign."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from exchange.leads.campaigns import campaign_results, create_campaign
from exchange.models import Lead, LeadStatus, Role
from exchange.platform.extensions import db
from tests import factories as f

PUBLISHED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    fair = create_campaign(
        maker,
        {"name": "Trade fair", "cost": Decimal("10000"), "currency": "EUR", "starts_on": date(2026, 9, 1)},
    )
    webinar = create_campaign(maker, {"name": "Webinar", "cost": Decimal("0"), "currency": "EUR"})

    def lead(campaign, status, **values):
        published = None if status == LeadStatus.DRAFT else PUBLISHED
        if status in (LeadStatus.WON, LeadStatus.LOST):
            values["closed_at"] = PUBLISHED
        return f.lead(maker, campaign_id=campaign.id, status=status, published_at=published, **values)

    # Trade fair: 6 leads, 5 published, 4 claimed (2 won: 20,000 EUR + 5,000 USD; 1 lost; 1 contacted)
    lead(fair, LeadStatus.DRAFT)
    lead(fair, LeadStatus.UNCLAIMED)
    lead(fair, LeadStatus.WON, won_amount=Decimal("20000"), won_currency="EUR")
    lead(fair, LeadStatus.WON, won_amount=Decimal("5000"), won_currency="USD")
    lead(fair, LeadStatus.LOST)
    lead(fair, LeadStatus.CONTACTED)
    # Webinar: free, 1 published lead, nobody took it yet
    lead(webinar, LeadStatus.OFFERED)
    # Another manufacturer's campaign never shows
    other = f.manufacturer("Other Maker")
    create_campaign(other, {"name": "Theirs", "cost": Decimal("1")})
    db.session.commit()
    return maker, fair, webinar


def test_results_add_up_per_campaign(world):
    maker, fair, webinar = world
    results = {r.campaign.name: r for r in campaign_results(maker.id)}
    assert set(results) == {"Trade fair", "Webinar"}
    trade = results["Trade fair"]
    assert (trade.leads, trade.published, trade.claimed, trade.won, trade.won_elsewhere) == (6, 5, 4, 2, 1)
    assert (trade.unclaimed, trade.awaiting) == (1, 0)
    assert trade.won_value == Decimal("20000")  # the USD win is counted, not added to EUR revenue
    assert trade.response_rate == pytest.approx(4 / 5)
    assert trade.win_rate == pytest.approx(2 / 3)  # of the closed leads; the contacted one is running
    assert trade.cost_per_won == Decimal("5000.00")
    assert trade.return_on_leads == pytest.approx(2.0)
    free = results["Webinar"]
    assert (free.leads, free.published, free.claimed, free.won, free.awaiting) == (1, 1, 0, 0, 1)
    assert free.response_rate is None  # nothing decided yet: still on offer
    assert free.return_on_leads is None and free.cost_per_won is None


def test_the_campaign_page_shows_the_return(client, world):
    maker, _fair, _webinar = world
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    html = f.login(client, manager).get("/manage/campaigns").get_data(as_text=True)
    assert "Theirs" not in html
    assert "2.0×" in html and "80%" in html and "€20,000" in html and "(1*)" in html


def test_the_api_returns_the_results(client, world):
    from exchange.accounts.tokens import issue_token
    from exchange.models import TokenScope

    maker, fair, _webinar = world
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    token = issue_token(manager, "bi export", TokenScope.READ).plaintext
    db.session.commit()
    response = client.get("/api/v1/campaigns/results", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    by_name = {item["name"]: item for item in response.json}
    assert set(by_name) == {"Trade fair", "Webinar"}
    trade = by_name["Trade fair"]
    assert trade["campaign_id"] == fair.id and trade["cost"] == "10000.00"
    assert (trade["claimed"], trade["unclaimed"], trade["won"], trade["won_value"]) == (4, 1, 2, "20000.00")
    assert trade["response_rate"] == pytest.approx(0.8) and trade["return_on_leads"] == pytest.approx(2.0)
    assert by_name["Webinar"]["response_rate"] is None


def test_the_dashboard_sums_up_the_programme(client, world):
    from exchange.platform import clock

    maker, _fair, _webinar = world
    contacted = db.session.scalar(db.select(Lead).where(Lead.status == LeadStatus.CONTACTED))
    now = clock.now()
    offer = f.offer(contacted, f.partner(maker, "Reseller"))
    f.claim(offer, claimed_at=now - timedelta(days=2), first_contact_deadline=now - timedelta(days=1))
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    html = f.login(client, manager).get("/manage/").get_data(as_text=True)

    def card(testid):
        import re

        return re.search(rf'data-testid="{testid}">(?:<a [^>]*>)?([^<]+)<', html).group(1)

    assert card("lead-count") == "7"
    assert card("on-offer") == "1"
    assert card("in-progress") == "1"  # the contacted lead
    assert card("response-rate") == "80%"  # 4 claimed, 1 unclaimed
    assert card("unclaimed") == "1"
    assert card("breaches") == "1"  # the first contact missed its deadline
    assert card("sla-compliance") == "0%"


def test_return_on_leads_month_by_month(world):
    from exchange.leads.campaigns import return_by_month

    maker, fair, _webinar = world
    for lead in db.session.scalars(db.select(Lead).where(Lead.campaign_id == fair.id)):
        if lead.status == LeadStatus.WON:  # the EUR win closed in October, the USD one in November
            lead.closed_at = datetime(2026, 10, 15, tzinfo=UTC) if lead.won_currency == "EUR" else PUBLISHED
    extra = f.lead(maker, campaign_id=fair.id, status=LeadStatus.WON, published_at=PUBLISHED)
    extra.won_amount, extra.won_currency = Decimal("2500"), "EUR"
    extra.closed_at = datetime(2026, 12, 2, tzinfo=UTC)
    db.session.commit()
    months = return_by_month(fair, today=date(2027, 1, 10))
    assert [m.month for m in months] == [
        date(2026, 9, 1),
        date(2026, 10, 1),
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert [(m.won, m.revenue, m.cumulative) for m in months] == [
        (0, 0, 0),
        (1, Decimal("20000"), Decimal("20000")),
        (0, 0, Decimal("20000")),
        (1, Decimal("2500"), Decimal("22500")),
        (0, 0, Decimal("22500")),
    ]
    assert months[-1].return_on_leads == pytest.approx(2.25)


def test_the_campaign_page_and_api_show_the_months(client, world):
    from exchange.accounts.tokens import issue_token
    from exchange.models import TokenScope

    maker, fair, _webinar = world
    other = f.manufacturer("Rival")
    theirs = create_campaign(other, {"name": "Rival fair", "cost": Decimal("5")})
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    token = issue_token(manager, "bi", TokenScope.READ).plaintext
    db.session.commit()
    f.login(client, manager)
    html = client.get(f"/manage/campaigns/{fair.id}").get_data(as_text=True)
    assert 'data-testid="months"' in html and "Return on leads by month" in html and "2.0×" in html
    assert client.get(f"/manage/campaigns/{theirs.id}").status_code == 404
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/campaigns/{fair.id}/results", headers=headers).json
    assert body["name"] == "Trade fair" and body["won_value"] == "20000.00"
    assert body["months"][0]["month"] == "2026-09" and body["months"][-1]["cumulative"] == "20000.00"
    assert client.get(f"/api/v1/campaigns/{theirs.id}/results", headers=headers).status_code == 404
