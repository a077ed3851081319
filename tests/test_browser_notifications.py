"""In a real browser: the bell counts unread notifications, the page marks them read; a partner admin
registers a webhook endpoint and sees its secret once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from exchange.extensions import db
from exchange.models import Role
from exchange.services.notifications import publish_event
from tests import factories as f
from tests.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def people(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    offer = f.offer(f.lead(maker, industry="Food"), partner)
    users = {
        "rep": f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test"),
        "admin": f.user(partner, Role.PARTNER_ADMIN, email="admin@bavaria.test"),
    }
    publish_event("offer.created", offer=offer)
    publish_event("offer.expiring", offer=offer)
    db.session.commit()
    return users


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_the_bell_counts_unread_and_the_page_marks_them_read(page, live_server, people):
    sign_in(page, live_server, "rep@bavaria.test")
    page.wait_for_url(f"{live_server}/portal/")
    expect(page.get_by_test_id("unread-count")).to_have_text("2")
    page.get_by_test_id("bell").click()
    page.wait_for_url(f"{live_server}/notifications/")
    expect(page.get_by_test_id("notification")).to_have_count(2)
    expect(page.get_by_text("Claim window closing")).to_be_visible()
    page.get_by_role("button", name="Mark read").first.click()
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    expect(page.locator('[data-testid="notification"][data-unread="true"]')).to_have_count(1)
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    expect(page.locator('[data-testid="notification"][data-unread="true"]')).to_have_count(0)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_partner_admin_registers_a_webhook_and_sees_the_secret_once(page, live_server, people):
    sign_in(page, live_server, "admin@bavaria.test")
    page.wait_for_url(f"{live_server}/portal/")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Endpoint URL").fill("http://crm.bavaria.example/hook")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Webhooks are delivered over HTTPS only")).to_be_visible()
    page.get_by_label("Endpoint URL").fill("https://crm.bavaria.example/hook")
    page.get_by_label("lead.claimed").uncheck()
    page.get_by_role("button", name="Save").click()
    secret = page.get_by_test_id("webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    page.get_by_role("link", name="Continue to the endpoint").click()
    expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
    assert secret not in page.content()
    expect(page.get_by_label("lead.claimed")).not_to_be_checked()
    expect(page.get_by_label("offer.created")).to_be_checked()
