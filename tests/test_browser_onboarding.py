"""In a real browser, from an empty database: a manufacturer starts its programme (on the command line,
or on the setup page with the setup token); the acceptance journey of issue 12: its admin accepts the
invitation, invites a channel manager, imports 50 partners from a Salesforce Account export, one
partner admin accepts and completes its profile, leads are imported and published and the partner's
rep sees them offered; a second manufacturer invites the same partner, it accepts, and each
manufacturer sees only its own."""

from __future__ import annotations

import csv
import io
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


# --- the acceptance journey ---------------------------------------------------------------------------

HERO = 7  # the partner (row 7 of the list) whose admin accepts, completes its profile and gets offers
PARTNER_HEADER = [
    "Id",
    "Name",
    "BillingCountry",
    "BillingState",
    "BillingPostalCode",
    "NumberOfEmployees",
    "Industry",
    "Website",
    "Partner_Tier__c",
    "Partner_Admin_Email__c",
    "Partner_Coverage__c",
]


def _partner_rows() -> list[list[str]]:
    """A Salesforce Account export of 50 partners; the hero's coverage is left for its admin."""
    tiers = ["Gold", "Silver", "Registered", "Platinum"]
    rows = [PARTNER_HEADER]
    for n in range(1, 51):
        country, state, postal = (
            ("Germany", "Bayern", f"80{n:03d}") if n % 2 else ("Austria", "Wien", f"1{n:03d}")
        )
        rows.append(
            [
                f"001S{n:06d}",
                f"Partner {n:02d} GmbH",
                country,
                state,
                postal,
                str(5 + n),
                "Industrial Machinery",
                f"partner{n}.example",
                tiers[n % 4],
                f"admin@partner{n}.test",
                "" if n == HERO else ("DE-BY; DE 9*" if n % 2 else "AT"),
            ]
        )
    return rows


def _lead_rows() -> list[list[str]]:
    return [
        ["Id", "Company", "Email", "Country", "State", "Postal Code", "Employees", "Rating"],
        *[
            [
                f"L-{n}",
                f"Customer {n}",
                f"buyer{n}@customer{n}.example",
                "DE",
                "BY",
                f"80{n:03d}",
                "120",
                "Hot",
            ]
            for n in range(1, 11)
        ],
    ]


def _start_programme(app, base: str, name: str, admin: str, *extra: str) -> str:
    """``flask orgs create-manufacturer`` in-process; returns the invitation link it printed."""
    result = app.test_cli_runner().invoke(
        args=["orgs", "create-manufacturer", name, "--admin", admin, "--base-url", base, *extra]
    )
    assert result.exit_code == 0, result.output
    return LINK.search(result.output).group(0)


