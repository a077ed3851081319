"""Return on Leads per campaign: cumulative won revenue by month since the start against the cost, ROI,
payback month, the value still in open leads; the page, the CSV, the API and the campaign's curve."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from exchange.analytics.return_on_leads import MAX_MONTHS, return_on_leads
from exchange.leads.campaigns import create_campaign
from exchange.models import LeadStatus
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
    formula = create_campaign(maker, {"name": "=1+1", "cost": Decimal("100"), "currency": "EUR"})
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
