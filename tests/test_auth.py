"""Sign-in with the real form, sessions, password changes, roles."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange.accounts.passwords import hash_password, verify_password
from exchange.models import User
from exchange.platform.extensions import db
from tests import factories as f
from tests.helpers import csrf_token, post_account_form


def change_password(client, current: str, new: str):
    """The account page's password form, the new password typed twice."""
    return post_account_form(client, "pw", current_password=current, new_password=new, confirm=new)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_login_form_signs_in_and_redirects_home(client, maker_admin):
    token = csrf_token(client)
    response = client.post(
        "/login", data={"csrf_token": token, "email": " admin@maker.TEST ", "password": f.PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/manage/")
    assert client.get("/manage/").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, maker_admin.id).last_login_at is not None


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_login_without_csrf_token_is_refused(client, maker_admin):
    response = client.post("/login", data={"email": "admin@maker.test", "password": f.PASSWORD})
    assert response.status_code == 400
    assert client.get("/manage/").status_code == 302


def test_wrong_password_and_unknown_email_look_the_same(client, maker_admin):
    wrong = client.post("/login", data={"email": "admin@maker.test", "password": "nope nope nope"})
    unknown = client.post("/login", data={"email": "nobody@maker.test", "password": "nope nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert "E-mail or password is not correct" in wrong.get_data(as_text=True)
    assert "E-mail or password is not correct" in unknown.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(client, maker_admin):
    maker_admin.is_active_user = False
    db.session.commit()
    response = client.post("/login", data={"email": "admin@maker.test", "password": f.PASSWORD})
    assert response.status_code == 401


def test_next_parameter_cannot_redirect_off_site(client, maker_admin):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            f"/login?next={target}", data={"email": "admin@maker.test", "password": f.PASSWORD}
        )
        assert response.headers["Location"].endswith("/manage/"), target
        client.post("/logout")
    response = client.post(
        "/login?next=/manage/partners", data={"email": "admin@maker.test", "password": f.PASSWORD}
    )
    assert response.headers["Location"].endswith("/manage/partners")


def test_logout_is_a_post_and_ends_the_session(client, maker_admin):
    f.login(client, maker_admin)
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/manage/").status_code == 302


def test_password_is_stored_as_argon2_hash(app, maker_admin):
    assert maker_admin.password_hash.startswith("$argon2id$")
    assert f.PASSWORD not in maker_admin.password_hash
    assert verify_password(maker_admin.password_hash, f.PASSWORD)
    assert not verify_password(maker_admin.password_hash, "wrong")
    assert not verify_password("not-a-hash", f.PASSWORD)
    assert hash_password("x" * 10) != hash_password("x" * 10)  # salted


def test_changing_the_password_ends_other_sessions(app, make_client, maker_admin):
    laptop, phone = make_client(), make_client()
    for browser in (laptop, phone):
        response = browser.post("/login", data={"email": "admin@maker.test", "password": f.PASSWORD})
        assert response.status_code == 302
    response = change_password(laptop, f.PASSWORD, "a brand new password")
    assert response.status_code == 302
    assert laptop.get("/manage/").status_code == 200  # the session that changed it stays
    assert phone.get("/manage/").status_code == 302  # every other one is over
    # and the new password works, the old one does not
    fresh = make_client()
    assert fresh.post("/login", data={"email": "admin@maker.test", "password": f.PASSWORD}).status_code == 401
    assert (
        fresh.post(
            "/login", data={"email": "admin@maker.test", "password": "a brand new password"}
        ).status_code
        == 302
    )


def test_wrong_current_password_changes_nothing(client, maker_admin):
    f.login(client, maker_admin)
    before = maker_admin.password_hash
    response = change_password(client, "wrong one!", "another password")
    assert response.status_code == 200
    assert "The current password is not correct" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, maker_admin.id).password_hash == before


def test_preferences_validate_the_time_zone(client, maker_admin):
    f.login(client, maker_admin)
    bad = post_account_form(client, "prefs", name="A", timezone="Mars/Olympus", locale="")
    assert "Unknown time zone" in bad.get_data(as_text=True)
    good = post_account_form(client, "prefs", name="A", timezone="Europe/Berlin", locale="de")
    assert good.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, maker_admin.id)
    assert (user.timezone, user.locale) == ("Europe/Berlin", "de")


def test_session_from_before_deactivation_stops_working(client, maker_admin):
    f.login(client, maker_admin)
    assert client.get("/manage/").status_code == 200
    db.session.execute(sa.update(User).where(User.id == maker_admin.id).values(is_active_user=False))
    db.session.commit()
    assert client.get("/manage/").status_code == 302


def test_bearer_token_authenticates_api_only(client, app, maker_admin):
    from exchange.accounts.tokens import issue_token
    from exchange.models import TokenScope

    issued = issue_token(maker_admin, "crm", TokenScope.READ)
    db.session.commit()
    headers = {"Authorization": f"Bearer {issued.plaintext}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["email"] == "admin@maker.test"
    assert client.get("/manage/", headers=headers).status_code == 302  # no session from a token
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer lx_nope_nope"}).status_code == 401
    stored = issued.token.secret_hash
    assert issued.plaintext.split("_", 2)[2] not in stored
    # revoked tokens stop working
    from exchange.platform import clock

    issued.token.revoked_at = clock.now()
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_password_forms_say_the_rules_before_the_first_try(client, maker_admin):
    """Not only the length: a reasonable-looking password refused for rules nobody mentioned is
    what a new user trips over."""
    f.login(client, maker_admin)
    page = client.get("/account").get_data(as_text=True)
    assert "hard to guess: not your e-mail address or name" in page
