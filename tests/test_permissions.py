"""Who may open what: one matrix of (endpoint, role, expected status), and cross-tenant probing."""

from __future__ import annotations

import pytest

from exchange.accounts.tokens import issue_token
from exchange.leads.campaigns import create_campaign
from exchange.models import Role, TokenScope
from exchange.platform.extensions import db
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
    claimed_lead = f.lead(maker)
    claim = f.claim(f.offer(claimed_lead, partner))
    other_claim = f.claim(f.offer(f.lead(other_maker), other_partner))
    other_partner_user = f.user(other_partner, P_ADMIN)
    other_maker_user = f.user(other_maker, M_ADMIN)
    tokens = {role: issue_token(user, "matrix", TokenScope.READ_WRITE) for role, user in users.items()}
    other_partner_token = issue_token(other_partner_user, "theirs", TokenScope.READ)
    other_maker_token = issue_token(other_maker_user, "theirs", TokenScope.READ)
    webhook = f.webhook_endpoint(partner)
    other_webhook = f.webhook_endpoint(other_partner)
    campaign = create_campaign(maker, {"name": "Fair", "cost": 100})
    other_campaign = create_campaign(other_maker, {"name": "Their fair", "cost": 100})
    db.session.commit()
    return {
        "bearer": {role: issued.plaintext for role, issued in tokens.items()},
        "rep": users[P_REP].id,
        "partner_token": tokens[P_ADMIN].token.id,
        "maker_token": tokens[M_ADMIN].token.id,
        "other_partner_member": other_partner_user.id,
        "other_partner_token": other_partner_token.token.id,
        "other_maker_token": other_maker_token.token.id,
        "users": users,
        "lead": lead.id,
        "other_lead": other_lead.id,
        "campaign": campaign.id,
        "other_campaign": other_campaign.id,
        "offer": offer.id,
        "other_offer": other_offer.id,
        "other_partner_user": other_partner_user,
        "other_maker_user": other_maker_user,
        "webhook": webhook.id,
        "claim": claim.id,
        "claimed_lead": claimed_lead.id,
        "other_claim": other_claim.id,
        "other_webhook": other_webhook.id,
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
    ("/manage/leads/{lead}/partners", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/coverage-gaps", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/matching", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/sla", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/portal/leads", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/portal/leads/{claim}", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/portal/performance", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/partner/offers/{offer}", {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/partner/leads", {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/partner/leads/{claim}", {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/sla-policies", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/api/v1/campaigns", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/portal/", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/portal/offers/{offer}", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/portal/profile", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403}),
    ("/portal/team", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403}),
    ("/portal/tokens", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403}),
    ("/manage/tokens", {ANON: 302, M_ADMIN: 200, C_MGR: 403, P_ADMIN: 403, P_REP: 403}),
    ("/password/forgot", {ANON: 200, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/invite/not-a-token", {ANON: 404, M_ADMIN: 404, C_MGR: 404, P_ADMIN: 404, P_REP: 404}),
    ("/password/reset/not-a-token", {ANON: 404, M_ADMIN: 404, C_MGR: 404, P_ADMIN: 404, P_REP: 404}),
    ("/account", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/me", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/leads", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/api/v1/leads/{lead}", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/api/v1/campaigns/results", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/manage/campaigns/{campaign}", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/api/v1/campaigns/{campaign}/results", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 403, P_REP: 403}),
    ("/api/v1/partner/offers", {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/partner/profile", {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 200}),
    ("/healthz", {ANON: 200, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/api/openapi.json", {ANON: 200, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/notifications/", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/notifications/settings", {ANON: 302, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/api/v1/notifications", {ANON: 401, M_ADMIN: 200, C_MGR: 200, P_ADMIN: 200, P_REP: 200}),
    ("/portal/webhooks", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403}),
    ("/portal/webhooks/{webhook}", {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403}),
    ("/api/v1/partner/webhooks", {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403}),
    ("/api/v1/partner/webhooks/{webhook}", {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403}),
    (
        "/api/v1/partner/webhooks/{webhook}/deliveries",
        {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403},
    ),
]


@pytest.mark.parametrize(("path", "expected"), MATRIX, ids=[path for path, _ in MATRIX])
def test_permission_matrix(make_client, world, path, expected):
    """Each row: every role (and an anonymous browser) against one page, on one data set."""
    url = path.format(
        lead=world["lead"],
        offer=world["offer"],
        webhook=world["webhook"],
        claim=world["claim"],
        campaign=world["campaign"],
    )
    for role, status in expected.items():
        client = make_client()
        if role != ANON:
            f.login(client, world["users"][role])
        response = client.get(url)
        response.close()  # the CSV export is a file
        assert response.status_code == status, (role, response.get_data(as_text=True)[:300])
        if status == 302:
            assert "/login" in response.headers["Location"]


# Changes: (method, path, form data or JSON, {role: expected status}). Forms are posted with a session;
# the API is called with a read_write bearer token of the role (anonymous: no credentials at all).
WRITE_MATRIX = [
    (
        "POST",
        "/portal/profile",
        {"capacity": "5"},
        {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403},
    ),
    (
        "POST",
        "/portal/team/invite",
        {"name": "New", "email": "new@partner.test", "role": "partner_rep"},
        {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 201, P_REP: 403},
    ),
    (
        "POST",
        "/portal/team/{rep}/role",
        {"role": "partner_admin"},
        {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 302, P_REP: 403},
    ),
    (
        "POST",
        "/portal/team/{rep}/deactivate",
        {},
        {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 302, P_REP: 403},
    ),
    (
        "POST",
        "/portal/team/{rep}/reactivate",
        {},
        {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 302, P_REP: 403},
    ),
    (
        "POST",
        "/portal/team/{rep}/resend",
        {},
        {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 302, P_REP: 403},
    ),
    (
        "POST",
        "/portal/tokens",
        {"name": "x", "scope": "read"},
        {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 201, P_REP: 403},
    ),
    (
        "POST",
        "/portal/tokens/{partner_token}/revoke",
        {},
        {ANON: 302, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 302, P_REP: 403},
    ),
    (
        "POST",
        "/manage/tokens",
        {"name": "x", "scope": "read"},
        {ANON: 302, M_ADMIN: 201, C_MGR: 403, P_ADMIN: 403, P_REP: 403},
    ),
    (
        "POST",
        "/manage/tokens/{maker_token}/revoke",
        {},
        {ANON: 302, M_ADMIN: 302, C_MGR: 403, P_ADMIN: 403, P_REP: 403},
    ),
    (
        "PATCH",
        "/api/v1/partner/profile",
        {"capacity": 5},
        {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 200, P_REP: 403},
    ),
    (
        "PUT",
        "/api/v1/partner/profile",
        {"capacity": 5},
        {ANON: 401, M_ADMIN: 403, C_MGR: 403, P_ADMIN: 422, P_REP: 403},
    ),
]

WRITE_CASES = [
    (method, path, body, role, status)
    for method, path, body, expected in WRITE_MATRIX
    for role, status in expected.items()
]


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "status"),
    WRITE_CASES,
    ids=[f"{m} {p} {r}" for m, p, _, r, _ in WRITE_CASES],
)
def test_write_permission_matrix(client, world, method, path, body, role, status):
    url = path.format(**world)
    if url.startswith("/api/"):
        headers = {"Authorization": f"Bearer {world['bearer'][role]}"} if role != ANON else {}
        response = client.open(url, method=method, json=body, headers=headers)
    else:
        if role != ANON:
            f.login(client, world["users"][role])
        response = client.open(url, method=method, data=body)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 302 and role == ANON:
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
    ("/portal/webhooks/{other_webhook}", P_ADMIN),
    ("/api/v1/partner/webhooks/{other_webhook}", P_ADMIN),
    ("/api/v1/partner/webhooks/{other_webhook}/deliveries", P_ADMIN),
    ("/portal/leads/{other_claim}", P_REP),
    ("/api/v1/partner/leads/{other_claim}", P_REP),
    ("/api/v1/partner/offers/{other_offer}", P_REP),
    ("/manage/leads/{other_lead}/partners", C_MGR),
    ("/manage/campaigns/{other_campaign}", C_MGR),
    ("/api/v1/campaigns/{other_campaign}/results", M_ADMIN),
]


