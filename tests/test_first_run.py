"""The first run of an installation: ``flask orgs create-manufacturer`` and the ``/setup`` page."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

import matching
from exchange import create_app
from exchange.accounts.first_run import setup_token, setup_token_matches
from exchange.models import (
    DEFAULT_SLA_POLICIES,
    Event,
    Organisation,
    OrgKind,
    OutboxJob,
    Role,
    SlaPolicy,
    User,
)
from exchange.platform.event_types import AuditEvent
from exchange.platform.extensions import db
from exchange.web.setup import announce_at_start
from tests import factories as f

LINK = re.compile(r"https?://\S+/invite/\S+")
PASSWORD = "violet tractor umbrella 42"


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def _create(app, *extra: str, name: str = "Acme Pumps", admin: str = "Anna.Berg@Acme.test"):
    return _cli(app, "orgs", "create-manufacturer", name, "--admin", admin, *extra)


def _organisations() -> list[Organisation]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Organisation).order_by(Organisation.id)))


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


# --- the command line -------------------------------------------------------------------------------


def test_create_manufacturer_on_an_empty_database(app, client, make_client, smtp_server, run_jobs):
    result = _create(
        app,
        "--admin-name",
        "Anna Berg",
        "--timezone",
        "Europe/Berlin",
        "--currency",
        "chf",
        "--base-url",
        "https://leads.example.com",
    )
    assert result.exit_code == 0, result.output
    [org] = _organisations()
    assert (org.kind, org.name, org.slug, org.timezone) == (
        OrgKind.MANUFACTURER,
        "Acme Pumps",
        "acme-pumps",
        "Europe/Berlin",
    )
    assert org.program.currency == "CHF"
    assert org.program.matching_weights == dict(matching.DEFAULT_WEIGHTS)
    policies = db.session.scalars(sa.select(SlaPolicy).where(SlaPolicy.manufacturer_id == org.id)).all()
    assert {policy.temperature for policy in policies} == set(DEFAULT_SLA_POLICIES)

    admin = _user("anna.berg@acme.test")
    assert admin.role == Role.MANUFACTURER_ADMIN and admin.name == "Anna Berg"
    assert admin.password_hash is None and admin.organisation_id == org.id
    [event] = db.session.scalars(sa.select(Event).where(Event.type == AuditEvent.ORGANISATION_CREATED)).all()
    assert event.manufacturer_id == org.id and event.data["admin_email"] == "anna.berg@acme.test"

    # The invitation is queued (the outbox holds the user id, never the link) and mailed.
    [job] = db.session.scalars(sa.select(OutboxJob).where(OutboxJob.task == "accounts.send_password_link"))
    assert job.args[0] == admin.id and "invite" not in str(job.args[2:])
    run_jobs()
    [mail] = [m for m in smtp_server.messages if m.recipients == ["anna.berg@acme.test"]]
    mailed = LINK.search(mail.message.get_body(("plain",)).get_content()).group(0)
    assert mailed.startswith("https://leads.example.com/invite/")

    printed = LINK.search(result.output).group(0)
    assert printed.startswith("https://leads.example.com/invite/")
    assert "Created manufacturer Acme Pumps" in result.output
    page = client.get(_path(printed))
    assert page.status_code == 200 and "Welcome to Acme Pumps" in page.get_data(as_text=True)
    chosen = client.post(_path(printed), data={"new_password": PASSWORD, "confirm": PASSWORD})
    assert chosen.status_code == 302 and chosen.headers["Location"].startswith("/manage")
    assert client.get("/manage/").status_code == 200
    # The link worked once; the mailed one died with it.
    assert make_client().get(_path(printed)).status_code == 404
    assert make_client().get(_path(mailed)).status_code == 404
    weights = client.get("/manage/matching").get_data(as_text=True)
    assert 'value="30.00"' in weights  # specialty's default weight, 30 %


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--timezone", "Mars/Olympus"), "Mars/Olympus is not a time zone"),
        (("--currency", "EURO"), "EURO is not an ISO 4217 currency code"),
        (("--currency", "XYZ"), "XYZ is not an ISO 4217 currency code"),
    ],
)
def test_create_manufacturer_refuses_bad_input_and_creates_nothing(app, extra, message):
    result = _create(app, *extra)
    assert result.exit_code == 1
    assert message in result.output
    assert _organisations() == [] and _user("anna.berg@acme.test") is None


def test_create_manufacturer_refuses_a_used_email_a_bad_email_and_a_taken_slug(app):
    f.user(f.partner(name="Bavaria Systems"), Role.PARTNER_ADMIN, email="anna.berg@acme.test")
    db.session.commit()
    taken = _create(app)
    assert taken.exit_code == 1
    assert "anna.berg@acme.test already belongs to a user of this installation." in taken.output
    malformed = _create(app, admin="not-an-address")
    assert malformed.exit_code == 1 and "not-an-address is not an e-mail address." in malformed.output
    assert _create(app, "--slug", "acme", admin="first@acme.test").exit_code == 0
    again = _create(app, "--slug", "acme", admin="second@acme.test", name="Acme Two")
    assert again.exit_code == 1 and "The short name acme is taken." in again.output
    assert [org.name for org in _organisations()] == ["Bavaria Systems", "Acme Pumps"]
    assert _user("second@acme.test") is None


def test_orgs_list(app):
    assert "No organisations yet" in _cli(app, "orgs", "list").output
    assert _create(app, "--slug", "acme").exit_code == 0
    f.partner(name="Bavaria Systems", slug="bavaria")
    db.session.commit()
    output = _cli(app, "orgs", "list").output
    assert re.search(r"manufacturer\s+acme\s+1\s+Acme Pumps", output)
    assert re.search(r"partner\s+bavaria\s+0\s+Bavaria Systems", output)


# --- the setup token ----------------------------------------------------------------------------------


def test_the_setup_token_is_derived_from_the_secret_key(app, tmp_path):
    token = setup_token()
    assert re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){5}", token)
    assert setup_token_matches(token) and setup_token_matches(f"  {token.upper().replace('-', ' ')} ")
    assert (
        not setup_token_matches(token[:-1]) and not setup_token_matches("") and not setup_token_matches(None)
    )
    base = {"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]}
    same = create_app(base | {"SECRET_KEY": app.config["SECRET_KEY"]})  # another worker, a restart
    other = create_app(base | {"SECRET_KEY": "another installation"})
    with same.app_context():
        assert setup_token() == token
    with other.app_context():
        assert setup_token() != token


def test_an_empty_installation_logs_where_to_set_it_up(app, caplog):
    caplog.set_level(logging.WARNING)
    announce_at_start(app)
    assert f"/setup and enter the setup token {setup_token()}" in caplog.text
    caplog.clear()
    f.manufacturer("Acme Pumps")
    db.session.commit()
    announce_at_start(app)
    assert "setup token" not in caplog.text


# --- the setup page -----------------------------------------------------------------------------------


def _setup(client, **data):
    values = {
        "token": setup_token(),
        "name": "Acme Pumps",
        "timezone": "Europe/Vienna",
        "currency": "EUR",
        "admin_name": "Anna Berg",
        "email": "anna@acme.test",
        "password": PASSWORD,
        "confirm": PASSWORD,
    } | data
    return client.post("/setup", data=values)


def test_the_start_page_leads_to_setup_only_while_no_organisation_exists(app, client, caplog):
    caplog.set_level(logging.WARNING)
    start = client.get("/")
    assert start.status_code == 302 and start.headers["Location"] == "/setup"
    page = client.get("/setup")
    assert page.status_code == 200 and 'name="token"' in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert setup_token() in caplog.text  # each visit logs the hint
    assert setup_token() not in page.get_data(as_text=True)  # the page never shows it

    f.manufacturer("Acme Pumps")
    db.session.commit()
    assert client.get("/").headers["Location"].startswith("/login")
    assert client.get("/setup").status_code == 404
    assert _setup(client).status_code == 404
    assert _user("anna@acme.test") is None


def test_a_wrong_setup_token_is_refused_on_its_field(app, client):
    response = _setup(client, token="abcd-efgh-ijkl-mnop-qrst-uvwx")
    assert response.status_code == 403
    assert "This is not the setup token." in response.get_data(as_text=True)
    assert _organisations() == []


def test_the_setup_page_creates_the_programme_and_signs_the_admin_in(app, client):
    response = _setup(client)
    assert response.status_code == 302 and response.headers["Location"] == "/manage/"
    [org] = _organisations()
    assert (org.name, org.timezone, org.program.currency) == ("Acme Pumps", "Europe/Vienna", "EUR")
    assert org.program.matching_weights == dict(matching.DEFAULT_WEIGHTS)
    admin = _user("anna@acme.test")
    assert admin.role == Role.MANUFACTURER_ADMIN and admin.password_hash
    dashboard = client.get("/manage/")
    assert dashboard.status_code == 200 and "Acme Pumps is set up." in dashboard.get_data(as_text=True)
    [event] = db.session.scalars(sa.select(Event).where(Event.type == AuditEvent.ORGANISATION_CREATED)).all()
    assert event.actor_user_id == admin.id and event.manufacturer_id == org.id
    # No invitation e-mail: the admin chose a password on the page.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxJob)) == 0
    assert client.get("/setup").status_code == 404
    assert client.post("/login", data={"email": "anna@acme.test", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"timezone": "Europe/Atlantis"}, "Europe/Atlantis is not a time zone"),
        ({"currency": "EUX"}, "EUX is not an ISO 4217 currency code"),
        ({"password": "anna@acme.test1", "confirm": "anna@acme.test1"}, "must not be your e-mail address"),
        ({"confirm": "something else"}, "The passwords do not match."),
        ({"email": "nobody"}, "Not an e-mail address."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_setup_mistakes_are_shown_on_the_field_and_create_nothing(app, client, data, field_message):
    response = _setup(client, **data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r"is-invalid[^>]*>\s*(<[^>]+>\s*)*", page)
    assert field_message in page
    assert _organisations() == [] and _user("anna@acme.test") is None


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_the_setup_form_needs_the_csrf_token(app, client):
    assert 'name="csrf_token"' in client.get("/setup").get_data(as_text=True)
    assert _setup(client).status_code == 400
    assert _organisations() == []


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
def test_setup_token_guesses_are_rate_limited(app, client):
    for _ in range(3):
        assert _setup(client, token="wrong").status_code == 403
    limited = _setup(client)
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert _organisations() == []


def test_the_served_banner_says_how_to_begin(app, capsys):
    from exchange.cli import _how_to_begin
    from exchange.demo.data import DEMO_LOGINS

    _how_to_begin("http://127.0.0.1:5055")
    assert (
        f"Open http://127.0.0.1:5055/setup and enter the setup token {setup_token()}"
        in capsys.readouterr().out
    )
    f.manufacturer("Acme Pumps", slug="acme")
    db.session.commit()
    _how_to_begin("http://127.0.0.1:5055")
    assert capsys.readouterr().out == ""  # an own programme: no demo logins, no setup
    org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == "acme"))
    f.user(org, Role.MANUFACTURER_ADMIN, email=DEMO_LOGINS[0].email)
    db.session.commit()
    _how_to_begin("http://127.0.0.1:5055")
    assert "Demo logins" in capsys.readouterr().out
