"""The enrollment lifecycle in the browser and the API: the partner's programmes page, the
manufacturer's lifecycle buttons, ``/api/v1/enrollments`` for both sides, and a created partner
joining by accepting its account invitation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_login import login_user

from exchange.accounts import organisations
from exchange.accounts.password_links import LinkPurpose, make_token
from exchange.accounts.tokens import issue_token
from exchange.models import (
    ClaimStatus,
    Enrollment,
    EnrollmentStatus,
    LeadStatus,
    Offer,
    OfferState,
    ProductLine,
    Role,
    TokenScope,
)
from exchange.platform.extensions import db
from tests import factories as f

S = EnrollmentStatus


@pytest.fixture
def world(app):
    maker = f.manufacturer("Pump Maker")
    other_maker = f.manufacturer("Valve Maker")
    partner = f.partner(maker, "Alpha Systems")
    spare = f.partner(maker, "Beta Systems")
    active = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == partner.id))
    active.product_lines = list(
        db.session.scalars(sa.select(ProductLine).where(ProductLine.manufacturer_id == maker.id))
    )
    invitation = organisations.enroll(other_maker, partner, status=S.INVITED)
    invitation.invited_name, invitation.invited_email = "Alpha (CRM)", "admin@alpha.test"
    people = {
        "m_admin": f.user(maker, Role.MANUFACTURER_ADMIN),
        "c_mgr": f.user(maker, Role.CHANNEL_MANAGER),
        "o_admin": f.user(other_maker, Role.MANUFACTURER_ADMIN),
        "p_admin": f.user(partner, Role.PARTNER_ADMIN),
        "p_rep": f.user(partner, Role.PARTNER_REP),
        "s_admin": f.user(spare, Role.PARTNER_ADMIN),
    }
    tokens = {key: issue_token(u, "t", TokenScope.READ_WRITE).plaintext for key, u in people.items()}
    db.session.commit()
    return {
        "maker": maker,
        "other_maker": other_maker,
        "partner": partner,
        "spare": spare,
        "active": active,
        "invitation": invitation,
        "tokens": tokens,
        **people,
    }


def signed_in(make_client, user):
    return f.login(make_client(), user)


def api(client, method, path, token, json=None):
    return client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, json=json)


# --- the partner's programmes page ----------------------------------------------------------------


def test_the_partner_sees_its_programmes_and_answers_invitations(world, make_client):
    page = signed_in(make_client, world["p_admin"]).get("/portal/programmes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Pump Maker" in html and "Valve Maker" in html and "Pumps" in html
    assert f'action="/portal/programmes/{world["invitation"].id}/accept"' in html
    assert "Beta Systems" not in html


def test_a_rep_sees_the_list_without_buttons_and_cannot_accept(world, make_client):
    client = signed_in(make_client, world["p_rep"])
    html = client.get("/portal/programmes").get_data(as_text=True)
    assert "Valve Maker" in html and "/accept" not in html and 'data-testid="ask-admin"' in html
    assert client.post(f"/portal/programmes/{world['invitation'].id}/accept").status_code == 403
    db.session.expire_all()
    assert world["invitation"].status == S.INVITED


def test_accept_and_decline_on_the_page(world, make_client):
    client = signed_in(make_client, world["p_admin"])
    response = client.post(f"/portal/programmes/{world['invitation'].id}/accept")
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/programmes")
    db.session.expire_all()
    assert world["invitation"].status == S.ACTIVE
    again = client.post(f"/portal/programmes/{world['invitation'].id}/accept", follow_redirects=True)
    assert "no open invitation" in again.get_data(as_text=True)

    third = organisations.enroll(f.manufacturer("Third"), world["partner"], status=S.INVITED)
    db.session.commit()
    client.post(f"/portal/programmes/{third.id}/decline", data={"reason": "Not our market"})
    db.session.expire_all()
    assert third.status == S.DECLINED and third.status_reason == "Not our market"


def test_another_partners_invitation_is_not_found(world, make_client):
    client = signed_in(make_client, world["s_admin"])
    assert client.post(f"/portal/programmes/{world['invitation'].id}/accept").status_code == 404
    assert client.post(f"/portal/programmes/{world['invitation'].id}/decline").status_code == 404


def test_accepting_the_account_invitation_accepts_the_created_partners_enrollment(world, make_client):
    created = f.partner(None, "Gamma New")
    enrollment = organisations.enroll(world["maker"], created, status=S.INVITED)
    enrollment.created_partner = True
    admin = f.user(created, Role.PARTNER_ADMIN, password=None)
    token = make_token(admin, LinkPurpose.INVITE)
    db.session.commit()
    response = make_client().post(
        f"/invite/{token}", data={"new_password": "gamma's new password", "confirm": "gamma's new password"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert enrollment.status == S.ACTIVE and enrollment.responded_at is not None


# --- the manufacturer's buttons -------------------------------------------------------------------


def lifecycle_block(app, user, enrollment) -> str:
    """``manage/partner_lifecycle.html`` as the partner page includes it, for ``user``."""
    with app.test_request_context("/manage/partners"):
        login_user(user)
        return render_template("manage/partner_lifecycle.html", enrollment=enrollment)


def test_the_lifecycle_block_shows_the_actions_the_status_allows(world, app):
    html = lifecycle_block(app, world["m_admin"], world["active"])
    assert "/suspend" in html and "/end" in html and "/reactivate" not in html
    html = lifecycle_block(app, world["c_mgr"], world["active"])
    assert "/suspend" not in html and "active" in html


def test_suspend_end_reactivate_and_reassign_on_the_pages(world, make_client, app):
    maker, partner, enrollment = world["maker"], world["partner"], world["active"]
    lead = f.lead(maker, status=LeadStatus.OFFERED, current_wave=1)
    f.offer(lead, partner)
    claim = f.claim(f.offer(f.lead(maker), partner))
    db.session.commit()
    client = signed_in(make_client, world["m_admin"])
    base = f"/manage/partners/{enrollment.id}"

    refused = client.post(f"{base}/suspend", data={"reason": ""}, follow_redirects=True)
    assert "Say why" in refused.get_data(as_text=True)
    assert client.post(f"{base}/suspend", data={"reason": "Audit"}).status_code == 302
    db.session.expire_all()
    assert enrollment.status == S.SUSPENDED
    offer = db.session.scalar(
        sa.select(Offer).where(Offer.lead_id == lead.id, Offer.partner_id == partner.id)
    )
    assert offer.state == OfferState.WITHDRAWN

    html = lifecycle_block(app, world["m_admin"], enrollment)
    assert f'name="claim_ids" value="{claim.id}"' in html and "/reactivate" in html

    nothing = client.post(f"{base}/reassign", data={"chosen": "1"}, follow_redirects=True)
    assert "Choose the claims" in nothing.get_data(as_text=True)
    client.post(f"{base}/reassign", data={"chosen": "1", "claim_ids": str(claim.id), "reason": "Waiting"})
    db.session.expire_all()
    assert claim.status == ClaimStatus.REVOKED

    client.post(f"{base}/reactivate", data={"reason": "Fine again"})
    db.session.expire_all()
    assert enrollment.status == S.ACTIVE
    client.post(f"{base}/end", data={"reason": "Over"})
    db.session.expire_all()
    assert enrollment.status == S.ENDED


def test_a_channel_manager_cannot_suspend_and_another_programme_is_not_found(world, make_client):
    base = f"/manage/partners/{world['active'].id}"
    assert (
        signed_in(make_client, world["c_mgr"]).post(f"{base}/suspend", data={"reason": "x"}).status_code
        == 403
    )
    # The partner's enrollment in the other programme, from this manufacturer's side: 404.
    other = signed_in(make_client, world["m_admin"])
    assert (
        other.post(f"/manage/partners/{world['invitation'].id}/end", data={"reason": "x"}).status_code == 404
    )
    assert (
        signed_in(make_client, world["o_admin"]).post(f"{base}/suspend", data={"reason": "x"}).status_code
        == 404
    )


# --- the API ----------------------------------------------------------------------------------------


def test_the_manufacturer_sees_only_the_invited_name_before_acceptance(world, client):
    items = api(client, "GET", "/api/v1/enrollments", world["tokens"]["o_admin"]).get_json()["items"]
    assert len(items) == 1
    [invited] = items
    assert invited["status"] == "invited" and invited["partner"] is None
    assert invited["invited_name"] == "Alpha (CRM)" and invited["invited_email"] == "admin@alpha.test"
    assert "Alpha Systems" not in str(invited)

    mine = api(client, "GET", "/api/v1/enrollments", world["tokens"]["m_admin"]).get_json()["items"]
    assert {e["partner"]["name"] for e in mine} == {"Alpha Systems", "Beta Systems"}


def test_the_partner_sees_its_programmes_with_tier_and_product_lines(world, client):
    items = api(client, "GET", "/api/v1/enrollments", world["tokens"]["p_rep"]).get_json()["items"]
    by_maker = {e["manufacturer"]["name"]: e for e in items}
    assert set(by_maker) == {"Pump Maker", "Valve Maker"}
    assert by_maker["Pump Maker"]["tier"] == "silver" and by_maker["Pump Maker"]["status"] == "active"
    assert by_maker["Pump Maker"]["product_lines"] == [{"code": "pumps", "name": "Pumps"}]
    assert by_maker["Valve Maker"]["status"] == "invited"
    assert "invited_email" not in by_maker["Valve Maker"] and "partner" not in by_maker["Valve Maker"]
    only = api(client, "GET", "/api/v1/enrollments?status=invited", world["tokens"]["p_rep"]).get_json()
    assert [e["id"] for e in only["items"]] == [world["invitation"].id]


def test_accept_through_the_api_then_the_manufacturer_sees_the_partner(world, client):
    path = f"/api/v1/enrollments/{world['invitation'].id}"
    refused = api(client, "POST", f"{path}/accept", world["tokens"]["p_rep"])
    assert refused.status_code == 403 and set(refused.get_json()) == {"code", "status", "message", "errors"}
    assert api(client, "POST", f"{path}/accept", world["tokens"]["s_admin"]).status_code == 404
    accepted = api(client, "POST", f"{path}/accept", world["tokens"]["p_admin"])
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "active"
    seen = api(client, "GET", path, world["tokens"]["o_admin"]).get_json()
    assert seen["partner"]["name"] == "Alpha Systems"
    conflict = api(client, "POST", f"{path}/decline", world["tokens"]["p_admin"], json={})
    assert conflict.status_code == 409 and conflict.get_json()["errors"] == {
        "status": [conflict.get_json()["message"]]
    }


def test_suspend_and_reassign_through_the_api(world, client):
    maker, partner = world["maker"], world["partner"]
    claim = f.claim(f.offer(f.lead(maker), partner))
    db.session.commit()
    path = f"/api/v1/enrollments/{world['active'].id}"
    token = world["tokens"]["m_admin"]
    assert api(client, "POST", f"{path}/suspend", token, json={}).status_code == 422
    assert (
        api(client, "POST", f"{path}/suspend", world["tokens"]["c_mgr"], json={"reason": "x"}).status_code
        == 403
    )
    assert (
        api(client, "POST", f"{path}/suspend", world["tokens"]["o_admin"], json={"reason": "x"}).status_code
        == 404
    )
    suspended = api(client, "POST", f"{path}/suspend", token, json={"reason": "Audit"})
    assert suspended.status_code == 200 and suspended.get_json()["status_reason"] == "Audit"
    result = api(client, "POST", f"{path}/reassign", token, json={"reason": "Waiting"}).get_json()
    assert result["reassigned"] == [claim.id] and result["enrollment"]["status"] == "suspended"
    assert api(client, "POST", f"{path}/reactivate", token, json={}).get_json()["status"] == "active"
    assert api(client, "POST", f"{path}/end", token, json={"reason": "Over"}).get_json()["status"] == "ended"


def test_another_sides_or_programmes_enrollment_is_not_found(world, client):
    for who, enrollment in (("m_admin", "invitation"), ("s_admin", "invitation"), ("o_admin", "active")):
        response = api(client, "GET", f"/api/v1/enrollments/{world[enrollment].id}", world["tokens"][who])
        assert response.status_code == 404, who


def test_a_withdrawn_invitation_still_hides_the_partner(world, client):
    path = f"/api/v1/enrollments/{world['invitation'].id}"
    token = world["tokens"]["o_admin"]
    assert api(client, "POST", f"{path}/end", token, json={"reason": "Sent by mistake"}).status_code == 200
    seen = api(client, "GET", path, token).get_json()
    assert seen["status"] == "ended" and seen["partner"] is None
    assert api(client, "POST", f"{path}/reactivate", token, json={}).get_json()["status"] == "invited"
