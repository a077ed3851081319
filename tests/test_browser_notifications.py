"""In a real browser: the bell counts unread notifications, the page marks them read; fifty leads
published at once are one entry for the rep; a partner admin registers a webhook endpoint and sees its
secret once.

``UPDATE_SCREENSHOTS=1`` also writes docs/screenshots/notifications-grouped.png (1280 px wide)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from exchange.accounts import organisations
from exchange.accounts import users as accounts
from exchange.leads import lifecycle as leads
from exchange.models import ProductLine, Role, Temperature
from exchange.notify.notifications import publish_event
from exchange.platform.extensions import db
from tests import factories as f
from tests.browser import sign_in

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

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
    sign_in(page, live_server, "rep@bavaria.test", lands_on="/portal/")
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
    sign_in(page, live_server, "admin@bavaria.test", lands_on="/portal/")
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


@pytest.fixture
def fifty_published(app, run_jobs):
    """The demo's partner (Bavaria, all of Germany and Austria) with its admin and rep, and a
    manufacturer that publishes fifty warm and cold leads for it in one go."""
    maker = f.manufacturer("Demo Maker AG", timezone="Europe/Berlin")
    line = db.session.scalar(sa.select(ProductLine).where(ProductLine.manufacturer_id == maker.id))
    partner = organisations.create_partner(
        "Demo Partner GmbH",
        coverage=[("DE", None, None), ("AT", None, None), ("DE", "BY", None)],
        industries=["Manufacturing", "Chemicals", "Utilities"],
        slug="demo-partner",
        timezone="Europe/Berlin",
        employees=45,
        capacity=40,
    )
    organisations.enroll(maker, partner, product_lines=[line])
    for email, name, role in (
        ("partner.admin@demo.test", "Paula Partner", Role.PARTNER_ADMIN),
        ("partner.rep@demo.test", "Ralf Rep", Role.PARTNER_REP),
    ):
        accounts.create_user(partner, email=email, name=name, role=role, password=f.PASSWORD)
    drafts = [
        f.lead(
            maker,
            product_line_id=line.id,
            temperature=Temperature.WARM if n % 3 else Temperature.COLD,
            industry=["Manufacturing", "Chemicals", "Utilities"][n % 3],
        )
        for n in range(50)
    ]
    leads.publish_leads(None, drafts)
    db.session.commit()
    run_jobs()  # matching offers them to the partner; the notifications job tells its users


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_fifty_leads_published_at_once_are_one_entry_for_the_rep(
    page, live_server, fifty_published, tmp_path
):
    page.set_viewport_size({"width": 1280, "height": 720})
    sign_in(page, live_server, "partner.rep@demo.test", lands_on="/portal/")
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    page.get_by_test_id("bell").click()
    page.wait_for_url(f"{live_server}/notifications/")
    entries = page.get_by_test_id("notification")
    expect(entries).to_have_count(1)
    expect(entries).to_have_attribute("data-count", "50")
    expect(entries).to_contain_text("50 new leads waiting for you")
    expect(entries).not_to_contain_text("New warm lead")
    expect(page.get_by_text("Page 1 of")).to_have_count(0)

    shot = tmp_path / "notifications-grouped.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOTS / "notifications-grouped.png")

    entries.get_by_role("link", name="50 new leads waiting for you").click()
    page.wait_for_url(f"{live_server}/portal/")
    expect(page.get_by_test_id("offer-row")).to_have_count(25)  # the pull list's first page
