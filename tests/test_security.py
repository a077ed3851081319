"""Hardening (issue 10): request size limits, sessions that end, brute-force protection, password
rules, response headers, sign-in timing, safe redirects."""

from __future__ import annotations

import io
import re
import time

import pytest
import sqlalchemy as sa

from exchange.models import Event, Role, User
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def partner_team(app):
    maker = f.manufacturer()
    partner = f.partner(maker)
    admin = f.user(partner, Role.PARTNER_ADMIN, email="boss@partner.test")
    rep = f.user(partner, Role.PARTNER_REP, email="rep@partner.test")
    db.session.commit()
    return {"maker": maker, "partner": partner, "admin": admin, "rep": rep}


def _login(client, email, password=f.PASSWORD, next_=None):
    path = "/login" if next_ is None else f"/login?next={next_}"
    return client.post(path, data={"email": email, "password": password})


# --- 3: request size ---------------------------------------------------------------------------------


class _EndlessBody(io.RawIOBase):
    """A body that counts what the server reads from it."""

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes, self.position = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        # The test client measures the length (seek to the end and back) without reading.
        self.position = self.size if whence == 2 else offset
        return self.position

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"x" * n
        self.read_bytes += n
        self.position += n
        return n


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_large_body_without_csrf_token_is_refused_with_413_before_it_is_read(client):
    body = _EndlessBody(50 * 1024 * 1024)
    response = client.post(
        "/login",
        input_stream=body,
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert "The upload is too large." in response.get_data(as_text=True)
    assert body.read_bytes == 0


def test_413_on_the_api_is_json(client):
    response = client.post(
        "/api/v1/leads", data=b"{" + b" " * (3 * 1024 * 1024) + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == 413


@pytest.mark.app_config(LEAD_IMPORT_MAX_BYTES=400 * 1024, MAX_CONTENT_LENGTH=100 * 1024)
def test_the_import_upload_has_its_own_limit_and_it_is_enforced(client, maker_admin):
    f.login(client, maker_admin)
    rows = b"Company,Email\n" + b"Acme,a@acme.example\n" * 11_000  # 220 KB: over the global limit
    accepted = client.post(
        "/manage/imports", data={"file": (io.BytesIO(rows), "leads.csv")}, content_type="multipart/form-data"
    )
    assert accepted.status_code == 302 and "/manage/imports/" in accepted.headers["Location"]
    too_big = client.post(
        "/manage/imports",
        data={"file": (io.BytesIO(rows * 2), "leads.csv")},
        content_type="multipart/form-data",
    )
    assert too_big.status_code == 413
    assert "larger than 400 KB" in too_big.get_data(as_text=True)


@pytest.mark.app_config(MAX_CONTENT_LENGTH=1024, API_BATCH_MAX_BYTES=4096)
def test_the_lead_batch_api_may_be_larger_than_other_requests(client, maker_admin):
    from exchange.accounts.tokens import issue_token
    from exchange.models import TokenScope

    token = issue_token(maker_admin, "crm", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    items = [{"company_name": f"Acme {i}", "contact_email": f"a{i}@acme.example"} for i in range(40)]
    assert client.post("/api/v1/leads/batch", json={"items": items}, headers=auth).status_code == 200
    big = {"items": items * 4}
    assert client.post("/api/v1/leads/batch", json=big, headers=auth).status_code == 413
    assert client.post("/api/v1/leads", json={"company_name": "x" * 2000}, headers=auth).status_code == 413


def test_default_limits():
    from exchange.platform.config import Defaults

    assert Defaults.MAX_CONTENT_LENGTH == 2 * 1024 * 1024
    assert Defaults.LEAD_IMPORT_MAX_BYTES == 50 * 1024 * 1024


# --- 13: logout ends the session -----------------------------------------------------------------------


def test_a_cookie_saved_before_logout_no_longer_opens_the_portal(client, make_client, partner_team):
    assert _login(client, "boss@partner.test").status_code == 302
    saved = client.get_cookie("session").value
    assert client.get("/portal/").status_code == 200
    client.post("/logout")

    replay = make_client()
    replay.set_cookie("session", saved)
    response = replay.get("/portal/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_remember_me_cookie_dies_with_logout_too(client, make_client, partner_team):
    client.post("/login", data={"email": "boss@partner.test", "password": f.PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token").value
    client.post("/logout")
    replay = make_client()
    replay.set_cookie("remember_token", remember)
    assert replay.get("/portal/").status_code == 302


# --- 14: brute force ------------------------------------------------------------------------------------


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LOCKOUT_ATTEMPTS=3, LOGIN_RATE_LIMIT="100 per minute")
def test_failed_sign_ins_lock_the_account_with_retry_after(client, partner_team, caplog):
    for _ in range(3):
        assert _login(client, "rep@partner.test", "wrong wrong wrong").status_code == 401
    locked = _login(client, "rep@partner.test")  # even the right password now
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    # said on the sign-in form itself (the e-mail kept), not on an error page that leaves it
    assert 'name="password"' in locked.get_data(as_text=True)
    assert 'value="rep@partner.test"' in locked.get_data(as_text=True)
    assert "sign-in locked for rep@partner.test" in caplog.text
    # Other accounts are not affected, and an unknown address locks the same way (no enumeration).
    assert _login(client, "boss@partner.test").status_code == 302


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="5 per minute")
def test_sign_ins_per_address_are_limited(client, partner_team):
    statuses = [_login(client, f"nobody{i}@partner.test", "wrong wrong wrong").status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
    limited = _login(client, "x@partner.test")
    assert int(limited.headers["Retry-After"]) > 0
    # the sign-in form again with the reason, the e-mail kept - not a bare error page
    page = limited.get_data(as_text=True)
    assert "Too many sign-in attempts from your network" in page
    assert 'name="password"' in page and 'value="x@partner.test"' in page


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LOCKOUT_ATTEMPTS=2, LOGIN_RATE_LIMIT="100 per minute")
def test_the_admin_lifts_the_lock_on_the_team_page(client, make_client, partner_team):
    attacker = make_client()
    for _ in range(2):
        _login(attacker, "rep@partner.test", "wrong wrong wrong")
    assert _login(attacker, "rep@partner.test").status_code == 429

    f.login(client, partner_team["admin"])
    page = client.get("/portal/team").get_data(as_text=True)
    assert "Sign-in locked" in page and "Unlock sign-in" in page
    rep_id = partner_team["rep"].id
    # A partner rep may not lift it, nor an admin of another organisation.
    rep_client = f.login(make_client(), partner_team["rep"])
    assert rep_client.post(f"/portal/team/{rep_id}/unlock").status_code == 403
    other_admin = f.user(f.partner(partner_team["maker"]), Role.PARTNER_ADMIN)
    db.session.commit()
    assert f.login(make_client(), other_admin).post(f"/portal/team/{rep_id}/unlock").status_code == 404

    response = client.post(f"/portal/team/{rep_id}/unlock", follow_redirects=True)
    assert "can sign in again" in response.get_data(as_text=True)
    assert "Unlock sign-in" not in response.get_data(as_text=True)
    assert _login(make_client(), "rep@partner.test").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).where(Event.type == "user.sign_in_unlocked")) == 1


@pytest.mark.app_config(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=True)
def test_unlock_needs_a_csrf_token(client, partner_team):
    f.login(client, partner_team["admin"])
    assert client.post(f"/portal/team/{partner_team['rep'].id}/unlock").status_code == 400


@pytest.mark.app_config(RATELIMIT_ENABLED=True, PASSWORD_RESET_RATE_LIMIT="100 per minute")
def test_password_reset_requests_are_limited_per_account(client, partner_team):
    statuses = [
        client.post("/password/forgot", data={"email": "rep@partner.test"}).status_code for _ in range(6)
    ]
    assert statuses == [302] * 5 + [429]
    assert client.post("/password/forgot", data={"email": "boss@partner.test"}).status_code == 302


@pytest.mark.app_config(RATELIMIT_ENABLED=True, CHOOSE_PASSWORD_RATE_LIMIT="3 per minute")
def test_choosing_a_password_through_a_link_is_limited(client, partner_team):
    from exchange.accounts.password_links import LinkPurpose, make_token

    token = make_token(partner_team["rep"], LinkPurpose.RESET)
    statuses = [
        client.post(f"/password/reset/{token}", data={"new_password": "x", "confirm": "y"}).status_code
        for _ in range(4)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:3]
    assert "Retry-After" in client.post(f"/password/reset/{token}", data={}).headers


@pytest.mark.app_config(RATELIMIT_ENABLED=True, API_TOKEN_FAILURE_LIMIT="5 per minute")
def test_guessing_api_tokens_is_refused_with_429(client, partner_team):
    from exchange.accounts.tokens import issue_token

    good = issue_token(partner_team["admin"], "crm").plaintext
    db.session.commit()
    statuses = [
        client.get("/api/v1/me", headers={"Authorization": f"Bearer lx_abc_guess{i}"}).status_code
        for i in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["code"] == 429


def test_the_suite_runs_without_rate_limits_and_production_has_them(app):
    from exchange.platform.config import Defaults

    assert app.config["RATELIMIT_ENABLED"] is False
    assert Defaults.RATELIMIT_ENABLED is True


def test_rate_limits_use_redis_when_configured(database_url, tmp_path):
    from exchange import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": database_url,
            "REDIS_URL": "redis://127.0.0.1:1/0",
        }
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/0"
    embedded = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url, "REDIS_URL": None}
    )
    assert embedded.config["RATELIMIT_STORAGE_URI"] == "memory://"