WRITE_GUESSES = [
    ("/portal/team/{other_partner_member}/deactivate", {}, P_ADMIN),
    ("/portal/team/{other_partner_member}/role", {"role": "partner_rep"}, P_ADMIN),
    ("/portal/team/{other_partner_member}/resend", {}, P_ADMIN),
    ("/portal/tokens/{other_partner_token}/revoke", {}, P_ADMIN),
    ("/manage/tokens/{other_maker_token}/revoke", {}, M_ADMIN),
]


@pytest.mark.parametrize(("path", "body", "role"), WRITE_GUESSES)
def test_changing_objects_of_another_organisation_gives_404(client, world, path, body, role):
    f.login(client, world["users"][role])
    assert client.post(path.format(**world), data=body).status_code == 404


@pytest.mark.parametrize(("path", "role"), GUESSES)
def test_guessing_ids_of_another_organisation_gives_404(client, world, path, role):
    f.login(client, world["users"][role])
    response = client.get(
        path.format(
            other_lead=world["other_lead"],
            other_offer=world["other_offer"],
            other_webhook=world["other_webhook"],
            other_claim=world["other_claim"],
            other_campaign=world["other_campaign"],
        )
    )
    assert response.status_code == 404


def test_the_other_tenant_sees_its_own_objects(client, world):
    """The 404s above are about ownership, not broken routes: the owners get 200."""
    f.login(client, world["other_maker_user"])
    assert client.get(f"/manage/leads/{world['other_lead']}").status_code == 200
    assert client.get(f"/manage/leads/{world['lead']}").status_code == 404
    f.login(client, world["other_partner_user"])
    assert client.get(f"/portal/offers/{world['other_offer']}").status_code == 200
    assert client.get(f"/portal/offers/{world['offer']}").status_code == 404
    assert client.get(f"/portal/webhooks/{world['other_webhook']}").status_code == 200
    assert client.get(f"/portal/webhooks/{world['webhook']}").status_code == 404


def test_lists_only_show_own_objects(client, world):
    f.login(client, world["users"][M_ADMIN])
    ids = [item["id"] for item in client.get("/api/v1/leads").get_json()["items"]]
    assert sorted(ids) == sorted([world["lead"], world["claimed_lead"]])
    f.login(client, world["users"][P_REP])
    ids = [item["id"] for item in client.get("/api/v1/partner/offers").get_json()["items"]]
    assert ids == [world["offer"]]
