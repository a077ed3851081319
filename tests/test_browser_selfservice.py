"""In a real browser: a partner admin edits the profile (a new coverage row, the capacity) and creates
an API token, which is shown once and works against the API."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect

from exchange.models import ApiToken, PartnerProfile, Role
from exchange.platform.extensions import db
from exchange.platform.jobs import registry
from tests import factories as f
from tests.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def partner(app, monkeypatch):
    monkeypatch.setitem(registry.TASKS, "partners.rematch", "tests.test_profile:record_rematch")
    maker = f.manufacturer("Acme Pumps")
    org = f.partner(maker, "Bavaria Systems", coverage=[("DE", "BY", None)])
    f.user(org, Role.PARTNER_ADMIN, email="admin@bavaria.test")
    db.session.commit()
    return org


def _sign_in(page, base):
    sign_in(page, base, "admin@bavaria.test", lands_on="/portal/")


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_partner_admin_edits_the_profile_and_creates_a_token(page, live_server, partner):
    _sign_in(page, live_server)
    page.get_by_role("link", name="Profile").click()
    page.wait_for_url(f"{live_server}/portal/profile")
    assert page.get_by_label("Country of row 1").input_value() == "DE"

    # A new row with a mistake first: the message names the row, nothing is saved.
    page.get_by_role("button", name="Add coverage row").click()
    page.get_by_label("Country of row 3").fill("XX")
    page.get_by_role("spinbutton", name="Capacity").fill("25")
    page.get_by_role("button", name="Save profile").click()
    problems = page.get_by_test_id("profile-problems")
    assert "Coverage row 3: unknown country 'XX'." in problems.inner_text()
    assert page.get_by_role("spinbutton", name="Capacity").input_value() == "25"  # what was typed stays

    page.get_by_label("Country of row 3").fill("AT")
    page.get_by_label("Region of row 3").fill("W")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(f"{live_server}/portal/profile")
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    assert page.get_by_label("Country of row 2").input_value() == "AT"
    assert page.get_by_label("Region of row 2").input_value() == "W"
    assert page.get_by_role("spinbutton", name="Capacity").input_value() == "25"
    db.session.expire_all()
    profile = db.session.get(PartnerProfile, partner.id)
    assert profile.capacity == 25
    assert [(a.country, a.region) for a in profile.coverage] == [("DE", "BY"), ("AT", "W")]

    # A token for the CRM: shown once, with a copy button.
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Scope").select_option(label="Read and write")
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_test_id("token-value")
    token = shown.input_value()
    assert token.startswith("lx_")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    prefix = db.session.scalar(sa.select(ApiToken.prefix))
    assert token.startswith(f"lx_{prefix}_")

    page.goto(f"{live_server}/portal/tokens")
    assert page.get_by_test_id("token-value").count() == 0  # never shown again
    assert token not in page.content()
    row = page.get_by_test_id("token-row")
    assert "CRM sync" in row.inner_text() and f"lx_{prefix}_" in row.inner_text()

    # The token works for a program (no browser cookies): it reads the profile just saved.
    response = requests.get(
        f"{live_server}/api/v1/partner/profile", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json()["capacity"] == 25
