"""In a real browser: a manufacturer admin opens the partner directory, uploads a partner list, maps
the column it could not recognise, starts with invitations, watches the progress bar finish and
reads the summary with the rejected row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from exchange.models import Enrollment, Role
from exchange.platform.extensions import db
from tests import factories as f
from tests.browser import sign_in, upload_for_preview

pytestmark = pytest.mark.browser

ROWS = [
    ["Id", "Name", "BillingCountry", "Partner_Tier__c", "Boss", "Coverage_Areas__c"],
    *[[f"001P{n}", f"Partner {n} GmbH", "Germany", "Gold", f"admin{n}@p{n}.example", "DE-BY; DE 80*"]
      for n in range(1, 6)],
    ["001P6", "Broken AG", "Germany", "Diamond", "admin6@p6.example", "DE"],
]  # fmt: skip


@pytest.mark.app_config(WTF_CSRF_ENABLED=True, LEAD_IMPORT_BATCH_SIZE=2)
def test_upload_map_start_and_read_the_summary(page, live_server, app, run_jobs):
    maker = f.manufacturer("Acme Pumps")
    f.user(maker, Role.MANUFACTURER_ADMIN, email="boss@acme.test")
    db.session.commit()
    sign_in(page, live_server, "boss@acme.test", lands_on="/manage/")

    page.goto(f"{live_server}/manage/partners")
    page.get_by_test_id("import-partners").click()
    expect(page.get_by_test_id("coverage-syntax")).to_be_visible()
    upload_for_preview(page, ROWS, "accounts.csv", run_jobs)

    expect(page.get_by_test_id("preview").get_by_text("Partner 1 GmbH", exact=True)).to_be_visible()
    assert page.get_by_label("Field for column Partner_Tier__c").input_value() == "tier"
    boss = page.get_by_label("Field for column Boss")
    assert boss.input_value() == ""
    boss.select_option("admin_email")
    expect(
        page.get_by_label("Send each new partner admin an invitation when the import runs")
    ).to_be_checked()
    page.get_by_role("button", name="Start import").click()

    run_jobs()
    page.get_by_test_id("import-done").wait_for(timeout=20_000)
    assert page.get_by_test_id("progress").get_attribute("aria-valuenow") == "100"
    counts = {
        key: page.locator(f"[data-count={key}]").inner_text() for key in ("rows", "created", "rejected")
    }
    assert counts == {"rows": "6", "created": "5", "rejected": "1"}
    errors = page.get_by_test_id("errors")
    expect(errors.get_by_role("cell", name="Partner_Tier__c")).to_be_visible()
    expect(errors.get_by_text("Unknown tier 'Diamond'", exact=False)).to_be_visible()
    expect(page.get_by_test_id("download-rejected")).to_be_visible()

    db.session.expire_all()
    invited = db.session.scalars(sa.select(Enrollment).where(Enrollment.manufacturer_id == maker.id)).all()
    assert sorted(e.invited_email for e in invited) == [f"admin{n}@p{n}.example" for n in range(1, 6)]
    assert all(e.invited_at is not None for e in invited)
