"""Who may open what: one matrix of (endpoint, role, expected status), and cross-tenant probing."""

from __future__ import annotations

import pytest

from exchange.extensions import db
from exchange.models import Role
from tests import factories as f

ANON = "anonymous"
M_ADMIN, C_MGR, P_ADMIN, P_REP = (
    Role.MANUFACTURER_ADMIN,
    Role.CHANNEL_MANAGER,
    Role.PARTNER_ADMIN,
    Role.PARTNER_REP,
)


@pytest.fixture
def world(app):
    maker = f.manufacturer("Maker A")
    other_maker = f.manufacturer("Maker B")
    partner = f.partner(maker, "Partner A")
    other_partner = f.partner(other_maker, "Partner B")
    users = {
        M_ADMIN: f.user(maker, M_ADMIN),
        C_MGR: f.user(maker, C_MGR),
        P_ADMIN: f.user(partner, P_ADMIN),
        P_REP: f.user(partner, P_REP),
    }
    lead = f.lead(maker)
    other_lead = f.lead(other_maker)
    offer = f.offer(lead, partner)
    other_offer = f.offer(other_lead, other_partner)
    other_partner_user = f.user(other_partner, P_ADMIN)
    other_maker_user = f.user(other_maker, M_ADMIN)
    db.session.commit()
    return {
        "users": users,
        "lead": lead.id,
        "other_lead": other_lead.id,
        "offer": offer.id,
        "other_offer": other_offer.id,
        "other_partner_user": other_partner_user,
        "other_maker_user": other_maker_user,
    }


# (path, {role: expected status}); anonymous browsers are sent to the login page, API callers get 401.
MATRIX = [
    ("/manage/", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/leads", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/leads/{lead}", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/partners", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/leads/new", {ANON: 302, M_ADMIN: 200, C_MGR: 403, P_ADMIN: 403, P_REP: 403}),
    ("/manage/leads/{lead}/edit", {ANON: 302, M_ADMIN: 200, C_MGR: 403, P_ADMIN: 403, P_REP: 403}),
    ("/manage/leads/export.csv", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/imports", {ANON: 302, M_ADMIN: 200, C_MGR: 403, P_ADMIN: 403, P_REP: 403}),
    ("/manage/campaigns", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/campaigns/new", {ANON: 302, M_ADMIN: 200, C_MGR: 403, P_ADMIN: 403, P_REP: 403}),
    ("/manage/qualification", {ANON: 302, M_ADMIN: 200, C_MGR: 403, P_ADMIN: 403, P_REP: 403}),
    ("/manage/settings", {ANON: 302, M_ADMIN: 200, C_MGR: 403, P_ADMIN: 403, P_REP: 403}),
    ("/portal/", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/portal/offers/{offer}", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/portal/profile", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403}),
    ("/portal/team", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403}),
    ("/account", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/me", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/leads", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/api/v1/leads/{lead}", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/api/v1/campaigns", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/api/v1/partner/offers", {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/healthz", {ANON: 200, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/api/openapi.json", {ANON: 200, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
]

CASES = [(path, role, status) for path, expected in MATRIX for role, status in expected.items()]


@pytest.mark.parametrize(("path", "role", "status"), CASES, ids=[f"{p} {r}" for p, r, _ in CASES])
def test_permission_matrix(client, world, path, role, status):
    if role != ANON:
        f.login(client, world["users"][role])
    response = client.get(path.format(lead=world["lead"], offer=world["offer"]))
    response.close()  # the CSV export is a file
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 302:
        assert "/login" in response.headers["Location"]


GUESSES = [
    # (path, role of the prober) - each names an object of *another* organisation
    ("/manage/leads/{other_lead}", M_ADMIN),
    ("/manage/leads/{other_lead}", C_MGR),
    ("/manage/leads/{other_lead}/edit", M_ADMIN),
    ("/api/v1/leads/{other_lead}", M_ADMIN),
    ("/portal/offers/{other_offer}", P_ADMIN),
    ("/portal/offers/{other_offer}", P_REP),
    ("/manage/leads/999999", M_ADMIN),
]


@pytest.mark.parametrize(("path", "role"), GUESSES)
def test_guessing_ids_of_another_organisation_gives_404(client, world, path, role):
    f.login(client, world["users"][role])
    response = client.get(path.format(other_lead=world["other_lead"], other_offer=world["other_offer"]))
    assert response.status_code == 404


def test_the_other_tenant_sees_its_own_objects(client, world):
    """The 404s above are about ownership, not broken routes: the owners get 200."""
    f.login(client, world["other_maker_user"])
    assert client.get(f"/manage/leads/{world['other_lead']}").status_code == 200
    assert client.get(f"/manage/leads/{world['lead']}").status_code == 404
    f.login(client, world["other_partner_user"])
    assert client.get(f"/portal/offers/{world['other_offer']}").status_code == 200
    assert client.get(f"/portal/offers/{world['offer']}").status_code == 404


def test_lists_only_show_own_objects(client, world):
    f.login(client, world["users"][M_ADMIN])
    ids = [item["id"] for item in client.get("/api/v1/leads").get_json()["items"]]
    assert ids == [world["lead"]]
    f.login(client, world["users"][P_REP])
    ids = [item["id"] for item in client.get("/api/v1/partner/offers").get_json()["items"]]
    assert ids == [world["offer"]]
