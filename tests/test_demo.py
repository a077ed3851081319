"""``flask seed-demo``: the data set, its idempotence, and that each demo login reaches its own area."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange.demo import DEMO_LOGINS, DEMO_PASSWORD
from exchange.extensions import db
from exchange.models import Enrollment, Lead, Organisation, OrgKind, Temperature, User


@pytest.fixture
def seeded(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_seed_demo_creates_the_documented_data_set(seeded):
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
    assert _count(User) == 4


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


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=[login.email for login in DEMO_LOGINS])
def test_each_demo_login_reaches_its_own_area_and_is_refused_the_others(app, seeded, login):
    client = app.test_client()
    response = client.post("/login", data={"email": login.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = HOME[login.email]
    assert response.headers["Location"].endswith(home)
    assert client.get(home).status_code == 200
    other = "/portal/" if home == "/manage/" else "/manage/"
    assert client.get(other).status_code == 403


def test_demo_publishes_most_leads_through_the_engine(app, seeded):
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