# --- 15: weak passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaa",
        "1234567890",
        "rep@partner.test",
        "password123",
        "qwertyuiop",
        "Password1!",
        "Summer2024!",
        "short",
    ],
)
def test_weak_passwords_are_refused_on_the_account_page(client, partner_team, password):
    rep = partner_team["rep"]
    f.login(client, rep)
    response = client.post(
        "/account",
        data={
            "pw-current_password": f.PASSWORD,
            "pw-new_password": password,
            "pw-confirm": password,
            "pw-submit": "Change password",
        },
    )
    assert response.status_code == 200
    db.session.expire_all()
    from exchange.accounts.passwords import verify_password

    assert verify_password(db.session.get(User, rep.id).password_hash, f.PASSWORD)


def test_the_current_password_is_refused_as_the_new_one(app, partner_team):
    from exchange.accounts.users import change_password
    from exchange.platform.errors import DomainError

    with pytest.raises(DomainError, match="other than your current one"):
        change_password(partner_team["rep"], f.PASSWORD, f.PASSWORD)


def test_a_reset_cannot_set_the_same_password_or_the_name(app, partner_team):
    from exchange.accounts.password_links import LinkPurpose
    from exchange.accounts.team import choose_password
    from exchange.platform.errors import DomainError

    rep = partner_team["rep"]
    with pytest.raises(DomainError, match="other than your current one"):
        choose_password(rep, f.PASSWORD, LinkPurpose.RESET)
    with pytest.raises(DomainError, match="e-mail address or name"):
        choose_password(rep, rep.name + " 2024", LinkPurpose.RESET)


