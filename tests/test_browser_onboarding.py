"""In a real browser, from an empty database: a manufacturer starts its programme (on the command line,
or on the setup page with the setup token), its admin accepts the invitation, and the programme fills."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from exchange.accounts.first_run import setup_token
from exchange.models import Organisation, Role, User
from exchange.platform.extensions import db
from tests.browser import sign_in

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/invite/\S+")
ADMIN_PASSWORD = "violet tractor umbrella 42"


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _mailed_link(smtp_server, to: str) -> str:
    """The invitation link of the last e-mail to ``to``."""
    [*_, message] = [m for m in smtp_server.messages if m.recipients == [to]]
    return LINK.search(message.message.get_body(("plain",)).get_content()).group(0)


def _choose_password(page, base: str, link: str, password: str, *, lands_on: str) -> None:
    page.goto(f"{base}{_path(link)}")
    page.get_by_label("New password").fill(password)
    page.get_by_label("Repeat the password").fill(password)
    page.get_by_role("button", name="Save password and sign in").click()
    page.wait_for_url(f"{base}{lands_on}")


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_the_first_run_in_the_browser_needs_the_setup_token(page, live_server):
    page.goto(f"{live_server}/")
    page.wait_for_url(f"{live_server}/setup")
    page.get_by_label("Setup token").fill("not-the-token")
    page.get_by_label("Company name").fill("Acme Pumps")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Currency").fill("EUR")
    page.get_by_label("Your name").fill("Anna Berg")
    page.get_by_label("E-mail").fill("anna@acme.test")
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_label("Repeat the password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Create the programme and sign in").click()
    expect(page.get_by_text("This is not the setup token.")).to_be_visible()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0

    page.get_by_label("Setup token").fill(setup_token().upper())
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)  # password fields come back empty
    page.get_by_label("Repeat the password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Create the programme and sign in").click()
    page.wait_for_url(f"{live_server}/manage/")
    expect(page.get_by_text("Acme Pumps is set up. Welcome, Anna Berg!")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_have_text("Anna Berg")

    page.goto(f"{live_server}/setup")
    expect(page.get_by_role("heading", name="404")).to_be_visible()
    db.session.expire_all()
    admin = db.session.scalar(sa.select(User).where(User.email == "anna@acme.test"))
    assert admin.role == Role.MANUFACTURER_ADMIN and admin.organisation.name == "Acme Pumps"
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "anna@acme.test", ADMIN_PASSWORD, lands_on="/manage/")