def _upload(page, rows: list[list[str]], file_name: str, run_jobs) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    page.get_by_label("CSV or Excel file").set_input_files(
        files=[{"name": file_name, "mimeType": "text/csv", "buffer": buffer.getvalue().encode()}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/imports/**")
    run_jobs()  # reading the upload; the page shows the preview when it is read
    page.get_by_test_id("mapping-form").wait_for(timeout=20_000)


def _finish_import(page, run_jobs) -> dict[str, str]:
    page.get_by_role("button", name="Start import").click()
    run_jobs()
    page.get_by_test_id("import-done").wait_for(timeout=30_000)
    return {key: page.locator(f"[data-count={key}]").inner_text() for key in ("rows", "created", "rejected")}


def _directory_names(page, base: str) -> list[str]:
    page.goto(f"{base}/manage/partners")
    return [
        row.locator("td").first.locator("a").inner_text()
        for row in page.get_by_test_id("directory-row").all()
    ]


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_programme_from_an_empty_database_to_offers_and_a_second_programme(
    app, live_server, page, new_context, smtp_server, run_jobs
):
    app.config["PUBLIC_URL"] = live_server  # links in e-mails point at this server
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0

    # 1. The manufacturer starts on the command line; its admin accepts the invitation in the browser.
    link = _start_programme(app, live_server, "Acme Pumps", "anna@acme.test", "--timezone", "Europe/Berlin")
    run_jobs()
    assert _mailed_link(smtp_server, "anna@acme.test").startswith(f"{live_server}/invite/")
    _choose_password(page, live_server, link, ADMIN_PASSWORD, lands_on="/manage/")
    expect(page.get_by_test_id("user-menu")).to_have_text("Anna")

    # 2. She invites a channel manager, who accepts.
    page.goto(f"{live_server}/manage/team")
    page.get_by_label("Name", exact=True).fill("Chris Channel")
    page.get_by_label("E-mail").fill("chris@acme.test")
    page.get_by_label("Role").select_option(label="Channel manager")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_test_id("invitation-link")).to_be_visible()
    run_jobs()
    manager = new_context().new_page()
    _choose_password(
        manager,
        live_server,
        _mailed_link(smtp_server, "chris@acme.test"),
        "quiet harbour lantern 7",
        lands_on="/manage/",
    )
    manager.goto(f"{live_server}/manage/partners")
    expect(manager.get_by_text("No partners in your programme yet.")).to_be_visible()

    # 3. She imports 50 partners from a Salesforce Account export; every new partner admin is invited.
    page.goto(f"{live_server}/manage/partners/imports")
    _upload(page, _partner_rows(), "salesforce-accounts.csv", run_jobs)
    assert page.get_by_label("Field for column Partner_Tier__c").input_value() == "tier"
    assert page.get_by_label("Field for column Partner_Admin_Email__c").input_value() == "admin_email"
    assert page.get_by_label("Field for column Partner_Coverage__c").input_value() == "coverage"
    assert _finish_import(page, run_jobs) == {"rows": "50", "created": "50", "rejected": "0"}
    run_jobs()  # the invitations
    assert {m.recipients[0] for m in smtp_server.messages} >= {f"admin@partner{n}.test" for n in range(1, 51)}
    assert sorted(_directory_names(page, live_server)) == [f"Partner {n:02d} GmbH" for n in range(1, 51)]
    expect(page.get_by_test_id("partner-count")).to_have_text("50 partners")
    manager.goto(f"{live_server}/manage/partners")  # the channel manager follows the directory too
    expect(manager.get_by_test_id("partner-count")).to_have_text("50 partners")

    # 4. One partner admin accepts and completes its profile: coverage and capacity.
    hero = new_context().new_page()
    _choose_password(
        hero,
        live_server,
        _mailed_link(smtp_server, f"admin@partner{HERO}.test"),
        "amber meadow falcon 19",
        lands_on="/portal/",
    )
    hero.goto(f"{live_server}/portal/profile")
    hero.get_by_label("Country of row 1").fill("DE")
    hero.get_by_label("Region of row 1").fill("BY")
    hero.get_by_role("spinbutton", name="Capacity").fill("20")
    hero.get_by_role("button", name="Save profile").click()
    expect(hero.get_by_text("Profile saved.")).to_be_visible()
    # ... and invites a rep, who will work the offers.
    hero.goto(f"{live_server}/portal/team")
    hero.get_by_label("Name", exact=True).fill("Rita Rep")
    hero.get_by_label("E-mail").fill("rita@partner7.test")
    hero.get_by_role("button", name="Invite").click()
    run_jobs()
    rep = new_context().new_page()
    _choose_password(
        rep,
        live_server,
        _mailed_link(smtp_server, "rita@partner7.test"),
        "copper violin meadow 3",
        lands_on="/portal/",
    )
    expect(rep.get_by_test_id("offer-row")).to_have_count(0)

    # 5. The manufacturer imports and publishes leads; the partner's rep sees them offered.
    page.goto(f"{live_server}/manage/imports")
    page.get_by_label("Publish the created leads when the import is done").check()
    _upload(page, _lead_rows(), "leads.csv", run_jobs)
    assert _finish_import(page, run_jobs)["created"] == "10"
    run_jobs()  # matching
    rep.goto(f"{live_server}/portal/")
    expect(rep.get_by_test_id("offer-row")).to_have_count(10)
    expect(rep.get_by_test_id("programme").first).to_have_text("Acme Pumps")

    # 6. A second manufacturer invites the same partner by its admin's e-mail; the partner accepts.
    second = new_context().new_page()
    link = _start_programme(app, live_server, "Borealis Heat", "bo@borealis.test", "--currency", "SEK")
    _choose_password(second, live_server, link, "northern glacier piano 5", lands_on="/manage/")
    second.goto(f"{live_server}/manage/partners/new")
    second.get_by_label("Company").fill("Our installer in Munich")
    second.get_by_label("Country").select_option("DE")
    second.get_by_label("Admin's e-mail").fill(f"admin@partner{HERO}.test")
    second.get_by_role("button", name="Add partner").click()
    second.wait_for_url(f"{live_server}/manage/partners/**")
    expect(second.get_by_test_id("status")).to_have_text(re.compile("invited", re.IGNORECASE))
    # Until the partner accepts, the second manufacturer sees only what it typed.
    assert f"Partner {HERO:02d} GmbH" not in second.content()
    run_jobs()

    hero.goto(f"{live_server}/portal/programmes")
    invitation = hero.get_by_test_id("invitation-row")
    expect(invitation).to_have_count(1)
    expect(invitation.locator("td").first).to_have_text("Borealis Heat")
    invitation.get_by_role("button", name="Accept").click()
    expect(hero.get_by_test_id("programme-row")).to_have_count(2)
    expect(hero.get_by_test_id("invitation-row")).to_have_count(0)

    # 7. Each manufacturer sees only its own programme.
    assert _directory_names(second, live_server) == [f"Partner {HERO:02d} GmbH"]
    second.goto(f"{live_server}/manage/leads")
    expect(second.get_by_text("Customer 1", exact=True)).to_have_count(0)
    page.goto(f"{live_server}/manage/partners?q=Partner {HERO:02d}")
    expect(page.get_by_test_id("directory-row")).to_have_count(1)
    page.goto(f"{live_server}/manage/partners")
    expect(page.get_by_test_id("partner-count")).to_have_text("50 partners")
    assert "Borealis" not in page.content()
    page.goto(f"{live_server}/manage/leads")
    expect(page.get_by_text("Customer 1", exact=True)).to_have_count(1)
    # The partner's page on each side names only that side's programme.
    for viewer, own, other in ((page, "Acme Pumps", "Borealis"), (second, "Borealis Heat", "Acme")):
        viewer.goto(f"{live_server}/manage/partners")
        viewer.get_by_role("link", name=f"Partner {HERO:02d} GmbH").click()
        expect(viewer.get_by_test_id("partner-name")).to_contain_text(f"Partner {HERO:02d} GmbH")
        expect(viewer.get_by_test_id("user-menu")).to_be_visible()
        assert other not in viewer.content(), f"{own} sees {other} on the partner's page"
