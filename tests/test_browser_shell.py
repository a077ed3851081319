"""In a real browser: each demo role signs in, sees its own navigation, is refused the other area."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from exchange.models import Role
from exchange.platform.extensions import db
from tests import factories as f
from tests.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def people(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    users = {
        "maker": f.user(maker, Role.MANUFACTURER_ADMIN, email="boss@acme.test"),
        "rep": f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test"),
    }
    f.lead(maker, company_name="Visible Lead Co")
    db.session.commit()
    return users


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_manufacturer_signs_in_sees_its_area_and_signs_out(page, live_server, people):
    sign_in(page, live_server, "boss@acme.test", lands_on="/manage/")
    assert page.get_by_test_id("lead-count").inner_text() == "1"
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_role("link", name="Programme settings")).to_be_visible()
    page.get_by_role("link", name="Leads", exact=True).click()
    expect(page.get_by_role("link", name="Visible Lead Co")).to_be_visible()
    response = page.goto(f"{live_server}/portal/")
    assert response.status == 403
    page.goto(f"{live_server}/manage/")
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("whoami")).to_contain_text("Acme Pumps")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/login")
    expect(page.get_by_text("You are signed out")).to_be_visible()


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_partner_rep_signs_in_and_is_refused_the_back_office(page, live_server, people):
    sign_in(page, live_server, "rep@bavaria.test", lands_on="/portal/")
    assert page.get_by_test_id("whoami").inner_text().startswith("User")
    assert page.get_by_role("link", name="Team").count() == 0  # reps do not manage the team
    assert page.goto(f"{live_server}/manage/").status == 403


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_wrong_password_shows_an_error(page, live_server, people):
    sign_in(page, live_server, "boss@acme.test", "wrong password")
    expect(page.get_by_text("E-mail or password is not correct")).to_be_visible()
