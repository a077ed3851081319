"""In a real browser under the Content-Security-Policy: the pages whose scripts moved out of the
templates still work (a select that submits its form, the profile's new coverage row, the API docs),
and the browser reports no blocked script."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from exchange.models import Role
from exchange.platform.extensions import db
from tests import factories as f
from tests.browser import sign_in

pytestmark = pytest.mark.browser


def test_pages_work_under_the_content_security_policy(page, live_server, app):
    maker = f.manufacturer("Acme Pumps")
    f.user(maker, Role.MANUFACTURER_ADMIN, email="admin@acme.test")
    f.partner(maker, "Bavaria Systems")
    db.session.commit()
    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message.text),
    )

    sign_in(page, live_server, "admin@acme.test", lands_on="/manage/")
    page.goto(f"{live_server}/manage/partners")
    with page.expect_navigation():
        page.get_by_label("Tier").select_option(index=1)  # data-autosubmit: no onchange attribute
    assert "tier=" in page.url

    page.goto(f"{live_server}/api/docs")
    expect(page.locator(".swagger-ui .information-container")).to_be_visible(timeout=15000)
    assert violations == []
