"""In a real browser, with the demo data: the channel manager opens Analytics, changes the period and a
filter, opens a partner's scorecard from its name in the partner table, and downloads a CSV.

``UPDATE_SCREENSHOTS=1`` also writes docs/screenshots/analytics-overview.png and
partner-scorecard.png (1280 px wide)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from exchange.demo.builder import seed_demo
from exchange.demo.data import DEMO_PASSWORD
from exchange.platform import unit_of_work
from tests.browser import sign_in

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


UPDATE = os.environ.get("UPDATE_SCREENSHOTS") == "1"


@pytest.fixture
def demo(app, run_jobs):
    # The pictures for docs/ show the whole demo (`make run`'s); the check alone needs a small one.
    seed_demo() if UPDATE else seed_demo(partners=24, leads=160)
    unit_of_work.checkpoint()
    run_jobs()  # matching, notifications: what `flask seed-demo` drains


def test_channel_manager_reads_the_overview_a_scorecard_and_downloads_a_csv(
    page, live_server, demo, tmp_path
):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, "channel.manager@demo.test", DEMO_PASSWORD, lands_on="/manage/")
    page.get_by_role("link", name="Analytics", exact=True).first.click()  # the navigation bar
    page.wait_for_url(f"{live_server}/manage/analytics")
    expect(page.get_by_test_id("value-published")).not_to_have_text("0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # fits the window
    target = SCREENSHOTS if UPDATE else tmp_path
    target.mkdir(parents=True, exist_ok=True)

    # Another period and a filter: the figures follow, the form keeps what was chosen.
    form = page.get_by_test_id("scope-form")
    form.get_by_label("Period").select_option("year")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=year**")
    page.screenshot(path=str(target / "analytics-overview.png"), full_page=True)
    year_published = int(page.get_by_test_id("value-published").inner_text().replace(",", ""))
    form = page.get_by_test_id("scope-form")
    form.get_by_label("Temperature").select_option("hot")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url("**temperature=hot**")
    expect(page.get_by_test_id("scope-form").get_by_label("Temperature")).to_have_value("hot")
    expect(page.get_by_test_id("scope-form").get_by_label("Period")).to_have_value("year")
    hot_published = int(page.get_by_test_id("value-published").inner_text().replace(",", ""))
    assert 0 < hot_published < year_published
    expect(page.get_by_test_id("funnel")).to_contain_text(str(hot_published))

    # The CSV of the figures: a download with a byte-order mark and the same count.
    with page.expect_download() as download:
        page.get_by_test_id("csv-figures").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert "published" in text and str(hot_published) in text

    # Back to every temperature; the partner table keeps the scope; a partner's name opens its scorecard.
    form = page.get_by_test_id("scope-form")
    form.get_by_label("Temperature").select_option("")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=year**")
    assert "temperature=hot" not in page.url
    page.get_by_role("navigation", name="Analytics").get_by_role("link", name="Partners").click()
    page.wait_for_url("**/manage/analytics/partners**")
    page.locator("a[data-sort=claims]").click()  # the most claims first
    page.wait_for_url("**sort=claims**")
    row = page.get_by_test_id("partner-row").first
    name = row.get_by_role("link").first.inner_text()
    row.get_by_role("link", name=name).click()
    page.wait_for_url("**/manage/analytics/partners/**")
    expect(page.get_by_test_id("partner-name")).to_contain_text(name)
    expect(page.get_by_test_id("figures")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(target / "partner-scorecard.png"), full_page=True)
