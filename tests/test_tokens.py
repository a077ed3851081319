"""API tokens in the portal (partner admins) and the back office (manufacturer admins)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from exchange.models import ApiToken, Event, Role, TokenScope
from exchange.platform import clock
from exchange.platform.extensions import db
from tests import factories as f

SHOWN = re.compile(
    r'data-testid="token-value"[^>]*value="(lx_[^"]+)"|value="(lx_[^"]+)"[^>]*data-testid="token-value"'
)


@pytest.fixture
def people(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    other_maker = f.manufacturer("Other Maker")
    other_partner = f.partner(other_maker, "Elsewhere Ltd")
    result = {
        "maker_admin": f.user(maker, Role.MANUFACTURER_ADMIN, email="boss@acme.test"),
        "other_maker_admin": f.user(other_maker, Role.MANUFACTURER_ADMIN),
        "partner_admin": f.user(partner, Role.PARTNER_ADMIN, email="admin@bavaria.test"),
        "rep": f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test"),
        "other_partner_admin": f.user(other_partner, Role.PARTNER_ADMIN),
    }
    f.lead(maker)
    db.session.commit()
    return result


def _shown_token(response) -> str:
    match = SHOWN.search(response.get_data(as_text=True))
    assert match, "no token shown"
    return match.group(1) or match.group(2)


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _tokens() -> list[ApiToken]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))


def test_partner_admin_creates_a_token_shown_once(client, make_client, people):
    f.login(client, people["partner_admin"])
    response = client.post("/portal/tokens", data={"name": " CRM sync ", "scope": "read_write"})
    assert response.status_code == 201
    plaintext = _shown_token(response)
    [token] = _tokens()
    assert (token.name, token.scope, token.user_id) == (
        "CRM sync",
        TokenScope.READ_WRITE,
        people["partner_admin"].id,
    )
    assert plaintext.startswith(f"lx_{token.prefix}_")
    assert plaintext.split("_", 2)[2] not in token.secret_hash  # only a hash is kept
    [event] = db.session.scalars(sa.select(Event).where(Event.type == "token.created"))
    assert event.partner_id == token.organisation_id and event.data["prefix"] == token.prefix

    api = make_client()
    assert api.get("/api/v1/partner/offers", headers=_bearer(plaintext)).status_code == 200
    assert (
        api.patch("/api/v1/partner/profile", json={"capacity": 7}, headers=_bearer(plaintext)).status_code
        == 200
    )

    listing = client.get("/portal/tokens").get_data(as_text=True)
    assert plaintext not in listing  # never shown again
    assert f"lx_{token.prefix}_…" in listing and "CRM sync" in listing and "Read and write" in listing
    assert _tokens()[0].last_used_at is not None


def test_read_only_tokens_cannot_write(client, make_client, people):
    f.login(client, people["partner_admin"])
    plaintext = _shown_token(client.post("/portal/tokens", data={"name": "reporting", "scope": "read"}))
    response = make_client().patch(
        "/api/v1/partner/profile", json={"capacity": 7}, headers=_bearer(plaintext)
    )
    assert response.status_code == 403
    assert response.get_json()["message"] == "This token is read-only."


def test_a_token_expires_at_the_end_of_the_chosen_day_in_the_viewers_zone(client, make_client, people):
    people["partner_admin"].timezone = "Europe/Berlin"
    db.session.commit()
    f.login(client, people["partner_admin"])
    with clock.frozen(datetime(2026, 6, 1, 12, 0, tzinfo=UTC)) as frozen:
        past = client.post(
            "/portal/tokens", data={"name": "old", "scope": "read", "expires_on": "2026-05-31"}
        )
        assert past.status_code == 422
        assert "The expiry date must be in the future." in past.get_data(as_text=True)
        response = client.post(
            "/portal/tokens", data={"name": "trial", "scope": "read", "expires_on": "2026-06-30"}
        )
        plaintext = _shown_token(response)
        [token] = _tokens()
        assert token.expires_at == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # midnight in Berlin (CEST)
        frozen.set(datetime(2026, 6, 30, 21, 59, tzinfo=UTC))
        assert make_client().get("/api/v1/me", headers=_bearer(plaintext)).status_code == 200
        frozen.set(datetime(2026, 6, 30, 22, 0, tzinfo=UTC))
        assert make_client().get("/api/v1/me", headers=_bearer(plaintext)).status_code == 401
        assert "Expired" in client.get("/portal/tokens").get_data(as_text=True)


def test_token_form_explains_mistakes(client, people):
    f.login(client, people["partner_admin"])
    response = client.post("/portal/tokens", data={"name": "", "scope": "admin", "expires_on": "soon"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This field is required." in page
    assert "Not a valid choice." in page
    assert "Not a valid date value." in page
    assert _tokens() == []


def test_revoking_stops_the_token_at_once(client, make_client, people):
    f.login(client, people["partner_admin"])
    plaintext = _shown_token(client.post("/portal/tokens", data={"name": "crm", "scope": "read"}))
    [token] = _tokens()
    assert client.post(f"/portal/tokens/{token.id}/revoke").status_code == 302
    assert "is revoked" in client.get("/portal/tokens").get_data(as_text=True)
    assert make_client().get("/api/v1/me", headers=_bearer(plaintext)).status_code == 401
    assert _tokens()[0].revoked_at is not None
    client.post(f"/portal/tokens/{token.id}/revoke")
    assert "is already revoked" in client.get("/portal/tokens").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(Event.type == "token.revoked")) == 1


def test_the_admin_sees_and_revokes_every_token_of_the_partner(client, make_client, people, app):
    from exchange.accounts.tokens import issue_token

    rep_token = issue_token(people["rep"], "rep's script", TokenScope.READ)
    other = issue_token(people["other_partner_admin"], "not yours", TokenScope.READ)
    db.session.commit()
    f.login(client, people["partner_admin"])
    listing = client.get("/portal/tokens").get_data(as_text=True)
    assert "rep&#39;s script" in listing and "not yours" not in listing
    assert client.post(f"/portal/tokens/{other.token.id}/revoke").status_code == 404
    assert client.post(f"/portal/tokens/{rep_token.token.id}/revoke").status_code == 302
    assert make_client().get("/api/v1/me", headers=_bearer(rep_token.plaintext)).status_code == 401
    assert make_client().get("/api/v1/me", headers=_bearer(other.plaintext)).status_code == 200


def test_tokens_of_a_deactivated_owner_stop_working_and_are_marked(client, make_client, people):
    from exchange.accounts.tokens import issue_token

    issued = issue_token(people["rep"], "script", TokenScope.READ)
    db.session.commit()
    people["rep"].is_active_user = False
    db.session.commit()
    assert make_client().get("/api/v1/me", headers=_bearer(issued.plaintext)).status_code == 401
    f.login(client, people["partner_admin"])
    assert "Owner deactivated" in client.get("/portal/tokens").get_data(as_text=True)


def test_manufacturer_admin_creates_a_token_for_the_leads_api(client, make_client, people):
    f.login(client, people["maker_admin"])
    assert client.get("/manage/tokens").status_code == 200
    response = client.post("/manage/tokens", data={"name": "BI export", "scope": "read"})
    assert response.status_code == 201
    plaintext = _shown_token(response)
    leads = make_client().get("/api/v1/leads", headers=_bearer(plaintext))
    assert leads.status_code == 200 and leads.get_json()["total"] == 1
    assert make_client().get("/api/v1/partner/offers", headers=_bearer(plaintext)).status_code == 403
    [token] = _tokens()
    [event] = db.session.scalars(sa.select(Event).where(Event.type == "token.created"))
    assert event.manufacturer_id == token.organisation_id
    assert client.post(f"/manage/tokens/{token.id}/revoke").status_code == 302
    assert make_client().get("/api/v1/leads", headers=_bearer(plaintext)).status_code == 401


def test_manufacturer_admins_cannot_touch_another_manufacturers_tokens(client, people):
    from exchange.accounts.tokens import issue_token

    other = issue_token(people["other_maker_admin"], "theirs", TokenScope.READ)
    db.session.commit()
    f.login(client, people["maker_admin"])
    assert "theirs" not in client.get("/manage/tokens").get_data(as_text=True)
    assert client.post(f"/manage/tokens/{other.token.id}/revoke").status_code == 404
    assert _tokens()[0].revoked_at is None


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_token_forms_need_the_csrf_token(client, people):
    f.login(client, people["partner_admin"])
    assert client.post("/portal/tokens", data={"name": "crm", "scope": "read"}).status_code == 400
    assert _tokens() == []
    page = client.get("/portal/tokens").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/portal/tokens", data={"name": "crm", "scope": "read", "csrf_token": csrf})
    assert response.status_code == 201
    [token] = _tokens()
    assert client.post(f"/portal/tokens/{token.id}/revoke").status_code == 400
    assert client.post(f"/portal/tokens/{token.id}/revoke", data={"csrf_token": csrf}).status_code == 302


def test_cli_creates_tokens_with_an_optional_expiry_and_revokes_them(app, people):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["tokens", "create", "rep@bavaria.test", "--name", "cli", "--scope", "read_write"]
    )
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip()
    [token] = _tokens()
    assert plaintext.startswith(f"lx_{token.prefix}_") and token.scope == TokenScope.READ_WRITE
    assert token.expires_at is None
    with clock.frozen(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
        result = runner.invoke(
            args=["tokens", "create", "rep@bavaria.test", "--name", "short", "--expires-days", "30"]
        )
    assert result.exit_code == 0, result.output
    assert _tokens()[1].expires_at == datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    result = runner.invoke(args=["tokens", "revoke", token.prefix])
    assert result.exit_code == 0 and "revoked" in result.output
    assert _tokens()[0].revoked_at is not None
    assert runner.invoke(args=["tokens", "revoke", "nope"]).exit_code != 0
    unknown = runner.invoke(args=["tokens", "create", "ghost@x.test", "--name", "x"])
    assert unknown.exit_code != 0 and "no user" in unknown.output


def test_expiry_date_field_is_a_date(app):
    from exchange.web.auth.forms import CreateTokenForm

    with app.test_request_context(
        method="POST", data={"name": "x", "scope": "read", "expires_on": "2026-01-02"}
    ):
        form = CreateTokenForm()
        assert form.validate()
        assert form.expires_on.data == date(2026, 1, 2)
        assert form.expires_at() == datetime(2026, 1, 3, tzinfo=UTC)
