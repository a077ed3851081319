"""The manufacturer's team at ``/manage/team``: the same pages as the partner's ``/portal/team``, with
the manufacturer's roles (admins and channel managers)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from exchange.accounts.team import change_role
from exchange.models import Event, Role, User
from exchange.platform.errors import NotAllowed
from exchange.platform.extensions import db
from tests import factories as f

LINK = re.compile(r"https?://\S+/invite/\S+")


@pytest.fixture
def crew(app):
    maker = f.manufacturer("Acme Pumps")
    other_maker = f.manufacturer("Rival Valves")
    partner = f.partner(maker, "Bavaria Systems")
    admin = f.user(maker, Role.MANUFACTURER_ADMIN, email="boss@acme.test")
    manager = f.user(maker, Role.CHANNEL_MANAGER, email="cm@acme.test")
    rival = f.user(other_maker, Role.CHANNEL_MANAGER, email="cm@rival.test")
    partner_rep = f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test")
    db.session.commit()
    return {"maker": maker, "admin": admin, "manager": manager, "rival": rival, "partner_rep": partner_rep}


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def _events(type_: str) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.type == type_).order_by(Event.id)))


def _invite(client, **data):
    values = {"name": "Carla Channel", "email": "carla@acme.test", "role": "channel_manager"} | data
    return client.post("/manage/team/invite", data=values)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_admin_invites_a_channel_manager_who_accepts_the_link(
    client, make_client, crew, smtp_server, run_jobs
):
    f.login(client, crew["admin"])
    page = client.get("/manage/team")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "cm@acme.test" in text and "cm@rival.test" not in text and "rep@bavaria.test" not in text
    # The manufacturer's roles, not the partner's.
    assert 'value="channel_manager"' in text and 'value="partner_rep"' not in text
    assert 'action="/manage/team/invite"' in text

    response = _invite(client)
    assert response.status_code == 201
    shown = re.search(r'value="(http[^"]+/invite/[^"]+)"', response.get_data(as_text=True)).group(1)
    member = _user("carla@acme.test")
    assert member.role == Role.CHANNEL_MANAGER and member.password_hash is None
    [invited] = _events("user.invited")
    assert invited.manufacturer_id == crew["maker"].id and invited.partner_id is None
    assert invited.actor_user_id == crew["admin"].id

    run_jobs()
    [mail] = [m for m in smtp_server.messages if m.recipients == ["carla@acme.test"]]
    assert "Acme Pumps" in mail.message["Subject"]
    mailed = LINK.search(mail.message.get_body(("plain",)).get_content()).group(0)
    assert mailed.rsplit("/", 1)[1] == shown.rsplit("/", 1)[1]

    invitee = make_client()
    assert "Welcome to Acme Pumps" in invitee.get(_path(mailed)).get_data(as_text=True)
    accepted = invitee.post(
        _path(mailed), data={"new_password": "carla's own password", "confirm": "carla's own password"}
    )
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/manage/")
    assert invitee.get("/manage/leads").status_code == 200
    assert invitee.get("/manage/team").status_code == 403  # a channel manager
    assert make_client().get(_path(mailed)).status_code == 404  # works once


def test_the_settings_menu_has_the_team_for_admins_only(client, make_client, crew):
    f.login(client, crew["admin"])
    assert 'href="/manage/team"' in client.get("/manage/leads").get_data(as_text=True)
    manager = f.login(make_client(), crew["manager"])
    assert 'href="/manage/team"' not in manager.get("/manage/leads").get_data(as_text=True)


def test_role_change_resend_deactivate_reactivate(client, make_client, crew):
    f.login(client, crew["admin"])
    manager = crew["manager"]
    response = client.post(f"/manage/team/{manager.id}/role", data={"role": "manufacturer_admin"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/manage/team")
    assert _user("cm@acme.test").role == Role.MANUFACTURER_ADMIN
    assert client.post(f"/manage/team/{manager.id}/role", data={"role": "partner_admin"}).status_code == 400
    assert _user("cm@acme.test").role == Role.MANUFACTURER_ADMIN

    _invite(client)
    invited = _user("carla@acme.test")
    resent = client.post(f"/manage/team/{invited.id}/resend")
    assert resent.status_code == 200 and "earlier links no longer work" in resent.get_data(as_text=True)

    assert client.post(f"/manage/team/{manager.id}/deactivate").status_code == 302
    assert not _user("cm@acme.test").is_active_user
    login = make_client().post("/login", data={"email": "cm@acme.test", "password": f.PASSWORD})
    assert login.status_code == 401
    assert client.post(f"/manage/team/{manager.id}/reactivate").status_code == 302
    assert _user("cm@acme.test").is_active_user
    assert [e.type for e in _events("user.deactivated") + _events("user.reactivated")] == [
        "user.deactivated",
        "user.reactivated",
    ]
    assert all(e.manufacturer_id == crew["maker"].id for e in _events("user.role_changed"))


def test_the_last_admin_keeps_the_role_and_stays_active(client, crew):
    f.login(client, crew["admin"])
    client.post(f"/manage/team/{crew['admin'].id}/role", data={"role": "channel_manager"})
    assert "You cannot change your own role" in client.get("/manage/team").get_data(as_text=True)
    client.post(f"/manage/team/{crew['admin'].id}/deactivate")
    assert "You cannot deactivate yourself" in client.get("/manage/team").get_data(as_text=True)
    admin = _user("boss@acme.test")
    assert admin.role == Role.MANUFACTURER_ADMIN and admin.is_active_user


def test_two_admins_demoting_each_other_leave_one_admin(app, crew):
    first, second = crew["admin"], crew["manager"]
    second.role = Role.MANUFACTURER_ADMIN
    db.session.commit()
    assert change_role(first, second, Role.CHANNEL_MANAGER)
    db.session.commit()
    with pytest.raises(NotAllowed):
        change_role(second, first, Role.CHANNEL_MANAGER)
    db.session.rollback()
    assert _user("boss@acme.test").role == Role.MANUFACTURER_ADMIN


def test_a_channel_manager_cannot_manage_the_team(client, crew):
    f.login(client, crew["manager"])
    assert client.get("/manage/team").status_code == 403
    assert _invite(client).status_code == 403
    assert client.post(f"/manage/team/{crew['admin'].id}/deactivate").status_code == 403
    assert _user("carla@acme.test") is None and _user("boss@acme.test").is_active_user


def test_another_organisations_member_is_404(client, crew):
    f.login(client, crew["admin"])
    for target in ("rival", "partner_rep"):
        user_id = crew[target].id
        for action, data in (
            ("role", {"role": "channel_manager"}),
            ("deactivate", {}),
            ("reactivate", {}),
            ("resend", {}),
            ("unlock", {}),
        ):
            response = client.post(f"/manage/team/{user_id}/{action}", data=data)
            assert response.status_code == 404, (target, action)
    assert _user("cm@rival.test").is_active_user


def test_an_address_of_another_organisation_is_refused_with_the_reason(client, crew):
    f.login(client, crew["admin"])
    response = _invite(client, email="CM@rival.test")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This address belongs to an account in another organisation" in page
    assert 'class="invalid-feedback' in page or "is-invalid" in page  # on the e-mail field
    assert _user("cm@rival.test").organisation_id != crew["maker"].id

    own = _invite(client, email="cm@acme.test")
    assert own.status_code == 409
    text = own.get_data(as_text=True)
    assert "already a member of this team" in text
    assert "another organisation" not in text


def test_the_partner_team_pages_keep_their_addresses(client, crew):
    partner_admin = f.user(crew["partner_rep"].organisation, Role.PARTNER_ADMIN)
    db.session.commit()
    f.login(client, partner_admin)
    page = client.get("/portal/team").get_data(as_text=True)
    assert 'action="/portal/team/invite"' in page
    assert 'value="partner_rep"' in page and 'value="channel_manager"' not in page
    response = client.post(
        "/portal/team/invite", data={"name": "Pia", "email": "cm@acme.test", "role": "partner_rep"}
    )
    assert response.status_code == 409
    assert "another organisation" in response.get_data(as_text=True)


def test_inviting_a_deactivated_colleague_says_to_reactivate_them(client, crew):
    f.login(client, crew["admin"])
    client.post(f"/manage/team/{crew['manager'].id}/deactivate")
    response = _invite(client, email="cm@acme.test")
    assert response.status_code == 409
    assert "deactivated; reactivate them instead" in response.get_data(as_text=True)
