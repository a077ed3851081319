"""In a real browser: a rep pulls a filtered list, opens a lead, claims it, logs a call, marks it won."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from exchange import clock
from exchange.extensions import db
from exchange.models import LeadStatus, Role, Temperature
from tests import factories as f
from tests.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def offers(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test")
    for n, temperature in enumerate([Temperature.HOT, Temperature.WARM, Temperature.COLD]):
        lead = f.lead(
            maker,
            status=LeadStatus.OFFERED,
            current_wave=1,
            temperature=temperature,
            company_name=f"Hidden Buyer {n}",
            contact_email=f"buyer{n}@hidden.example",
            industry=["Chemicals", "Retail", "Energy"][n],
        )
        f.offer(
            lead,
            partner,
            score=0.9 - n / 10,
            visible_from=clock.now(),
            claim_deadline=clock.now() + timedelta(hours=2),
            explanation="Product line match",
        )
    db.session.commit()


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_rep_filters_claims_calls_and_wins(page, live_server, offers):
    sign_in(page, live_server, "rep@bavaria.test", lands_on="/portal/")
    expect(page.get_by_test_id("offer-row")).to_have_count(3)
    expect(page.get_by_text("Hidden Buyer 0")).to_have_count(0)  # no company before the claim

    page.get_by_label("Temperature").select_option("hot")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("offer-row")).to_have_count(1)
    expect(page.get_by_test_id("offer-row")).to_contain_text("Chemicals")
    expect(page.get_by_test_id("offer-row")).to_contain_text("left")  # the countdown runs

    page.get_by_role("link", name="Open offer").click()
    expect(page.get_by_test_id("why")).to_contain_text("Product line match")
    expect(page.get_by_text("buyer0@hidden.example")).to_have_count(0)
    page.get_by_test_id("claim").click()

    expect(page.get_by_text("The lead is yours")).to_be_visible()
    expect(page.get_by_test_id("contact")).to_contain_text("buyer0@hidden.example")
    expect(page.get_by_test_id("next-deadline")).to_contain_text("First contact within")

    contact = page.get_by_role("form", name="Log contact")
    contact.get_by_label("How").select_option("call")
    contact.get_by_label("Note").fill("Spoke to the plant manager")
    contact.get_by_role("button", name="Log contact").click()
    expect(page.get_by_text("Contact logged.")).to_be_visible()
    expect(page.get_by_test_id("lead-status")).to_have_text("contacted")

    status = page.get_by_role("form", name="Update status")
    status.get_by_label("New status").select_option("won")
    status.get_by_label("Amount won").fill("18500")
    status.get_by_role("button", name="Update status").click()
    expect(page.get_by_text("Status updated.")).to_be_visible()
    expect(page.get_by_test_id("lead-status")).to_have_text("won")
    expect(page.get_by_test_id("history")).to_contain_text("First contact logged")

    page.get_by_role("link", name="My leads").click()
    page.get_by_role("link", name="All").click()
    expect(page.get_by_test_id("claim-row")).to_contain_text("Hidden Buyer 0")
