"""/api/v1/partners: list with filters and pages, add (new, existing, refused, idempotent), read and
change one; manufacturer tokens only; another programme's enrollment is 404."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange.accounts.tokens import issue_token
from exchange.models import Enrollment, Event, Role, Tier, TokenScope
from exchange.platform.event_types import AuditEvent
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def api(app, client):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Enrolled Reseller", tier=Tier.SILVER)
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    existing = f.partner(f.manufacturer("Other Maker"), "Secret Real Name")
    f.user(existing, Role.PARTNER_ADMIN, email="boss@existing.test")
    partner_admin = f.user(partner, Role.PARTNER_ADMIN)
    tokens = {
        "admin": issue_token(admin, "t", TokenScope.READ_WRITE).plaintext,
        "manager": issue_token(manager, "t", TokenScope.READ_WRITE).plaintext,
        "partner": issue_token(partner_admin, "t", TokenScope.READ_WRITE).plaintext,
    }
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == partner.id))
    other = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == existing.id))
    db.session.commit()

    def call(method: str, path: str, who: str = "admin", **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs)

    call.enrollment_id = enrollment.id
    call.other_id = other.id
    return call


def test_add_a_new_partner_answers_201_with_the_outcome(api):
    body = {
        "company": "Bavaria Systems",
        "admin_email": "anna@bavaria.test",
        "external_id": "001A",
        "country": "DE",
        "tier": "gold",
        "product_lines": ["pumps"],
        "coverage": [{"country": "DE", "region": "BY"}],
        "capacity": 5,
        "annual_revenue": "150000.00",
    }
    response = api("POST", "/api/v1/partners", json=body)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["outcome"] == "created" and data["invited"] is True
    partner = data["partner"]
    assert (
        partner["status"] == "invited" and partner["tier"] == "gold" and partner["product_lines"] == ["pumps"]
    )
    assert (
        partner["invited_name"] == "Bavaria Systems"
        and partner["name"] is None
        and partner["profile"] is None
    )
    # The same answer as for a partner that existed: nothing says the organisation is new.
    assert partner["not_ready"] == ["not_active"] and "created_partner" not in partner
    again = api("POST", "/api/v1/partners", json=body)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert again.get_json()["partner"]["id"] == partner["id"]


def test_an_existing_partner_is_invited_and_shown_by_what_was_entered(api):
    response = api("POST", "/api/v1/partners", json={"company": "Ours", "admin_email": "boss@existing.test"})
    assert response.status_code == 201
    partner_id = response.get_json()["partner"]["id"]
    read = api("GET", f"/api/v1/partners/{partner_id}").get_json()
    assert read["invited_name"] == "Ours" and read["name"] is None and read["accepted"] is False
    assert read["not_ready"] == ["not_active"] and read["paused"] is None
    assert "Secret Real Name" not in str(api("GET", "/api/v1/partners?q=ours").get_json())


def test_refusals_use_the_one_error_shape(api):
    maker_user = f.user(f.manufacturer(), Role.MANUFACTURER_ADMIN, email="someone@maker.test")
    db.session.commit()
    refused = api("POST", "/api/v1/partners", json={"company": "X", "admin_email": maker_user.email})
    assert refused.status_code == 409
    body = refused.get_json()
    assert set(body) == {"code", "status", "message", "errors"} and "admin_email" in body["errors"]
    bad_line = api(
        "POST", "/api/v1/partners", json={"company": "X", "admin_email": "x@y.test", "product_lines": ["no"]}
    )
    assert bad_line.status_code == 422 and "product_lines" in bad_line.get_json()["errors"]
    assert api("POST", "/api/v1/partners", json={"company": "X"}).status_code == 422


def test_list_pages_and_filters(api):
    for n in range(3):
        api("POST", "/api/v1/partners", json={"company": f"New {n}", "admin_email": f"a{n}@new.test"})
    page = api("GET", "/api/v1/partners?per_page=2&page=2").get_json()
    assert (
        page["total"] == 4
        and page["pages"] == 2
        and [p["invited_name"] for p in page["items"]] == ["New 1", "New 2"]
    )
    invited = api("GET", "/api/v1/partners?status=invited").get_json()
    assert invited["total"] == 3
    silver = api("GET", "/api/v1/partners?tier=silver").get_json()
    assert [p["name"] for p in silver["items"]] == ["Enrolled Reseller"]
    assert api("GET", "/api/v1/partners?readiness=bogus").status_code == 422


def test_patch_changes_tier_and_product_lines_with_events(api):
    path = f"/api/v1/partners/{api.enrollment_id}"
    response = api("PATCH", path, json={"tier": "platinum", "product_lines": ["pumps"]})
    assert response.status_code == 200 and response.get_json()["tier"] == "platinum"
    assert response.get_json()["product_lines"] == ["pumps"]
    types = set(db.session.scalars(sa.select(Event.type)))
    assert {AuditEvent.ENROLLMENT_TIER_CHANGED, AuditEvent.ENROLLMENT_PRODUCT_LINES_CHANGED} <= types
    assert api("PATCH", path, json={"product_lines": ["nope"]}).status_code == 422


def test_who_may_do_what_and_another_programme_is_404(api):
    assert api("GET", "/api/v1/partners", who="manager").status_code == 200
    assert (
        api(
            "PATCH", f"/api/v1/partners/{api.enrollment_id}", who="manager", json={"tier": "gold"}
        ).status_code
        == 403
    )
    assert api("GET", "/api/v1/partners", who="partner").status_code == 403
    assert api("GET", f"/api/v1/partners/{api.other_id}").status_code == 404
    assert api("PATCH", f"/api/v1/partners/{api.other_id}", json={"tier": "gold"}).status_code == 404
