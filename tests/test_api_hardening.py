"""Hostile and odd requests to the REST API get a clear 4xx in the documented error shape (``code``,
``status``, ``message``, ``errors``), never a server error, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from exchange.auth.tokens import issue_token
from exchange.extensions import db
from exchange.models import Role, TokenScope
from tests import factories as f


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
    body = response.get_json()
    assert body["code"] == code and body["status"] and body["message"], body
    return body


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
    assert "json" in errors


def test_a_patch_without_a_body_is_refused(maker_client):
    lead = f.lead(maker_client.maker)
    db.session.commit()
    response = maker_client.patch(f"/api/v1/leads/{lead.id}")
    assert_error_shape(response, 422)
    response = maker_client.patch(f"/api/v1/leads/{lead.id}", data="city=X", content_type="text/plain")
    assert_error_shape(response, 422)
    # An empty object is a body: nothing to change, answered with the lead.
    assert maker_client.patch(f"/api/v1/leads/{lead.id}", json={}).status_code == 200
