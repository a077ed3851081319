"""The bell, the notifications page, marking read (POST + CSRF), e-mail settings, and the API."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from exchange.models import DigestFrequency, Notification, Role, User
from exchange.notify.notifications import publish_event
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    lead = f.lead(maker, company_name="Secret Buyer GmbH", industry="Food")
    offer = f.offer(lead, partner)
    w = SimpleNamespace(
        partner=partner,
        offer=offer,
        rep=f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test"),
        colleague=f.user(partner, Role.PARTNER_REP, email="colleague@bavaria.test"),
        manager=f.user(maker, Role.CHANNEL_MANAGER, email="cm@acme.test"),
    )
    publish_event("offer.created", offer=offer)
    publish_event("offer.expiring", offer=offer)
    publish_event("sla.breached", offer=offer, payload={"sla": "claim"})
    db.session.commit()
    return w


def _mine(user: User) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def _bell(page: str) -> str | None:
    match = re.search(r'data-testid="unread-count">([^<]+)<', page)
    return match.group(1) if match else None


def test_the_bell_shows_the_unread_count_on_every_page(client, world):
    f.login(client, world.rep)
    assert _bell(client.get("/portal/").get_data(as_text=True)) == "3"
    assert _bell(client.get("/account").get_data(as_text=True)) == "3"
    f.login(client, world.manager)
    assert _bell(client.get("/manage/").get_data(as_text=True)) == "1"


def test_the_page_lists_newest_first_with_links(client, world):
    f.login(client, world.rep)
    page = client.get("/notifications/").get_data(as_text=True)
    link = r'<a href="/notifications/\d+/open" data-target="/portal/offers/\d+">([^<]+)</a>'
    titles = re.findall(link, page)
    assert titles[0].startswith("SLA breached") and titles[-1].startswith("New warm lead")
    assert "Secret Buyer GmbH" not in page  # the rep has not claimed it
    assert page.count('data-unread="true"') == 3


def test_mark_one_and_all_read(client, world):
    f.login(client, world.rep)
    first, second, third = _mine(world.rep)
    response = client.post(f"/notifications/{second.id}/read", data={"show": "unread"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications/?show=unread")
    assert [n.read_at is not None for n in _mine(world.rep)] == [False, True, False]
    page = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert page.count('data-testid="notification"') == 2
    assert _bell(page) == "2"
    client.post("/notifications/read-all")
    assert all(n.read_at for n in _mine(world.rep))
    assert _bell(client.get("/notifications/").get_data(as_text=True)) is None
    # The colleague's notifications are untouched.
    assert not any(n.read_at for n in _mine(world.colleague))


def test_opening_a_notification_follows_its_link_and_marks_it_read(client, world):
    f.login(client, world.rep)
    first, second, _third = _mine(world.rep)
    response = client.get(f"/notifications/{second.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == second.link
    assert [n.read_at is not None for n in _mine(world.rep)] == [False, True, False]
    assert _bell(client.get("/notifications/").get_data(as_text=True)) == "2"
    theirs = _mine(world.colleague)[0]
    assert client.get(f"/notifications/{theirs.id}/open").status_code == 404
    assert _mine(world.colleague)[0].read_at is None


def test_another_users_notification_is_not_found(client, world):
    f.login(client, world.rep)
    theirs = _mine(world.colleague)[0]
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.id}/read", headers=_csrf(client)).status_code == 404
    assert _mine(world.colleague)[0].read_at is None


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_marking_read_needs_the_csrf_token(client, world):
    f.login(client, world.rep)
    note = _mine(world.rep)[0]
    assert client.post(f"/notifications/{note.id}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert client.post("/api/v1/notifications/read-all").status_code == 400
    assert not any(n.read_at for n in _mine(world.rep))
    page = client.get("/notifications/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/notifications/{note.id}/read", data={"csrf_token": token}).status_code == 302
    assert _mine(world.rep)[0].read_at is not None


def test_email_settings(client, world):
    f.login(client, world.rep)
    page = client.get("/notifications/settings")
    assert page.status_code == 200
    assert '<option selected value="immediate">' in page.get_data(as_text=True)
    response = client.post(
        "/notifications/settings", data={"email_notifications": "y", "digest_frequency": "daily"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    rep = db.session.get(User, world.rep.id)
    assert (rep.email_notifications, rep.digest_frequency) == (True, DigestFrequency.DAILY)
    client.post("/notifications/settings", data={"digest_frequency": "hourly"})  # box unticked
    db.session.expire_all()
    assert db.session.get(User, world.rep.id).email_notifications is False
    bad = client.post("/notifications/settings", data={"digest_frequency": "weekly"})
    assert bad.status_code == 200
    assert "Not a valid choice" in bad.get_data(as_text=True)


def test_api_lists_and_marks_read(client, world):
    f.login(client, world.rep)
    body = client.get("/api/v1/notifications?per_page=2").get_json()
    assert (body["total"], body["unread"], body["pages"], len(body["items"])) == (3, 3, 2, 2)
    newest = body["items"][0]
    assert newest["kind"] == "sla.breached"
    assert newest["link"] == f"/portal/offers/{world.offer.id}"
    assert newest["read_at"] is None
    marked = client.post(f"/api/v1/notifications/{newest['id']}/read", headers=_csrf(client))
    assert marked.status_code == 200 and marked.get_json()["read_at"]
    assert client.get("/api/v1/notifications?unread=true").get_json()["total"] == 2
    assert client.post("/api/v1/notifications/read-all", headers=_csrf(client)).get_json() == {"marked": 2}
    assert client.get("/api/v1/notifications").get_json()["unread"] == 0


def _csrf(client) -> dict[str, str]:
    """A CSRF token for session-authenticated API writes (the page's meta tag)."""
    page = client.get("/notifications/").get_data(as_text=True)
    return {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)}


def test_api_with_tokens(client, world):
    from exchange.accounts.tokens import issue_token
    from exchange.models import TokenScope

    read = issue_token(world.rep, "crm read").plaintext
    write = issue_token(world.rep, "crm", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    assert client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {read}"}).status_code == 200
    refused = client.post("/api/v1/notifications/read-all", headers={"Authorization": f"Bearer {read}"})
    assert refused.status_code == 403
    done = client.post("/api/v1/notifications/read-all", headers={"Authorization": f"Bearer {write}"})
    assert done.get_json() == {"marked": 3}
    assert client.get("/api/v1/notifications").status_code == 401


def test_a_failing_count_does_not_break_the_page(client, world, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from exchange.notify import inbox

    def broken(user):
        raise OperationalError("SELECT count(*)", {}, Exception("connection lost"))

    monkeypatch.setattr(inbox, "unread_count", broken)
    f.login(client, world.rep)
    response = client.get("/account")
    assert response.status_code == 200
    assert _bell(response.get_data(as_text=True)) is None
