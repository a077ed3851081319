"""Notification preferences on the account page."""

from __future__ import annotations

import pytest

from exchange.models import DigestFrequency, Role, User
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def rep(app):
    user = f.user(f.partner(f.manufacturer()), Role.PARTNER_REP)
    db.session.commit()
    return user


def _saved(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_account_page_shows_the_choices_and_that_hot_leads_always_notify(client, rep):
    f.login(client, rep)
    page = client.get("/account").get_data(as_text=True)
    assert '<input checked class="form-check-input" id="notify-email_notifications"' in page
    assert '<option selected value="immediate">' in page
    assert "Hot leads always notify you immediately" in page


def test_notification_settings_are_saved(client, rep):
    f.login(client, rep)
    response = client.post("/account", data={"notify-digest_frequency": "daily", "notify-submit": "y"})
    assert response.status_code == 302
    assert "Your notification settings are saved." in client.get("/account").get_data(as_text=True)
    user = _saved(rep.id)
    assert user.email_notifications is False  # the box was not ticked
    assert user.digest_frequency == DigestFrequency.DAILY
    client.post(
        "/account",
        data={"notify-email_notifications": "y", "notify-digest_frequency": "hourly", "notify-submit": "y"},
    )
    user = _saved(rep.id)
    assert (user.email_notifications, user.digest_frequency) == (True, DigestFrequency.HOURLY)


def test_unknown_frequency_is_refused(client, rep):
    f.login(client, rep)
    response = client.post("/account", data={"notify-digest_frequency": "weekly", "notify-submit": "y"})
    assert response.status_code == 200
    assert "Not a valid choice." in response.get_data(as_text=True)
    assert _saved(rep.id).digest_frequency == DigestFrequency.IMMEDIATE


def test_other_account_forms_leave_notification_settings_alone(client, rep):
    f.login(client, rep)
    client.post(
        "/account",
        data={"prefs-name": "Renamed", "prefs-timezone": "", "prefs-locale": "", "prefs-submit": "y"},
    )
    user = _saved(rep.id)
    assert user.name == "Renamed"
    assert (user.email_notifications, user.digest_frequency) == (True, DigestFrequency.IMMEDIATE)
