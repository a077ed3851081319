"""``flask seed-demo``: the data set, its idempotence, and that each demo login reaches its own area."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange.demo.data import DEMO_LOGINS, DEMO_PASSWORD
from exchange.models import Enrollment, Lead, Organisation, OrgKind, Temperature, User
from exchange.platform.extensions import db


@pytest.fixture
def seeded(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_seed_demo_creates_the_documented_data_set(app, seeded):
    """One seed (it takes a while), checked for the documented set, the engine's offers and history."""
    assert "maker.admin@demo.test" in seeded.output and DEMO_PASSWORD in seeded.output
    slugs = set(
        db.session.scalars(sa.select(Organisation.slug).where(Organisation.kind == OrgKind.MANUFACTURER))
    )
    assert slugs == {"demo-maker", "demo-maker-2"}
    assert _count(Organisation, Organisation.kind == OrgKind.PARTNER) == 200
    assert _count(Lead) == 2000
    temperatures = set(db.session.scalars(sa.select(Lead.temperature).distinct()))
    assert temperatures == set(Temperature)
    countries = set(db.session.scalars(sa.select(Lead.country).distinct()))
    assert {"DE", "US"} <= countries
    assert _count(Enrollment) >= 200
    # The demo logins, and an admin for each of the 199 generated partners (the rest are history's).
    assert _count(User, User.is_active_user.is_(True)) == 4 + 199
    # One partner admin in ten has not accepted the invitation (no password, never signed in).
    assert _count(User, User.password_hash.is_not(None)) == 4 + 179
    assert _count(User, User.last_login_at.is_(None), User.is_active_user.is_(True)) == 20
    _publishes_most_leads_through_the_engine(app)
    _partners_have_a_home_and_one_is_paused()
    _partners_have_a_track_record(seeded)
    _published_leads_keep_their_temperature()
    _analytics_show_differences()


def _partners_have_a_home_and_one_is_paused():
    """Partners have a country and region (their public holidays count); one of the first maker's
    partners is paused for about ten days and has no open offer, and the coverage-gap page names it."""
    from exchange.models import Offer, OfferState, PartnerProfile
    from exchange.partners.availability import partners_without_offers, paused_clause

    assert _count(PartnerProfile, PartnerProfile.country.is_(None)) == 0
    assert _count(PartnerProfile, PartnerProfile.region.is_not(None)) > 150
    [paused] = db.session.scalars(sa.select(PartnerProfile).where(paused_clause())).all()
    assert paused.pause_reason and paused.paused_until is not None
    maker = db.session.scalar(sa.select(Organisation).where(Organisation.slug == "demo-maker"))
    assert paused.partner_id in {p.partner_id for p in partners_without_offers(maker.id)}
    assert _count(Offer, Offer.partner_id == paused.partner_id, Offer.state == OfferState.OPEN) == 0


def _analytics_show_differences():
    """The analytics pages have something to show: a lead_facts row per published lead (kept by the
    hook), 13 months of history, good and bad partners, a campaign that pays back and one that does
    not."""
    from exchange.models import Campaign, LeadFact

    maker = db.session.scalar(sa.select(Organisation).where(Organisation.slug == "demo-maker"))
    published = _count(Lead, Lead.published_at.is_not(None))
    assert published > 1000 and _count(LeadFact) == published
    first, last = db.session.execute(
        sa.select(sa.func.min(LeadFact.published_at), sa.func.max(LeadFact.published_at)).where(
            LeadFact.manufacturer_id == maker.id
        )
    ).one()
    assert (last - first).days >= 365
    per_partner = db.session.execute(
        sa.select(
            LeadFact.claimed_partner_id,
            sa.func.count(),
            sa.func.sum(sa.case((LeadFact.won_at.is_not(None), 1), else_=0)),
            sa.func.sum(LeadFact.first_contact_missed + LeadFact.recycled + LeadFact.returned),
        )
        .where(LeadFact.manufacturer_id == maker.id, LeadFact.claimed_partner_id.is_not(None))
        .group_by(LeadFact.claimed_partner_id)
    ).all()
    assert any(won >= 3 and trouble == 0 for _, _, won, trouble in per_partner)  # good partners
    assert any(trouble >= 3 and won == 0 for _, _, won, trouble in per_partner)  # bad ones
    assert _count(LeadFact, LeadFact.recycled > 0) > 0 and _count(LeadFact, LeadFact.returned > 0) > 0
    assert _count(LeadFact, LeadFact.update_breaches > 0) > 0
    revenue = dict(
        db.session.execute(
            sa.select(Campaign.name, sa.func.coalesce(sa.func.sum(LeadFact.won_amount), 0) - Campaign.cost)
            .outerjoin(LeadFact, LeadFact.campaign_id == Campaign.id)
            .where(Campaign.manufacturer_id == maker.id)
            .group_by(Campaign.id, Campaign.name, Campaign.cost)
        ).all()
    )
    assert revenue["Partner referrals"] > 0 > revenue["Hannover Messe"]  # pays back / does not
    currencies = db.session.scalars(
        sa.select(LeadFact.won_currency).where(
            LeadFact.manufacturer_id == maker.id, LeadFact.won_at.is_not(None)
        )
    ).all()
    assert currencies and currencies.count("EUR") / len(currencies) > 0.9


