"""The team over the API, ``/api/v1/team``: the same service as the team pages, for both kinds of
organisation, admins only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange.accounts.tokens import issue_token
from exchange.models import Role, TokenScope, User
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    other_maker = f.manufacturer("Rival Valves")
    partner = f.partner(maker, "Bavaria Systems")
    users = {
        "admin": f.user(maker, Role.MANUFACTURER_ADMIN, email="boss@acme.test"),
        "manager": f.user(maker, Role.CHANNEL_MANAGER, email="cm@acme.test"),
        "rival": f.user(other_maker, Role.CHANNEL_MANAGER, email="cm@rival.test"),
        "partner_admin": f.user(partner, Role.PARTNER_ADMIN, email="admin@bavaria.test"),
        "partner_rep": f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test"),
    }
    tokens = {name: issue_token(u, "api", TokenScope.READ_WRITE).plaintext for name, u in users.items()}
    read_only = issue_token(users["admin"], "read", TokenScope.READ).plaintext
    db.session.commit()
    return {"users": users, "tokens": tokens, "read_only": read_only, "maker": maker}


def _auth(world, who: str) -> dict:
    return {"Authorization": f"Bearer {world['tokens'][who]}"}


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_list_shows_the_callers_organisation(client, world):
    response = client.get("/api/v1/team", headers=_auth(world, "admin"))
    assert response.status_code == 200
    body = response.get_json()
    assert {m["email"] for m in body["items"]} == {"boss@acme.test", "cm@acme.test"}
    assert body["total"] == 2
    member = next(m for m in body["items"] if m["email"] == "cm@acme.test")
    assert member["role"] == "channel_manager" and member["active"] is True
    assert member["invited"] is False and "last_sign_in_at" in member and member["name"]
    assert "invitation_url" not in member

    partner = client.get("/api/v1/team", headers=_auth(world, "partner_admin")).get_json()
    assert {m["email"] for m in partner["items"]} == {"admin@bavaria.test", "rep@bavaria.test"}


def test_invite_answers_the_link_once_and_the_invitee_accepts(client, make_client, world):
    response = client.post(
        "/api/v1/team",
        json={"name": "Carla Channel", "email": "Carla@Acme.test", "role": "channel_manager"},
        headers=_auth(world, "admin"),
    )
    assert response.status_code == 201
    member = response.get_json()
    assert member["email"] == "carla@acme.test" and member["role"] == "channel_manager"
    assert member["invited"] is True and member["active"] is True
    url = member["invitation_url"]
    assert "/invite/" in url

    again = client.get(f"/api/v1/team/{member['id']}", headers=_auth(world, "admin")).get_json()
    assert "invitation_url" not in again and again["invited"] is True

    invitee = make_client()
    path = "/" + url.split("/", 3)[3]
    accepted = invitee.post(
        path, data={"new_password": "carla's own password", "confirm": "carla's own password"}
    )
    assert accepted.status_code == 302
    after = client.get(f"/api/v1/team/{member['id']}", headers=_auth(world, "admin")).get_json()
    assert after["invited"] is False and after["last_sign_in_at"] is not None


def test_invite_without_a_role_gives_the_basic_role_of_the_kind(client, world):
    maker = client.post(
        "/api/v1/team", json={"name": "Dan", "email": "dan@acme.test"}, headers=_auth(world, "admin")
    )
    assert maker.status_code == 201 and maker.get_json()["role"] == "channel_manager"
    partner = client.post(
        "/api/v1/team",
        json={"name": "Pia", "email": "pia@bavaria.test"},
        headers=_auth(world, "partner_admin"),
    )
    assert partner.status_code == 201 and partner.get_json()["role"] == "partner_rep"


def test_roles_are_limited_to_the_callers_kind(client, world):
    response = client.post(
        "/api/v1/team",
        json={"name": "Pia", "email": "pia@acme.test", "role": "partner_admin"},
        headers=_auth(world, "admin"),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"} and "role" in body["errors"]
    manager = world["users"]["manager"]
    patch = client.patch(
        f"/api/v1/team/{manager.id}", json={"role": "partner_rep"}, headers=_auth(world, "admin")
    )
    assert patch.status_code == 422 and "role" in patch.get_json()["errors"]
    assert _user("pia@acme.test") is None and _user("cm@acme.test").role == Role.CHANNEL_MANAGER


def test_an_address_of_another_organisation_is_refused_with_the_reason(client, world):
    response = client.post(
        "/api/v1/team", json={"name": "X", "email": "cm@rival.test"}, headers=_auth(world, "admin")
    )
    assert response.status_code == 409
    [message] = response.get_json()["errors"]["email"]
    assert message.startswith("This address belongs to an account in another organisation;")
    own = client.post(
        "/api/v1/team", json={"name": "X", "email": "cm@acme.test"}, headers=_auth(world, "admin")
    )
    assert own.status_code == 409
    assert "already a member of this team" in own.get_json()["errors"]["email"][0]


def test_role_change_and_the_last_admin_rule(client, world):
    admin, manager = world["users"]["admin"], world["users"]["manager"]
    promoted = client.patch(
        f"/api/v1/team/{manager.id}", json={"role": "manufacturer_admin"}, headers=_auth(world, "admin")
    )
    assert promoted.status_code == 200 and promoted.get_json()["role"] == "manufacturer_admin"
    own = client.patch(
        f"/api/v1/team/{admin.id}", json={"role": "channel_manager"}, headers=_auth(world, "admin")
    )
    assert own.status_code == 403
    # The former channel manager, now an admin, demotes the first admin; then it is the last one.
    token = issue_token(_user("cm@acme.test"), "new admin", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    second = {"Authorization": f"Bearer {token}"}
    assert (
        client.patch(f"/api/v1/team/{admin.id}", json={"role": "channel_manager"}, headers=second).status_code
        == 200
    )
    assert _user("boss@acme.test").role == Role.CHANNEL_MANAGER


def test_last_admin_cannot_be_deactivated(client, world):
    admin = world["users"]["admin"]
    second = f.user(world["maker"], Role.MANUFACTURER_ADMIN, email="second@acme.test")
    token = issue_token(second, "second", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/v1/team/{admin.id}/deactivate", headers=headers).status_code == 200
    # ``second`` is the last active admin now; nobody else can deactivate it, nor itself.
    response = client.post(f"/api/v1/team/{second.id}/deactivate", headers=headers)
    assert response.status_code == 403
    assert _user("second@acme.test").is_active_user


def test_deactivate_reactivate_and_resend(client, world):
    manager = world["users"]["manager"]
    off = client.post(f"/api/v1/team/{manager.id}/deactivate", headers=_auth(world, "admin"))
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert client.get("/api/v1/me", headers=_auth(world, "manager")).status_code == 401
    twice = client.post(f"/api/v1/team/{manager.id}/deactivate", headers=_auth(world, "admin"))
    assert twice.status_code == 409 and "already deactivated" in twice.get_json()["message"]
    on = client.post(f"/api/v1/team/{manager.id}/reactivate", headers=_auth(world, "admin"))
    assert on.status_code == 200 and on.get_json()["active"] is True

    # Resending needs someone who has not chosen a password yet.
    assert client.post(f"/api/v1/team/{manager.id}/resend", headers=_auth(world, "admin")).status_code == 409
    invited = client.post(
        "/api/v1/team", json={"name": "Dan", "email": "dan@acme.test"}, headers=_auth(world, "admin")
    ).get_json()
    resent = client.post(f"/api/v1/team/{invited['id']}/resend", headers=_auth(world, "admin"))
    assert resent.status_code == 200
    assert resent.get_json()["invitation_url"] != invited["invitation_url"]


def test_non_admins_and_read_only_tokens_are_refused(client, world):
    admin_id = world["users"]["admin"].id
    for who in ("manager", "partner_rep"):
        headers = _auth(world, who)
        assert client.get("/api/v1/team", headers=headers).status_code == 403
        assert (
            client.post(
                "/api/v1/team", json={"name": "X", "email": "x@acme.test"}, headers=headers
            ).status_code
            == 403
        )
        assert client.post(f"/api/v1/team/{admin_id}/deactivate", headers=headers).status_code == 403
    read_only = {"Authorization": f"Bearer {world['read_only']}"}
    assert client.get("/api/v1/team", headers=read_only).status_code == 200
    assert (
        client.post(f"/api/v1/team/{world['users']['manager'].id}/deactivate", headers=read_only).status_code
        == 403
    )
    assert client.get("/api/v1/team").status_code == 401


def test_another_organisations_member_is_404(client, world):
    headers = _auth(world, "admin")
    for target in ("rival", "partner_rep"):
        user_id = world["users"][target].id
        assert client.get(f"/api/v1/team/{user_id}", headers=headers).status_code == 404
        assert (
            client.patch(
                f"/api/v1/team/{user_id}", json={"role": "channel_manager"}, headers=headers
            ).status_code
            == 404
        )
        for action in ("resend", "deactivate", "reactivate"):
            assert client.post(f"/api/v1/team/{user_id}/{action}", headers=headers).status_code == 404
    assert (
        client.get(
            f"/api/v1/team/{world['users']['manager'].id}", headers=_auth(world, "partner_admin")
        ).status_code
        == 404
    )
    assert _user("cm@rival.test").is_active_user


def test_the_team_api_is_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/team", "/api/v1/team/{user_id}", "/api/v1/team/{user_id}/deactivate"):
        assert path in spec["paths"], path
    assert "TeamMember" in spec["components"]["schemas"]
    assert "409" in spec["paths"]["/api/v1/team"]["post"]["responses"]
