"""In a real browser: a manufacturer admin uploads a file, changes one column's mapping, watches the
progress bar finish and downloads the rejected rows."""

from __future__ import annotations

import csv

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from exchange.models import Lead, Role
from exchange.platform.extensions import db
from tests import factories as f
from tests.browser import sign_in, upload_for_preview

pytestmark = pytest.mark.browser

ROWS = [
    ["Id", "Company", "Email", "Country", "Employees", "Interne Notiz"],
    *[
        [f"B-{n}", f"Firm {n}", f"contact{n}@firm.example", "Germany", str(10 * n), f"note {n}"]
        for n in range(1, 9)
    ],
    ["B-9", "Broken Ltd", "broken@", "UK", "12", "bad e-mail"],
    ["B-10", "", "nobody@firm.example", "DE", "3", "no company"],
    ["B-11", "Firm 11", "contact11@firm.example", "Narnia", "many", "=1+1"],
]


@pytest.fixture
def admin(app):
    maker = f.manufacturer("Acme Pumps")
    user = f.user(maker, Role.MANUFACTURER_ADMIN, email="boss@acme.test")
    db.session.commit()
    return user


@pytest.mark.app_config(WTF_CSRF_ENABLED=True, LEAD_IMPORT_BATCH_SIZE=2)
def test_upload_map_watch_progress_and_download_rejected_rows(page, live_server, admin, run_jobs, tmp_path):
    sign_in(page, live_server, "boss@acme.test", lands_on="/manage/")

    page.goto(f"{live_server}/manage/leads")
    page.get_by_role("link", name="Import leads").click()
    upload_for_preview(page, ROWS, "crm-export.csv", run_jobs)

    # The preview shows the detected mapping; "Interne Notiz" is not recognised: map it to the notes.
    preview = page.get_by_test_id("preview")
    expect(preview.get_by_text("Firm 1", exact=True)).to_be_visible()
    notes = page.get_by_label("Field for column Interne Notiz")
    assert notes.input_value() == ""
    assert page.get_by_label("Field for column Company").input_value() == "company_name"
    notes.select_option("description")
    page.get_by_role("button", name="Start import").click()

    run_jobs()  # the in-process runner, or an RQ worker when the suite runs on Redis
    page.get_by_test_id("import-done").wait_for(timeout=20_000)
    bar = page.get_by_test_id("progress")
    assert bar.get_attribute("aria-valuenow") == "100"
    assert page.get_by_test_id("progress-text").inner_text().startswith("11 / 11 rows")
    counts = {
        key: page.locator(f"[data-count={key}]").inner_text() for key in ("rows", "created", "rejected")
    }
    assert counts == {"rows": "11", "created": "8", "rejected": "3"}
    expect(page.get_by_text("Not a valid e-mail address: broken@")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_test_id("download-rejected").click()
    download = download_info.value
    assert download.suggested_filename == "crm-export-rejected-rows.csv"
    path = tmp_path / "rejected.csv"
    download.save_as(path)
    rejected = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert [r[0] for r in rejected] == ["row", "10", "11", "12"]
    assert rejected[1][1] == "Email: Not a valid e-mail address: broken@"
    assert rejected[2][1] == "Company: Missing: every lead needs this."
    assert rejected[3][1].startswith("Country: Unknown country: Narnia")
    assert "Employees: Not a whole number: many" in rejected[3][1]
    assert rejected[3][-1] == "'=1+1"

    db.session.expire_all()
    firm = db.session.scalar(sa.select(Lead).where(Lead.source_id == "B-3"))
    assert (firm.description, firm.employees, firm.country) == ("note 3", 30, "DE")
