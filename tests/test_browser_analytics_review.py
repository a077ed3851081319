"""In a real browser at 1280 px: the wide partner table scrolls inside its box, the page does not
(the "–" reasons, visually hidden and absolutely positioned, escaped the table's scroll box)."""

from __future__ import annotations

import pytest

from exchange.demo.builder import seed_demo
from exchange.demo.data import DEMO_PASSWORD
from exchange.platform import unit_of_work
from tests.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app, run_jobs):
    seed_demo(partners=24, leads=160)
    unit_of_work.checkpoint()
    run_jobs()


def test_the_partner_table_scrolls_inside_its_box_at_1280_px(page, live_server, demo):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, "channel.manager@demo.test", DEMO_PASSWORD, lands_on="/manage/")
    page.goto(f"{live_server}/manage/analytics/partners?period=90d")
    assert page.evaluate("document.querySelector('.table-responsive').scrollWidth") > 1280  # it is wide
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
