"""The partner team: invitations with set-password links, roles, deactivation, forgotten passwords."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from exchange.accounts.password_links import LinkPurpose, make_token
from exchange.accounts.team import change_role, deactivate_member
from exchange.accounts.tokens import issue_token
from exchange.models import Event, OutboxJob, Role, TokenScope, User
from exchange.platform import clock
from exchange.platform.errors import NotAllowed
from exchange.platform.extensions import db
from tests import factories as f

LINK = re.compile(r"https?://\S+/(?:invite|password/reset)/\S+")


@pytest.fixture
def team(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    other = f.partner(maker, "Elsewhere Ltd")
    admin = f.user(partner, Role.PARTNER_ADMIN, email="admin@bavaria.test")
    rep = f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test")
    stranger = f.user(other, Role.PARTNER_REP, email="rep@elsewhere.test")
    db.session.commit()
    return {"partner": partner, "admin": admin, "rep": rep, "stranger": stranger}


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def _events(type_: str) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.type == type_).order_by(Event.id)))


def _mailed_link(smtp_server, to: str) -> str:
    [message] = [m for m in smtp_server.messages if m.recipients == [to]]
    return LINK.search(message.message.get_body(("plain",)).get_content()).group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _invite(client, **data):
    values = {"name": "Nina New", "email": "nina@bavaria.test", "role": "partner_rep"} | data
    return client.post("/portal/team/invite", data=values)


# --- invitations ------------------------------------------------------------------------------------


def test_invitation_mails_a_link_that_sets_the_password_once(
    client, make_client, team, smtp_server, run_jobs
):
    f.login(client, team["admin"])
    response = _invite(client, email=" Nina@Bavaria.test ")
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    shown_link = re.search(r'value="(http[^"]+/invite/[^"]+)"', page).group(1)  # shown once to the admin
    member = _user("nina@bavaria.test")
    assert member.password_hash is None and member.role == Role.PARTNER_REP
    [invited] = _events("user.invited")
    assert invited.partner_id == team["partner"].id and invited.actor_user_id == team["admin"].id

    # The outbox holds ids, never the link itself.
    [job] = db.session.scalars(sa.select(OutboxJob).where(OutboxJob.task == "accounts.send_password_link"))
    assert job.args[:2] == [member.id, "invite"]
    assert shown_link.rsplit("/", 1)[1] not in str(job.args)
    run_jobs()
    [mail] = smtp_server.messages
    assert mail.recipients == ["nina@bavaria.test"]
    assert mail.message["Subject"] == "You are invited to Bavaria Systems on the Lead Exchange"
    mailed_link = _mailed_link(smtp_server, "nina@bavaria.test")

    invitee = make_client()
    page = invitee.get(_path(mailed_link))
    assert page.status_code == 200
    assert "Welcome to Bavaria Systems" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = invitee.post(
        _path(mailed_link), data={"new_password": "nina's new password", "confirm": "nina's new password"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/")
    assert invitee.get("/portal/").status_code == 200  # signed in
    assert _events("user.invitation_accepted")[0].actor_kind == "user"
    # Both links (mailed and shown) are used up now.
    assert make_client().get(_path(mailed_link)).status_code == 404
    assert make_client().get(_path(shown_link)).status_code == 404
    assert (
        make_client()
        .post("/login", data={"email": "nina@bavaria.test", "password": "nina's new password"})
        .status_code
        == 302
    )


def test_invitation_links_expire(client, team):
    start = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    with clock.frozen(start) as frozen:
        f.login(client, team["admin"])
        assert _invite(client).status_code == 201
        token = make_token(_user("nina@bavaria.test"), LinkPurpose.INVITE)
        frozen.advance(days=6, hours=23)
        assert client.get(f"/invite/{token}").status_code == 200
        frozen.advance(hours=2)
        response = client.get(f"/invite/{token}")
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)


def test_a_resent_invitation_replaces_the_old_link(client, team):
    f.login(client, team["admin"])
    _invite(client)
    member = _user("nina@bavaria.test")
    old = make_token(member, LinkPurpose.INVITE)
    response = client.post(f"/portal/team/{member.id}/resend")
    assert response.status_code == 200
    assert "earlier links no longer work" in response.get_data(as_text=True)
    assert client.get(f"/invite/{old}").status_code == 404
    new = make_token(_user("nina@bavaria.test"), LinkPurpose.INVITE)
    assert client.get(f"/invite/{new}").status_code == 200
    assert len(_events("user.invitation_resent")) == 1


def test_an_invitation_link_is_not_a_reset_link_and_forgeries_fail(client, team):
    token = make_token(team["rep"], LinkPurpose.INVITE)
    assert client.get(f"/password/reset/{token}").status_code == 404
    assert client.get(f"/invite/{token[:-2]}xx").status_code == 404
    assert client.get("/invite/not-a-token").status_code == 404


def test_invitation_form_explains_mistakes(client, team):
    f.login(client, team["admin"])
    taken = _invite(client, email="REP@bavaria.test")
    assert taken.status_code == 409
    assert "is already a member of this team with this address." in taken.get_data(as_text=True)
    bad = _invite(client, email="not an address", name="")
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Not an e-mail address." in page and "This field is required." in page
    wrong_role = _invite(client, role="manufacturer_admin")
    assert wrong_role.status_code == 422
    assert _user("nina@bavaria.test") is None


def test_the_team_page_lists_only_this_organisation(client, team):
    f.login(client, team["admin"])
    page = client.get("/portal/team").get_data(as_text=True)
    assert "rep@bavaria.test" in page and "rep@elsewhere.test" not in page


# --- roles and deactivation -------------------------------------------------------------------------


def test_admin_changes_a_role(client, team):
    f.login(client, team["admin"])
    response = client.post(f"/portal/team/{team['rep'].id}/role", data={"role": "partner_admin"})
    assert response.status_code == 302
    assert _user("rep@bavaria.test").role == Role.PARTNER_ADMIN
    [event] = _events("user.role_changed")
    assert event.data["from"] == "partner_rep"
    assert event.data["to"] == "partner_admin"


def test_admin_cannot_demote_or_deactivate_themselves(client, team):
    f.login(client, team["admin"])
    client.post(f"/portal/team/{team['admin'].id}/role", data={"role": "partner_rep"})
    page = client.get("/portal/team").get_data(as_text=True)
    assert "You cannot change your own role" in page
    client.post(f"/portal/team/{team['admin'].id}/deactivate")
    assert "You cannot deactivate yourself" in client.get("/portal/team").get_data(as_text=True)
    admin = _user("admin@bavaria.test")
    assert admin.role == Role.PARTNER_ADMIN and admin.is_active_user


def test_two_admins_demoting_each_other_leave_one_admin(app, team):
    first, second = team["admin"], team["rep"]
    second.role = Role.PARTNER_ADMIN
    db.session.commit()
    assert change_role(first, second, Role.PARTNER_REP)
    db.session.commit()
    # The second admin's request was already under way: it acts as who it is now, a rep.
    with pytest.raises(NotAllowed):
        change_role(second, first, Role.PARTNER_REP)
    with pytest.raises(NotAllowed):
        deactivate_member(second, first)
    db.session.rollback()
    assert _user("admin@bavaria.test").role == Role.PARTNER_ADMIN


def test_deactivation_ends_sessions_tokens_and_sign_in_until_reactivated(client, make_client, team):
    rep_browser = make_client()
    assert (
        rep_browser.post("/login", data={"email": "rep@bavaria.test", "password": f.PASSWORD}).status_code
        == 302
    )
    token = issue_token(team["rep"], "crm", TokenScope.READ).plaintext
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    assert rep_browser.get("/portal/").status_code == 200
    assert make_client().get("/api/v1/me", headers=bearer).status_code == 200

    f.login(client, team["admin"])
    response = client.post(f"/portal/team/{team['rep'].id}/deactivate")
    assert response.status_code == 302
    assert rep_browser.get("/portal/").status_code == 302  # signed out
    assert make_client().get("/api/v1/me", headers=bearer).status_code == 401
    login = make_client().post("/login", data={"email": "rep@bavaria.test", "password": f.PASSWORD})
    assert login.status_code == 401
    assert client.post(f"/portal/team/{team['rep'].id}/deactivate").status_code == 302
    assert "already deactivated" in client.get("/portal/team").get_data(as_text=True)

    client.post(f"/portal/team/{team['rep'].id}/reactivate")
    assert rep_browser.get("/portal/").status_code == 302  # old sessions stay over
    assert (
        make_client().post("/login", data={"email": "rep@bavaria.test", "password": f.PASSWORD}).status_code
        == 302
    )
    assert [e.type for e in _events("user.deactivated") + _events("user.reactivated")] == [
        "user.deactivated",
        "user.reactivated",
    ]


def test_team_actions_on_another_organisations_member_are_404(client, team):
    f.login(client, team["admin"])
    stranger = team["stranger"].id
    for action, data in (
        ("role", {"role": "partner_admin"}),
        ("deactivate", {}),
        ("reactivate", {}),
        ("resend", {}),
    ):
        assert client.post(f"/portal/team/{stranger}/{action}", data=data).status_code == 404, action
    assert _user("rep@elsewhere.test").is_active_user


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_team_forms_need_the_csrf_token(client, team):
    f.login(client, team["admin"])
    assert client.post(f"/portal/team/{team['rep'].id}/deactivate").status_code == 400
    assert _invite(client).status_code == 400
    page = client.get("/portal/team").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        client.post(f"/portal/team/{team['rep'].id}/deactivate", data={"csrf_token": token}).status_code
        == 302
    )
    assert not _user("rep@bavaria.test").is_active_user


# --- forgotten passwords ----------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_unknown_addresses(client, team, smtp_server, run_jobs):
    known = client.post("/password/forgot", data={"email": "rep@bavaria.test"})
    unknown = client.post("/password/forgot", data={"email": "ghost@bavaria.test"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    page = client.get("/login").get_data(as_text=True)
    assert "If there is an account for ghost@bavaria.test" in page
    run_jobs()
    assert [m.recipients for m in smtp_server.messages] == [["rep@bavaria.test"]]


def test_reset_link_sets_a_new_password_and_ends_other_sessions(
    client, make_client, team, smtp_server, run_jobs
):
    old_session = make_client()
    old_session.post("/login", data={"email": "rep@bavaria.test", "password": f.PASSWORD})
    client.post("/password/forgot", data={"email": "rep@bavaria.test"})
    run_jobs()
    link = _path(_mailed_link(smtp_server, "rep@bavaria.test"))
    assert "/password/reset/" in link
    assert smtp_server.messages[0].message["Subject"] == "Reset your Lead Exchange password"
    short = client.post(link, data={"new_password": "short", "confirm": "short"})
    assert "Field must be between 10 and 200 characters long." in short.get_data(as_text=True)
    response = client.post(link, data={"new_password": "a fresh password", "confirm": "a fresh password"})
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200
    assert old_session.get("/portal/").status_code == 302
    assert client.get(link).status_code == 404  # used
    assert (
        make_client().post("/login", data={"email": "rep@bavaria.test", "password": f.PASSWORD}).status_code
        == 401
    )
    assert len(_events("user.password_reset")) == 1


def test_reset_links_expire_after_an_hour(client, team):
    with clock.frozen(datetime(2026, 5, 4, 8, 0, tzinfo=UTC)) as frozen:
        token = make_token(team["rep"], LinkPurpose.RESET)
        frozen.advance(minutes=59)
        assert client.get(f"/password/reset/{token}").status_code == 200
        frozen.advance(minutes=2)
        assert client.get(f"/password/reset/{token}").status_code == 410


def test_reset_mails_are_throttled_and_never_go_to_deactivated_users(client, team, smtp_server, run_jobs):
    with clock.frozen(datetime(2026, 5, 4, 8, 0, tzinfo=UTC)) as frozen:
        for _ in range(3):
            client.post("/password/forgot", data={"email": "rep@bavaria.test"})
        frozen.advance(minutes=6)
        client.post("/password/forgot", data={"email": "rep@bavaria.test"})
    team["admin"].is_active_user = False
    db.session.commit()
    client.post("/password/forgot", data={"email": "admin@bavaria.test"})
    run_jobs()
    assert [m.recipients for m in smtp_server.messages] == [["rep@bavaria.test"], ["rep@bavaria.test"]]


@pytest.mark.app_config(PUBLIC_URL="https://leads.example.com/")
def test_mailed_links_use_the_configured_address_not_the_host_header(client, team, smtp_server, run_jobs):
    client.post("/password/forgot", data={"email": "rep@bavaria.test"}, headers={"Host": "evil.test"})
    run_jobs()
    assert _mailed_link(smtp_server, "rep@bavaria.test").startswith(
        "https://leads.example.com/password/reset/"
    )


def test_the_login_page_links_to_forgot_password(client):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)


def test_job_for_a_user_deactivated_meanwhile_sends_nothing(app, team, smtp_server):
    from exchange.accounts.password_links import send_password_link

    team["rep"].is_active_user = False
    db.session.commit()
    assert send_password_link(team["rep"].id, "reset", "http://localhost/")["sent"] == 0
    assert smtp_server.messages == []


def test_events_of_the_team_stay_with_the_organisation(client, team):
    f.login(client, team["admin"])
    _invite(client)
    event = _events("user.invited")[0]
    assert event.partner_id == team["partner"].id
    assert event.manufacturer_id is None
    assert event.data == {
        "user_id": _user("nina@bavaria.test").id,
        "email": "nina@bavaria.test",
        "role": "partner_rep",
    }