def test_a_strong_password_is_accepted(app, partner_team):
    from exchange.accounts.passwords import verify_password
    from exchange.accounts.users import change_password

    change_password(partner_team["rep"], f.PASSWORD, "velvet tractor umbrella gazette")
    assert verify_password(partner_team["rep"].password_hash, "velvet tractor umbrella gazette")


# --- 16: headers ------------------------------------------------------------------------------------------


def test_every_page_has_a_strict_content_security_policy(client, partner_team):
    f.login(client, partner_team["admin"])
    for path in ("/login", "/portal/", "/portal/profile", "/portal/team", "/portal/tokens", "/api/docs"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert (
            "script-src 'self'" in policy
            and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in policy


def test_no_template_has_an_inline_script_or_handler():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{template.name}: {tag}")
        offenders += [f"{template.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text)]
    assert offenders == []


def test_pages_and_api_answers_are_not_cached_but_static_files_may_be(client, partner_team):
    from exchange.accounts.tokens import issue_token

    f.login(client, partner_team["admin"])
    assert client.get("/portal/leads").headers["Cache-Control"] == "no-store"
    created = client.post("/portal/tokens", data={"name": "CRM", "scope": "read"})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    token = issue_token(partner_team["admin"], "api").plaintext
    db.session.commit()
    api = client.get("/api/v1/leads", headers={"Authorization": f"Bearer {token}"})
    assert api.headers["Cache-Control"] == "no-store"
    with client.get("/static/js/app.js") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_hsts_in_production_only(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["HSTS_ENABLED"] = True
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_is_on_by_default_in_production(database_url):
    from exchange import create_app

    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "x",
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": False,
        }
    )
    assert "max-age=" in app.test_client().get("/login").headers["Strict-Transport-Security"]


# --- 17: sign-in timing ---------------------------------------------------------------------------------


def _median_seconds(action, n=5) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return sorted(times)[n // 2]


def test_every_failed_sign_in_hashes_a_password(app, partner_team, monkeypatch):
    """An invited user (no password yet), a deactivated one and an unknown address all spend one
    password hash, like a wrong password for a real account."""
    from exchange.accounts import passwords
    from exchange.accounts import users as accounts

    invited = f.user(partner_team["partner"], Role.PARTNER_REP, email="invited@partner.test", password=None)
    gone = f.user(partner_team["partner"], Role.PARTNER_REP, email="gone@partner.test")
    gone.is_active_user = False
    db.session.commit()
    assert invited.password_hash is None

    calls = []
    original = passwords.verify_password

    def counting(password_hash, password):
        if password_hash:  # without a hash nothing is computed
            calls.append(password_hash)
        return original(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    for email in ("invited@partner.test", "gone@partner.test", "nobody@partner.test", "rep@partner.test"):
        calls.clear()
        assert accounts.authenticate(email, "wrong wrong wrong") is None
        assert len(calls) == 1, email


@pytest.mark.app_config(ARGON2_PARAMETERS={"time_cost": 3, "memory_cost": 32768, "parallelism": 1})
def test_an_invited_account_takes_as_long_as_a_wrong_password(app, partner_team):
    from exchange.accounts import users as accounts

    accounts._dummy_hash.cache_clear()
    f.user(partner_team["partner"], Role.PARTNER_REP, email="invited@partner.test", password=None)
    db.session.commit()
    invited = _median_seconds(lambda: accounts.authenticate("invited@partner.test", "wrong wrong wrong"))
    wrong = _median_seconds(lambda: accounts.authenticate("rep@partner.test", "wrong wrong wrong"))
    accounts._dummy_hash.cache_clear()
    assert invited > wrong * 0.5


# --- 18 (part) and 19: redirects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/portal/%0aSet-Cookie:x=1",
        "/portal/%0d%0a",
        "/%09/evil.example",
        "/\\evil.example",
        "//evil.example/x",
    ],
)
def test_hostile_next_after_login_goes_home(client, partner_team, target):
    response = _login(client, "boss@partner.test", next_=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"


def test_bulk_action_does_not_redirect_off_site(client, maker_admin):
    f.login(client, maker_admin)
    for target in ("//evil.example/x", "/\\evil.example", "https://evil.example/", "/manage/\n"):
        response = client.post("/manage/leads/bulk", data={"next": target, "action": "publish"})
        assert response.status_code == 302
        assert response.headers["Location"] == "/manage/leads", target
    kept = client.post("/manage/leads/bulk", data={"next": "/manage/leads?status=draft"})
    assert kept.headers["Location"] == "/manage/leads?status=draft"


def test_one_safe_redirect_helper_for_every_next():
    """Every ``next`` read from a request goes through exchange.platform.security.safe_next."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readers = []
    for source in [
        *root.glob("exchange/**/*.py"),
        *root.glob("portal/**/*.py"),
        *root.glob("manufacturer_admin/**/*.py"),
    ]:
        for line in source.read_text().splitlines():
            if re.search(r"""(args|form|values)\.get\(\s*["']next["']""", line):
                readers.append((source.name, "safe_next(" in line))
    assert readers and all(safe for _name, safe in readers), readers


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
def test_sign_in_still_works_when_the_rate_limit_storage_is_down(client, partner_team, caplog):
    assert _login(client, "rep@partner.test", "wrong wrong wrong").status_code == 401
    assert _login(client, "rep@partner.test").status_code == 302
    assert "storage unreachable" in caplog.text.lower()


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
def test_behind_a_proxy_each_client_address_has_its_own_limit(client, partner_team):
    def attempt(address):
        return client.post(
            "/login",
            data={"email": "x@partner.test", "password": "wrong wrong wrong"},
            headers={"X-Forwarded-For": address},
        ).status_code

    assert [attempt("203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert attempt("203.0.113.2") == 401


@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LOCKOUT_ATTEMPTS=2, LOGIN_RATE_LIMIT="100 per minute")
def test_an_operator_lifts_a_lock_from_the_command_line(app, client, maker_admin):
    for _ in range(2):
        _login(client, "admin@maker.test", "wrong wrong wrong")
    assert _login(client, "admin@maker.test").status_code == 429
    result = app.test_cli_runner().invoke(args=["users", "unlock", "Admin@Maker.test"])
    assert "can sign in again" in result.output
    assert _login(client, "admin@maker.test").status_code == 302