def _published_leads_keep_their_temperature():
    """The first timer run after the seed cools nothing: the offers just sent (and their "new hot
    lead" notifications and hot claim windows) keep matching the lead's temperature."""
    from exchange.leads.qualification import cool_unworked_leads

    assert cool_unworked_leads()["cooled"] == 0


def _partners_have_a_track_record(seeded):
    """One lead in ten was worked to an end weeks ago: claimed, contacted, won or lost, some declined."""
    from datetime import timedelta

    from exchange.models import Claim, ClaimStatus, Offer, OfferState
    from exchange.platform import clock

    closed = _count(Claim, Claim.status.in_([ClaimStatus.WON, ClaimStatus.LOST]))
    assert closed >= 150
    assert _count(Claim, Claim.claimed_at > clock.now()) == 0
    assert _count(Claim, Claim.claimed_at < clock.now() - timedelta(days=30)) > 0
    assert _count(Offer, Offer.state == OfferState.DECLINED) > 0
    figures = [
        e.responsiveness for e in db.session.scalars(sa.select(Enrollment)) if e.responsiveness.get("offers")
    ]
    assert len(figures) >= 50
    assert len({f["claim_minutes_median"] for f in figures if f.get("claim_minutes_median") is not None}) > 10
    assert "leads worked to an end" in seeded.output


def test_seed_demo_is_idempotent(app, seeded):
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "0 leads created" in again.output
    assert _count(Lead) == 2000
    assert _count(Organisation, Organisation.kind == OrgKind.PARTNER) == 200


HOME = {
    "maker.admin@demo.test": "/manage/",
    "channel.manager@demo.test": "/manage/",
    "partner.admin@demo.test": "/portal/",
    "partner.rep@demo.test": "/portal/",
}


def test_each_demo_login_reaches_its_own_area_and_is_refused_the_others(app, seeded):
    for login in DEMO_LOGINS:
        client = app.test_client()
        response = client.post("/login", data={"email": login.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login.email
        home = HOME[login.email]
        assert response.headers["Location"].endswith(home)
        assert client.get(home).status_code == 200
        other = "/portal/" if home == "/manage/" else "/manage/"
        assert client.get(other).status_code == 403


def _publishes_most_leads_through_the_engine(app):
    from exchange.models import LeadStatus, Offer, OfferState

    offered = _count(
        Lead, Lead.status.in_([LeadStatus.OFFERED, LeadStatus.CLAIMED, LeadStatus.CONTACTED, LeadStatus.WON])
    )
    assert offered >= 1200  # of 1,600 published; the rest wait in the coverage gaps
    partners_with_offers = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Offer.partner_id))).where(Offer.state == OfferState.OPEN)
    )
    assert partners_with_offers >= 50
    client = app.test_client()
    client.post("/login", data={"email": "partner.rep@demo.test", "password": DEMO_PASSWORD})
    page = client.get("/portal/").get_data(as_text=True)
    assert page.count('data-testid="offer-row"') >= 5
    assert "My leads" in page
    assert client.get("/portal/leads").get_data(as_text=True).count('data-testid="claim-row"') >= 3
