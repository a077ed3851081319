"""In a real browser: a manufacturer admin opens Settings -> Team, invites a channel manager (the link
is shown once), is told why another organisation's address cannot be invited, and changes a role."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from exchange.models import Role, User
from exchange.platform.extensions import db
from tests import factories as f
from tests.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def maker(app):
    org = f.manufacturer("Acme Pumps")
    f.user(org, Role.MANUFACTURER_ADMIN, email="boss@acme.test")
    f.user(f.manufacturer("Rival Valves"), Role.CHANNEL_MANAGER, email="cm@rival.test")
    db.session.commit()
    return org


def _member(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_manufacturer_admin_invites_a_channel_manager(page, live_server, maker):
    sign_in(page, live_server, "boss@acme.test", lands_on="/manage/")
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("link", name="Team").click()
    page.wait_for_url(f"{live_server}/manage/team")

    page.get_by_label("Name").fill("Carla Channel")
    page.get_by_label("E-mail").fill("cm@rival.test")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("This address belongs to an account in another organisation")).to_be_visible()

    page.get_by_label("E-mail").fill("carla@acme.test")
    page.get_by_label("Role", exact=True).select_option(label="Channel manager")
    page.get_by_role("button", name="Invite").click()
    link = page.get_by_test_id("invitation-url").input_value()
    assert "/invite/" in link
    carla = _member("carla@acme.test")
    assert carla.role == Role.CHANNEL_MANAGER and carla.password_hash is None

    row = page.locator('[data-testid="member-row"][data-email="carla@acme.test"]')
    expect(row).to_contain_text("Invited")
    row.get_by_label("Role of Carla Channel").select_option(label="Manufacturer admin")
    row.get_by_role("button", name="Change").click()
    expect(page.get_by_text("Carla Channel is now Manufacturer admin.")).to_be_visible()
    assert _member("carla@acme.test").role == Role.MANUFACTURER_ADMIN
    assert page.get_by_test_id("invitation-url").count() == 0  # shown only once
