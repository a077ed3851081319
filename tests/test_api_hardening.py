"""Hostile and odd requests to the REST API get a clear 4xx in the documented error shape (``code``,
``status``, ``message``, ``errors``), never a server error, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from exchange.accounts.tokens import issue_token
from exchange.models import Role, TokenScope
from exchange.platform.extensions import db
from tests import factories as f
from tests.test_unit_of_work import assert_error_shape as assert_one_error_shape


@pytest.fixture
def maker_client(client, app):
    maker = f.manufacturer("Acme Pumps")
    user = f.user(maker, Role.MANUFACTURER_ADMIN)
    token = issue_token(user, "crm sync", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    client.maker = maker
    return client


def assert_error_shape(response, code: int) -> dict:
    assert response.status_code == code, response.get_data(as_text=True)[:300]
    return assert_one_error_shape(response)


@pytest.mark.parametrize("path", ["/api/v1/leads", "/api/v1/leads/batch"])
def test_deeply_nested_json_is_a_bad_request(maker_client, path):
    body = "[" * 5000 + "]" * 5000
    response = maker_client.post(path, data=body, content_type="application/json")
    assert_error_shape(response, 400)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/leads", '{"company_name": "Beta \\ud800 Werke", "contact_email": "a@b.example"}'),
        ("/api/v1/leads/batch", '{"items": [{"company_name": "X", "city": "\\udfff"}]}'),
        ("/api/v1/leads", '{"\\ud800": "key"}'),
    ],
)
def test_a_lone_surrogate_in_a_string_is_a_bad_request(maker_client, path, body):
    response = maker_client.post(path, data=body, content_type="application/json")
    errors = assert_error_shape(response, 400)["errors"]
    assert "_schema" in errors  # about the body as a whole


def test_a_patch_without_a_body_is_refused(maker_client):
    lead = f.lead(maker_client.maker)
    db.session.commit()
    response = maker_client.patch(f"/api/v1/leads/{lead.id}")
    assert_error_shape(response, 422)
    response = maker_client.patch(f"/api/v1/leads/{lead.id}", data="city=X", content_type="text/plain")
    assert_error_shape(response, 422)
    # An empty object is a body: nothing to change, answered with the lead.
    assert maker_client.patch(f"/api/v1/leads/{lead.id}", json={}).status_code == 200


def test_with_the_database_down_the_api_answers_503(app, tmp_path):
    from exchange import create_app

    down = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "REDIS_URL": None,
            "EMBEDDED_SCHEDULER": False,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'missing-dir' / 'gone.sqlite'}",
        }
    )
    client = down.test_client()
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer lx_whatever_token"})
    body = assert_error_shape(response, 503)
    assert "database" in body["message"]
    assert response.headers["Retry-After"] == "30"
    with down.app_context():
        db.engine.dispose()


def _claimed_by_api(app):
    maker = f.manufacturer()
    partner = f.partner(maker)
    claim = f.claim(f.offer(f.lead(maker, currency="EUR"), partner))
    claim.first_contact_at = claim.lead.created_at
    rep = f.user(partner, Role.PARTNER_REP)
    token = issue_token(rep, "crm", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    return claim.id, {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("amount", [1e40, "1e40", "1000000000000", "", "12.345", "-5", True])
def test_a_won_amount_the_money_column_cannot_hold_is_refused(app, client, amount):
    claim_id, headers = _claimed_by_api(app)
    response = client.post(
        f"/api/v1/partner/leads/{claim_id}/status",
        json={"status": "won", "amount": amount, "currency": "EUR"},
        headers=headers,
    )
    body = assert_error_shape(response, 422)
    assert "amount" in body["errors"]


@pytest.mark.parametrize(("amount", "stored"), [(1200.5, "1200.50"), ("999999999999.99", "999999999999.99")])
def test_a_won_amount_in_range_is_stored_to_the_cent(app, client, amount, stored):
    claim_id, headers = _claimed_by_api(app)
    response = client.post(
        f"/api/v1/partner/leads/{claim_id}/status",
        json={"status": "won", "amount": amount, "currency": "EUR"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["lead"]["won_amount"] == stored


def test_amounts_are_documented_as_what_is_accepted(client):
    spec = client.get("/api/openapi.json").get_json()
    amount = spec["components"]["schemas"]["Status"]["properties"]["amount"]
    text, number = amount["anyOf"]
    assert text["type"] == "string" and text["pattern"] == "^[0-9]{1,12}(\\.[0-9]{1,2})?$"
    assert number == {"type": "number", "minimum": 0, "maximum": 999999999999.99}


def test_a_partial_profile_patch_with_a_bare_programme_is_no_server_error(app, client):
    partner = f.partner(f.manufacturer())
    token = issue_token(f.user(partner, Role.PARTNER_ADMIN), "crm", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    response = client.patch(
        "/api/v1/partner/profile", json={"programmes": [{}]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_lead_ids_beyond_the_database_range_are_refused(maker_client):
    response = maker_client.post("/api/v1/leads/publish", json={"ids": [2**65]})
    assert "ids.0" in assert_error_shape(response, 422)["errors"]


@pytest.mark.parametrize("lead_id", [2**31, 2**63 - 2])
def test_an_id_beyond_the_database_integers_is_not_found(maker_client, lead_id):
    """Ids are 32-bit on PostgreSQL: a larger one is simply not found (it answered 422 there)."""
    assert_error_shape(maker_client.get(f"/api/v1/leads/{lead_id}"), 404)


def test_the_document_lists_the_413_and_429_answers(app, client):
    """Every operation may answer 429 (too many unknown tokens from one source) and every one with a
    body 413 (over the size limit); the document says so, in the error shape, with Retry-After."""
    spec = client.get("/api/openapi.json").get_json()
    operations = [
        (method, operation)
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 30
    for method, operation in operations:
        responses = operation["responses"]
        assert responses["429"] == {"$ref": "#/components/responses/RATE_LIMITED"}, operation["summary"]
        if method in ("post", "put", "patch"):
            assert responses["413"] == {"$ref": "#/components/responses/BODY_TOO_LARGE"}, operation["summary"]
    components = spec["components"]["responses"]
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    assert components["RATE_LIMITED"]["content"] == components["BODY_TOO_LARGE"]["content"] == error
    assert "Retry-After" in components["RATE_LIMITED"]["headers"]


@pytest.mark.app_config(RATELIMIT_ENABLED=True, API_TOKEN_FAILURE_LIMIT="2 per minute")
def test_the_413_and_429_answers_have_the_documented_shape(maker_client, client):
    assert_error_shape(
        maker_client.post("/api/v1/leads", data="x" * (3 * 1024 * 1024), content_type="application/json"),
        413,
    )
    headers = {"Authorization": "Bearer lx_nobody_knows_this_token"}
    statuses = [client.get("/api/v1/leads", headers=headers).status_code for _ in range(3)]
    assert statuses[:2] == [401, 401]
    response = client.get("/api/v1/leads", headers=headers)
    assert_error_shape(response, 429)
    assert int(response.headers["Retry-After"]) >= 1
