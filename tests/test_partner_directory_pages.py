"""The manufacturer's partner directory pages: the list, adding by hand, the partner page, tier and
product-line changes, resending; what a channel manager may do; another programme's partner is 404."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from exchange.models import Enrollment, EnrollmentStatus, Event, Notification, Role, Tier, User
from exchange.platform import clock
from exchange.platform.event_types import AuditEvent
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    active = f.partner(maker, "Active Reseller", tier=Tier.GOLD)
    f.user(active, Role.PARTNER_ADMIN).last_login_at = clock.now()
    other_maker = f.manufacturer("Other Maker")
    existing = f.partner(other_maker, "Secret Real Name", coverage=[("FR", None, None)])
    f.user(existing, Role.PARTNER_ADMIN, email="boss@existing.test")
    other_enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == existing.id))
    db.session.commit()
    return maker, admin, manager, active, existing, other_enrollment


def _enrollment(partner_id: int, maker_id: int) -> Enrollment:
    return db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.partner_id == partner_id, Enrollment.manufacturer_id == maker_id
        )
    )


def _add(client, **values):
    data = {
        "company": "Bavaria Systems",
        "country": "DE",
        "tier": "silver",
        "product_lines": ["pumps"],
        "admin_name": "Anna",
        "admin_email": "anna@bavaria.test",
        "external_id": "",
        "invite": "y",
    } | values
    return client.post("/manage/partners/new", data=data)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="directory-row">\s*<td><a href="[^"]+">([^<]+)</a>', html)


def test_adding_a_new_partner_by_hand(client, world, run_jobs, smtp_server):
    maker, admin, *_ = world
    f.login(client, admin)
    response = _add(client)
    assert response.status_code == 302
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(Enrollment.invited_email == "anna@bavaria.test")
    )
    assert response.headers["Location"].endswith(f"/manage/partners/{enrollment.id}")
    assert enrollment.status == EnrollmentStatus.INVITED and enrollment.created_partner
    assert enrollment.partner.profile.country == "DE"
    run_jobs()
    assert [m.recipients for m in smtp_server.messages] == [["anna@bavaria.test"]]
    page = client.get(f"/manage/partners/{enrollment.id}").get_data(as_text=True)
    # Until its admin accepts, it reads like an invited existing partner (nothing says it is new).
    assert "Bavaria Systems" in page and "Its admin has not signed in yet" not in page
    assert 'data-testid="resend"' in page and "Invited" in page  # the history
    listing = client.get("/manage/partners").get_data(as_text=True)
    assert _rows(listing) == ["Active Reseller", "Bavaria Systems"]


def test_the_form_shows_errors_on_their_field(client, world):
    _maker, admin, *_ = world
    f.login(client, admin)
    manufacturer_user = f.user(f.manufacturer(), Role.CHANNEL_MANAGER, email="cm@elsewhere.test")
    db.session.commit()
    response = _add(client, admin_email=manufacturer_user.email)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(
        r'id="admin_email"[^>]*>\s*<div class="form-text">.*?</div>\s*'
        r'<div class="invalid-feedback">[^<]*manufacturer',
        html,
        re.S,
    )
    assert _add(client, product_lines=["nonsense"]).status_code == 422  # not a choice of the form
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email.like("%bavaria%")))
        == 0
    )


def test_an_existing_partner_shows_only_what_the_manufacturer_typed(client, world):
    maker, admin, _manager, _active, existing, _other = world
    f.login(client, admin)
    assert _add(client, company="Our name for them", admin_email="boss@existing.test").status_code == 302
    enrollment = _enrollment(existing.id, maker.id)
    assert not enrollment.created_partner
    page = client.get(f"/manage/partners/{enrollment.id}").get_data(as_text=True)
    listing = client.get("/manage/partners?q=existing").get_data(as_text=True)
    for html in (page, listing):
        assert "Our name for them" in html and "boss@existing.test" in html
        assert "Secret Real Name" not in html and "FR" not in html
    assert "Enrollment not active" in page and "Its admin has not signed in" not in page
    performance = client.get("/manage/analytics/partners").get_data(as_text=True)
    assert "Secret Real Name" not in performance and "Active Reseller" in performance
    assert existing.profile.country is None and existing.name == "Secret Real Name"


def test_tier_change_and_its_event(client, world):
    maker, admin, _manager, active, *_ = world
    enrollment = _enrollment(active.id, maker.id)
    f.login(client, admin)
    response = client.post(
        f"/manage/partners/{enrollment.id}/programme", data={"tier": "platinum", "product_lines": ["pumps"]}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert enrollment.tier == Tier.PLATINUM and [line.code for line in enrollment.product_lines] == ["pumps"]
    types = set(db.session.scalars(sa.select(Event.type).where(Event.partner_id == active.id)))
    assert {AuditEvent.ENROLLMENT_TIER_CHANGED, AuditEvent.ENROLLMENT_PRODUCT_LINES_CHANGED} <= types
    page = client.get(f"/manage/partners/{enrollment.id}").get_data(as_text=True)
    assert "Tier changed: Gold → Platinum" in page and "Product lines changed: – → pumps" in page
    assert (
        client.post(f"/manage/partners/{enrollment.id}/programme", data={"tier": "diamond"}).status_code
        == 422
    )


def test_a_channel_manager_reads_but_changes_nothing(client, world):
    maker, _admin, manager, active, *_ = world
    enrollment = _enrollment(active.id, maker.id)
    f.login(client, manager)
    listing = client.get("/manage/partners").get_data(as_text=True)
    assert 'data-testid="add-partner"' not in listing and "Active Reseller" in listing
    page = client.get(f"/manage/partners/{enrollment.id}").get_data(as_text=True)
    assert 'data-testid="programme-form"' not in page and "Gold" in page
    assert client.get("/manage/partners/new").status_code == 403
    assert (
        client.post(f"/manage/partners/{enrollment.id}/programme", data={"tier": "silver"}).status_code == 403
    )


def test_another_programmes_partner_is_404(client, world):
    _maker, admin, _manager, _active, _existing, other_enrollment = world
    f.login(client, admin)
    assert client.get(f"/manage/partners/{other_enrollment.id}").status_code == 404
    assert client.post(f"/manage/partners/{other_enrollment.id}/resend").status_code == 404
    assert (
        client.post(f"/manage/partners/{other_enrollment.id}/programme", data={"tier": "gold"}).status_code
        == 404
    )


def test_resend_and_its_refusal_once_answered(client, world):
    maker, admin, _manager, active, *_ = world
    f.login(client, admin)
    _add(client)
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(Enrollment.invited_email == "anna@bavaria.test")
    )
    assert client.post(f"/manage/partners/{enrollment.id}/resend").status_code == 302
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Event)
            .where(Event.type == AuditEvent.ENROLLMENT_INVITATION_RESENT)
        )
        == 1
    )
    answered = _enrollment(active.id, maker.id)
    response = client.post(f"/manage/partners/{answered.id}/resend", follow_redirects=True)
    assert "Only an invitation that has not been answered" in response.get_data(as_text=True)


def test_the_directory_pages_and_filters(client, world, monkeypatch):
    maker, admin, *_ = world
    monkeypatch.setattr("manufacturer_admin.partner_views.PER_PAGE", 2)
    for n in range(4):
        f.partner(maker, f"Reseller {n}")
    db.session.commit()
    f.login(client, admin)
    first = client.get("/manage/partners").get_data(as_text=True)
    assert _rows(first) == ["Active Reseller", "Reseller 0"] and "Page 1 of 3" in first
    last = client.get("/manage/partners?page=3").get_data(as_text=True)
    assert _rows(last) == ["Reseller 3"]
    gold = client.get("/manage/partners?tier=gold").get_data(as_text=True)
    assert _rows(gold) == ["Active Reseller"]
    ready = client.get("/manage/partners?readiness=ready").get_data(as_text=True)
    assert _rows(ready) == ["Active Reseller"]  # the others' admins never signed in
    assert 'href="/manage/analytics/partners"' in first


def test_inviting_an_ended_partner_again_sends_the_invitation(client, world):
    maker, admin, _manager, active, *_ = world
    boss = db.session.scalar(sa.select(User).where(User.organisation_id == active.id))
    enrollment = _enrollment(active.id, maker.id)
    enrollment.status = EnrollmentStatus.ENDED
    db.session.commit()
    f.login(client, admin)
    assert client.post(f"/manage/partners/{enrollment.id}/reactivate", data={"reason": ""}).status_code == 302
    db.session.expire_all()
    assert enrollment.status == EnrollmentStatus.INVITED and enrollment.invited_at is not None
    [notification] = db.session.scalars(sa.select(Notification).where(Notification.user_id == boss.id)).all()
    assert notification.link == "/portal/programmes"
