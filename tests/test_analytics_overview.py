"""The analytics overview: its figures from ``lead_facts`` on a small hand-made data set (rows written
as the read model would hold them), the comparison with the previous period, every filter, custom
and bad periods, the empty programme, the CSV downloads, the API, tenant isolation and who may see it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from exchange.accounts.tokens import issue_token
from exchange.analytics import facts
from exchange.analytics import period as periods
from exchange.analytics.facts import TIER_BITS
from exchange.analytics.overview import overview
from exchange.leads.campaigns import create_campaign
from exchange.models import LeadFact, LeadStatus, ProductLine, Role, Temperature, Tier, TokenScope
from exchange.platform import clock
from exchange.platform.extensions import db
from tests import factories as f

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # the 30 days: 2026-11-05 .. 2026-12-04 (Berlin)
IN_PERIOD = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # ISO week 47
LATER_IN_PERIOD = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # ISO week 49
BEFORE = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)  # the previous 30 days: 2026-10-06 .. 2026-11-04


def at(start: datetime, seconds: int | None) -> datetime | None:
    return None if seconds is None else start + timedelta(seconds=seconds)


def fact(maker, published_at, status, *, claim=None, contact=None, **values):
    """A published lead and its ``lead_facts`` row (``claim``/``contact``: seconds since publication)."""
    lead = f.lead(
        maker,
        status=status,
        published_at=published_at,
        campaign_id=values.get("campaign_id"),
        country=values.get("country", "DE"),
        region=values.get("region", "BY"),
        temperature=values.get("temperature", Temperature.WARM),
    )
    row = {
        "lead_id": lead.id,
        "manufacturer_id": maker.id,
        "country": "DE",
        "region": "BY",
        "temperature": Temperature.WARM,
        "status": status,
        "published_at": published_at,
        "published_day": published_at.date(),
        "first_offered_at": published_at + timedelta(minutes=1),
        "claimed_at": at(published_at, claim),
        "claim_seconds": claim,
        "contacted_at": at(published_at, contact),
        "contact_seconds": contact,
        "currency": "EUR",
        "computed_at": NOW,
        **values,
    }
    db.session.add(LeadFact(**row))
    db.session.flush()
    return lead


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps", timezone="Europe/Berlin")
    fair = create_campaign(maker, {"name": "=cmd|' /C calc'!A0", "cost": Decimal("1000"), "currency": "EUR"})
    pumps = db.session.scalar(db.select(ProductLine).where(ProductLine.manufacturer_id == maker.id))
    gold = f.partner(maker, "Gold Partner", tier=Tier.GOLD)
    silver = f.partner(maker, "Silver Partner", tier=Tier.SILVER)
    won = IN_PERIOD + timedelta(days=3)
    # A: claimed in 10 min, contacted in 30 min (in time), won 20,000 EUR; hot, gold, the campaign, pumps
    a = fact(
        maker, IN_PERIOD, LeadStatus.WON, claim=600, contact=1800, first_contact_met=1, qualified_at=won,
        won_at=won, won_amount=Decimal("20000"), won_currency="EUR", temperature=Temperature.HOT,
        offered_tiers=TIER_BITS[Tier.GOLD], campaign_id=fair.id, product_line_id=pumps.id,
    )  # fmt: skip
    # B: claimed in 2 h, contacted in 5 h (in time), won 5,000 USD; Austria, silver
    b = fact(
        maker, IN_PERIOD, LeadStatus.WON, claim=7200, contact=18000, first_contact_met=1, qualified_at=won,
        won_at=won, won_amount=Decimal("5000"), won_currency="USD", country="AT", region="W",
        offered_tiers=TIER_BITS[Tier.SILVER],
    )  # fmt: skip
    # C: claimed in 30 min, contacted after 2 days (late), an update too late, lost; region NW, the campaign
    fact(
        maker, IN_PERIOD, LeadStatus.LOST, claim=1800, contact=172800, first_contact_missed=1,
        update_breaches=1, lost_at=won, region="NW", campaign_id=fair.id,
    )  # fmt: skip
    # D: three claim windows ran out, two declines: returned unclaimed
    fact(
        maker, IN_PERIOD, LeadStatus.UNCLAIMED, offers=3, declines=2, lapsed_offers=3, unclaimed_at=won,
        offered_tiers=TIER_BITS[Tier.REGISTERED],
    )  # fmt: skip
    # E: claimed after 4 days, never contacted (deadline missed), handed back
    fact(maker, LATER_IN_PERIOD, LeadStatus.RETURNED, claim=345600, first_contact_missed=1, returned=1)
    # F: still on offer
    fact(maker, LATER_IN_PERIOD, LeadStatus.OFFERED)
    # G: claimed in 20 min, its clock still running (a claim before was recycled)
    fact(maker, LATER_IN_PERIOD, LeadStatus.CLAIMED, claim=1200, recycled=1)
    # The period before: one claimed in 15 min, contacted in time, won 1,000 EUR; one unclaimed
    fact(
        maker, BEFORE, LeadStatus.WON, claim=900, contact=3600, first_contact_met=1, qualified_at=BEFORE,
        won_at=BEFORE, won_amount=Decimal("1000"), won_currency="EUR",
    )  # fmt: skip
    fact(maker, BEFORE, LeadStatus.UNCLAIMED, unclaimed_at=BEFORE)
    # A and B were offered to the gold partner (the partner filter reads the offers)
    for lead in (a, b):
        f.offer(lead, gold, visible_from=lead.published_at)
    f.offer(b, silver, visible_from=b.published_at)
    # Another programme with a lead in the same period, and its own campaign and partner
    other = f.manufacturer("Other Maker", timezone="Europe/Berlin")
    theirs = create_campaign(other, {"name": "Their campaign", "cost": Decimal("1")})
    their_partner = f.partner(other, "Their Partner")
    their_lead = fact(other, IN_PERIOD, LeadStatus.WON, claim=60, campaign_id=theirs.id)
    f.offer(their_lead, their_partner, visible_from=IN_PERIOD)
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    return {
        "maker": maker, "fair": fair, "pumps": pumps, "gold": gold, "silver": silver, "manager": manager,
        "other": other, "theirs": theirs, "their_partner": their_partner,
    }  # fmt: skip


def scope_of(maker, **args):
    return periods.parse(args, maker, today=NOW.date())


def test_the_figures_of_the_period(world):
    data = overview(world["maker"].id, scope_of(world["maker"]))
    cur = data.current
    assert (cur.published, cur.offered, cur.claimed, cur.awaiting) == (7, 7, 5, 1)
    assert (cur.returned_unclaimed, cur.never_claimed) == (1, 1)
    assert cur.response_rate == pytest.approx(5 / 6)  # of the decided: 5 claimed, 1 ran out of waves
    assert (cur.contacted, cur.contacted_in_sla, cur.qualified, cur.won, cur.lost) == (3, 2, 2, 2, 1)
    assert cur.won_revenue == {"EUR": Decimal("20000.00"), "USD": Decimal("5000.00")}
    # claims after 600, 1200, 1800, 7200, 345600 s; contacts after 1800, 18000, 172800 s
    assert cur.claim_minutes_median == pytest.approx(30)
    assert cur.claim_minutes_p90 == pytest.approx((7200 + 0.6 * (345600 - 7200)) / 60)
    assert cur.contact_minutes_median == pytest.approx(300)
    assert cur.contact_minutes_p90 == pytest.approx((18000 + 0.8 * (172800 - 18000)) / 60)
    assert (cur.first_contact_met, cur.first_contact_missed, cur.sla_compliance) == (2, 2, 0.5)
    assert cur.breaches == {"first_contact": 2, "next_update": 1, "claim": 3}
    assert (cur.recycled, cur.returned, cur.declines) == (1, 1, 2)
    # leakage: D never claimed, E claimed but never contacted; G's clock still runs, F is undecided
    assert (cur.claimed_never_contacted, cur.leakage) == (1, 2)
    assert cur.leakage_rate == pytest.approx(2 / 7)
    assert [(s.key, s.count) for s in data.funnel] == [
        ("published", 7), ("claimed", 5), ("contacted", 3), ("qualified", 2), ("won", 2),
    ]  # fmt: skip
    assert [s.conversion for s in data.funnel] == pytest.approx([None, 5 / 7, 3 / 5, 2 / 3, 1.0])
    assert data.funnel[-1].of_published == pytest.approx(2 / 7)
    claim = {key: n for key, n, _share in data.distributions["claim"]}
    assert claim == {"15m": 1, "1h": 2, "4h": 1, "1d": 0, "3d": 0, "more": 1}
    contact = {key: n for key, n, _share in data.distributions["contact"]}
    assert contact == {"15m": 0, "1h": 1, "4h": 0, "1d": 1, "3d": 1, "more": 0}
    assert data.trend.unit == "week"
    weeks = {p.key: p for p in data.trend.points}
    assert list(weeks)[0] == "2026-W45" and list(weeks)[-1] == "2026-W49"
    assert (weeks["2026-W47"].published, weeks["2026-W47"].won, weeks["2026-W49"].published) == (4, 2, 3)
    assert weeks["2026-W47"].response_rate == pytest.approx(3 / 4)
    assert weeks["2026-W49"].leakage_rate == pytest.approx(1 / 3)
    assert weeks["2026-W48"].published == 0 and weeks["2026-W48"].response_rate is None


def test_the_previous_period_is_compared(world):
    data = overview(world["maker"].id, scope_of(world["maker"]))
    prev = data.previous
    assert (prev.published, prev.claimed, prev.never_claimed, prev.won) == (2, 1, 1, 1)
    assert prev.response_rate == pytest.approx(0.5) and prev.sla_compliance == 1.0
    assert prev.won_revenue == {"EUR": Decimal("1000.00")}
    changes = {c.key: c for c in data.changes}
    assert changes["published"].delta == 5 and changes["published"].direction == "up"
    assert changes["sla_compliance"].delta == pytest.approx(-0.5)
    assert changes["leakage_rate"].delta == pytest.approx(2 / 7 - 0.5)
    assert changes["contact_minutes_median"].delta == pytest.approx(300 - 60)
    revenue = {c.key: c for c in data.revenue_changes}
    assert revenue["EUR"].delta == Decimal("19000.00") and revenue["USD"].previous == Decimal("0.00")


@pytest.mark.parametrize(
    ("args", "published"),
    [
        ({"partner": "gold"}, 2),
        ({"partner": "silver"}, 1),
        ({"tier": "gold"}, 1),
        ({"tier": "registered"}, 1),
        ({"country": "at"}, 1),
        ({"region": "NW"}, 1),
        ({"product_line": "pumps"}, 1),
        ({"campaign": "fair"}, 2),
        ({"temperature": "hot"}, 1),
        ({"country": "DE", "campaign": "fair", "temperature": "hot"}, 1),
    ],
)
def test_each_filter(world, args, published):
    ids = {"gold": world["gold"].id, "silver": world["silver"].id, "pumps": world["pumps"].id}
    ids["fair"] = world["fair"].id
    ids_of = ("partner", "product_line", "campaign")
    resolved = {key: str(ids[value] if key in ids_of else value) for key, value in args.items()}
    data = overview(world["maker"].id, scope_of(world["maker"], **resolved))
    assert data.current.published == published


def test_a_filtered_overview_keeps_the_definitions(world):
    data = overview(world["maker"].id, scope_of(world["maker"], campaign=str(world["fair"].id)))
    cur = data.current
    assert (cur.claimed, cur.won, cur.lost, cur.first_contact_missed) == (2, 1, 1, 1)
    assert cur.won_revenue == {"EUR": Decimal("20000.00")}
    assert cur.response_rate == 1.0 and cur.sla_compliance == 0.5 and cur.leakage_rate == 0.0


def test_a_custom_period_and_months(world):
    maker = world["maker"]
    custom = overview(
        maker.id, scope_of(maker, period="custom", **{"from": "2026-10-06", "to": "2026-11-04"})
    )
    assert custom.current.published == 2 and custom.previous.published == 0
    year = overview(maker.id, scope_of(maker, period="custom", **{"from": "2026-01-01", "to": "2026-12-31"}))
    assert year.trend.unit == "month" and len(year.trend.points) == 12
    months = {p.key: p.published for p in year.trend.points}
    assert (months["2026-10"], months["2026-11"], months["2026-12"]) == (2, 4, 3)


def test_nothing_decided_is_no_figure(app):
    maker = f.manufacturer("Empty")
    db.session.commit()
    data = overview(maker.id, scope_of(maker))
    assert data.empty and data.current.published == 0
    cur = data.current
    for value in (cur.response_rate, cur.sla_compliance, cur.leakage_rate, cur.claim_minutes_median):
        assert value is None
    assert all(s.conversion is None for s in data.funnel) and cur.won_revenue == {}


def test_the_read_model_rebuilt_from_rows(app):
    """Leads built with the factories (no events): ``facts.rebuild`` makes their rows."""
    maker = f.manufacturer("Rebuilt")
    partner = f.partner(maker)
    with clock.frozen(NOW):
        claimed = f.lead(maker, status=LeadStatus.OFFERED, published_at=NOW - timedelta(hours=3))
        f.claim(
            f.offer(claimed, partner, visible_from=NOW - timedelta(hours=3)),
            claimed_at=NOW - timedelta(hours=2),
        )
        f.lead(maker, status=LeadStatus.UNCLAIMED, published_at=NOW - timedelta(hours=3))
        facts.rebuild(maker.id)
        db.session.commit()
        data = overview(maker.id, periods.parse({}, maker))
    assert (data.current.published, data.current.claimed, data.current.never_claimed) == (2, 1, 1)
    assert data.current.claim_minutes_median == pytest.approx(60)
    assert (
        overview(maker.id, periods.parse({"partner": str(partner.id)}, maker, NOW.date())).current.published
        == 1
    )


# --- the page, the CSV and the API ------------------------------------------------------------------


def get(client, user, url):
    with clock.frozen(NOW):
        return f.login(client, user).get(url)


def test_the_page(client, world):
    html = get(client, world["manager"], "/manage/analytics").get_data(as_text=True)
    assert 'data-testid="value-published">7<' in html
    assert "▲ +5 vs previous period" in html
    assert "▼ −50 pts vs previous period" in html  # SLA compliance 100 % -> 50 %
    assert "€20,000" in html and "$5,000" in html
    assert html.count("<svg") >= 5 and "<figcaption" in html
    assert "50–70 %" in html
    assert 'data-step="claimed"' in html and 'data-bucket="2026-W47"' in html
    assert "Their campaign" not in html and "Their Partner" not in html
    for part in ("figures", "funnel", "distribution", "trend"):
        assert f"part={part}" in html
    assert "50–70 % a push model" in html
    assert 'class="nav-link active"' in html and ">Overview</a>" in html  # the analytics tabs
    dashboard = get(client, world["manager"], "/manage/").get_data(as_text=True)
    assert "/manage/analytics" in dashboard
    # the period before has no data: its figures show "–" with the reason, as markup
    html = get(client, world["manager"], "/manage/analytics?period=custom&from=2026-10-06&to=2026-11-04")
    html = html.get_data(as_text=True)
    assert "&lt;" not in html and "Previous period: <abbr" in html and "no comparison" in html


def test_the_page_shows_bad_input_in_the_form(client, world):
    response = get(client, world["manager"], "/manage/analytics?period=custom&from=2026-12-10&to=2026-12-01")
    assert response.status_code == 200
    assert "The end is before the start." in response.get_data(as_text=True)
    response = get(client, world["manager"], "/manage/analytics?tier=diamond&partner=x")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Choose one of" in html and "Not an id" in html
    assert get(client, world["manager"], "/manage/analytics/overview.csv?period=custom").status_code == 400


def test_the_empty_programme(client, app):
    maker = f.manufacturer("Nothing Yet")
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    response = get(client, manager, "/manage/analytics")
    assert response.status_code == 200 and 'data-testid="empty-state"' in response.get_data(as_text=True)
    assert get(client, manager, "/manage/analytics/overview.csv").status_code == 200


def read_csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_csv_has_the_numbers_of_the_page_and_the_api(client, world):
    url = f"/manage/analytics/overview.csv?campaign={world['fair'].id}"
    response = get(client, world["manager"], url)
    assert response.headers["Content-Disposition"].startswith('attachment; filename="overview-figures-')
    rows = {row[0]: row for row in read_csv(response)}
    assert rows["scope.campaign"][2].startswith("'=cmd")  # escaped against formula injection
    assert rows["scope.period"][2] == "2026-11-05/2026-12-04"
    assert rows["published"][2:] == ["2", "0", "2"]
    assert rows["sla_compliance"][2] == "0.5" and rows["sla_compliance"][3] == ""
    assert rows["breaches.first_contact"][2] == "1"
    assert rows["won_revenue.EUR"][2:4] == ["20000.00", "0.00"]
    token = issue_token(world["manager"], "api", TokenScope.READ).plaintext
    db.session.commit()
    with clock.frozen(NOW):
        api = client.get(
            f"/api/v1/analytics/overview?campaign={world['fair'].id}",
            headers={"Authorization": f"Bearer {token}"},
        ).get_json()
    for key in ("published", "claimed", "won", "contacted_in_sla"):
        assert int(rows[key][2]) == api["current"][key]
    assert float(rows["leakage_rate"][2]) == pytest.approx(api["current"]["leakage_rate"])
    funnel = read_csv(get(client, world["manager"], url + "&part=funnel"))
    assert [row[0] for row in funnel[1:]] == [s["key"] for s in api["funnel"]]
    assert [int(row[2]) for row in funnel[1:]] == [s["count"] for s in api["funnel"]]
    trend = read_csv(get(client, world["manager"], url + "&part=trend"))
    assert trend[0][0] == "week" and [int(r[2]) for r in trend[1:]] == [
        p["published"] for p in api["trend"]["points"]
    ]
    distribution = read_csv(get(client, world["manager"], "/manage/analytics/overview.csv?part=distribution"))
    assert [row[2] for row in distribution[1:]] == ["1", "2", "1", "0", "0", "1"]
    assert get(client, world["manager"], "/manage/analytics/overview.csv?part=nope").status_code == 404


def api_get(client, user, query=""):
    token = issue_token(user, "api", TokenScope.READ).plaintext
    db.session.commit()
    with clock.frozen(NOW):
        return client.get(f"/api/v1/analytics/overview{query}", headers={"Authorization": f"Bearer {token}"})


def test_the_api(client, world):
    response = api_get(client, world["manager"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["scope"]["period"] == {
        "period": "30d",
        "from": "2026-11-05",
        "to": "2026-12-04",
        "timezone": "Europe/Berlin",
    }
    assert body["scope"]["previous"]["from"] == "2026-10-06" and body["scope"]["filters"] == {}
    cur = body["current"]
    assert cur["published"] == 7 and cur["response_rate"] == pytest.approx(5 / 6)
    assert cur["won_revenue"] == [
        {"currency": "EUR", "amount": "20000.00"},
        {"currency": "USD", "amount": "5000.00"},
    ]
    assert cur["breaches"] == {"first_contact": 2, "next_update": 1, "claim": 3}
    assert body["previous"]["published"] == 2
    assert body["leakage"]["rate"] == pytest.approx(2 / 7) and body["leakage"]["push_model_low"] == 0.5
    assert body["distributions"]["claim"][0] == {"bucket": "15m", "count": 1, "share": pytest.approx(0.2)}
    assert body["trend"]["unit"] == "week" and body["trend"]["points"][2]["key"] == "2026-W47"
    filtered = api_get(client, world["manager"], "?tier=gold&period=custom&from=2026-11-01&to=2026-11-30")
    assert filtered.get_json()["current"]["published"] == 1
    assert filtered.get_json()["scope"]["filters"] == {"tier": "gold"}


@pytest.mark.parametrize(
    "query",
    ["?period=custom&from=2026-12-10&to=2026-12-01", "?period=custom", "?period=week", "?tier=diamond"],
)
def test_the_api_refuses_bad_arguments(client, world, query):
    assert api_get(client, world["manager"], query).status_code == 422


def test_another_programmes_ids_show_nothing_of_theirs(client, world):
    maker = world["maker"]
    assert overview(maker.id, scope_of(maker, campaign=str(world["theirs"].id))).current.published == 0
    assert overview(maker.id, scope_of(maker, partner=str(world["their_partner"].id))).current.published == 0
    # the pages, downloads and API answer 404, as for any other programme's id
    url = f"/manage/analytics/overview.csv?campaign={world['theirs'].id}&partner={world['their_partner'].id}"
    assert get(client, world["manager"], url).status_code == 404
    assert api_get(client, world["manager"], f"?campaign={world['theirs'].id}").status_code == 404
    # and the other programme sees its own lead only
    other = overview(world["other"].id, scope_of(world["other"]))
    assert other.current.published == 1


@pytest.mark.parametrize("role", [Role.MANUFACTURER_ADMIN, Role.CHANNEL_MANAGER])
def test_the_manufacturer_roles_see_it(client, world, role):
    user = f.user(world["maker"], role)
    db.session.commit()
    assert get(client, user, "/manage/analytics").status_code == 200
    assert "manage/analytics" in get(client, user, "/manage/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.PARTNER_REP])
def test_partners_do_not(client, world, role):
    user = f.user(world["gold"], role)
    db.session.commit()
    assert get(client, user, "/manage/analytics").status_code in (403, 404)
    assert get(client, user, "/manage/analytics/overview.csv").status_code in (403, 404)
    assert api_get(client, user).status_code == 403


def test_the_nav_has_analytics(client, world):
    html = get(client, world["manager"], "/manage/leads").get_data(as_text=True)
    assert 'href="/manage/analytics"' in html
    assert date(2026, 11, 5).isoformat() not in html  # the nav links without a scope
