"""The partner admin's webhook pages under /portal/webhooks and the API under /api/v1/partner/webhooks."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import responses
import sqlalchemy as sa

from exchange.accounts.tokens import issue_token
from exchange.models import DeliveryStatus, Event, Role, TokenScope, WebhookDelivery, WebhookEndpoint
from exchange.notify.notifications import publish_event
from exchange.platform.extensions import db
from tests import factories as f

URL = "https://crm.bavaria.example/hooks/exchange"


pytestmark = pytest.mark.usefixtures("public_dns")


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    other = f.partner(maker, "Other Reseller")
    lead = f.lead(maker)
    w = SimpleNamespace(
        partner=partner,
        offer=f.offer(lead, partner),
        admin=f.user(partner, Role.PARTNER_ADMIN, email="admin@bavaria.test"),
        rep=f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test"),
        other_admin=f.user(other, Role.PARTNER_ADMIN, email="admin@other.test"),
        endpoint=f.webhook_endpoint(partner, URL),
        other_endpoint=f.webhook_endpoint(other, "https://other.example/hook"),
    )
    db.session.commit()
    return w


def _endpoints(org) -> list[WebhookEndpoint]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.organisation_id == org.id)
            .order_by(WebhookEndpoint.id)
        )
    )


def test_register_an_endpoint_and_see_the_secret_once(client, world):
    f.login(client, world.admin)
    page = client.get("/portal/webhooks").get_data(as_text=True)
    assert URL in page and "https://other.example/hook" not in page
    assert "whsec_test-secret" not in page
    response = client.post(
        "/portal/webhooks",
        data={"url": "https://crm.bavaria.example/v2", "events": ["lead.claimed", "sla.breached"]},
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    shown = re.search(r'data-testid="webhook-secret">([^<]+)<', response.get_data(as_text=True)).group(1)
    endpoint = _endpoints(world.partner)[-1]
    assert (endpoint.url, endpoint.events, endpoint.secret) == (
        "https://crm.bavaria.example/v2",
        ["lead.claimed", "sla.breached"],
        shown,
    )
    assert endpoint.created_by_id == world.admin.id
    # Never again: neither the list nor the endpoint's page shows it.
    assert shown not in client.get("/portal/webhooks").get_data(as_text=True)
    assert shown not in client.get(f"/portal/webhooks/{endpoint.id}").get_data(as_text=True)
    assert db.session.scalar(
        sa.select(Event).where(Event.type == "webhook.endpoint_created")
    ).actor_user_id == (world.admin.id)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "http://crm.example.com/hook", "events": ["offer.created"]}, "HTTPS only"),
        ({"url": "https://10.0.0.1/hook", "events": ["offer.created"]}, "private or reserved"),
        ({"url": "https://crm.example.com/hook"}, "Pick at least one event"),
        ({"url": "", "events": ["offer.created"]}, "This field is required"),
        ({"url": "https://crm.example.com/hook", "events": ["lead.deleted"]}, "is not a valid choice"),
    ],
)
def test_bad_input_is_explained_next_to_the_field(client, world, data, message):
    f.login(client, world.admin)
    response = client.post("/portal/webhooks", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(_endpoints(world.partner)) == 1


def test_edit_rotate_pause_enable_delete(client, world):
    f.login(client, world.admin)
    base = f"/portal/webhooks/{world.endpoint.id}"
    assert client.post(base, data={"url": URL + "/v3", "events": ["offer.created"]}).status_code == 302
    [endpoint] = _endpoints(world.partner)
    assert (endpoint.url, endpoint.events) == (URL + "/v3", ["offer.created"])

    rotated = client.post(f"{base}/rotate-secret")
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    [endpoint] = _endpoints(world.partner)
    assert endpoint.secret != "whsec_test-secret"
    assert endpoint.secret in rotated.get_data(as_text=True)

    client.post(f"{base}/disable")
    [endpoint] = _endpoints(world.partner)
    assert not endpoint.is_active and "Paused by" in endpoint.disabled_reason
    assert 'data-testid="disabled-notice"' in client.get(base).get_data(as_text=True)
    client.post(f"{base}/enable")
    [endpoint] = _endpoints(world.partner)
    assert endpoint.is_active and endpoint.disabled_at is None

    assert client.post(f"{base}/delete").status_code == 302
    assert _endpoints(world.partner) == []
    assert client.get(base).status_code == 404


@responses.activate
@pytest.mark.app_config(WEBHOOK_RETRY_SCHEDULE=[])
def test_the_delivery_log_shows_codes_and_errors_and_redelivers(client, world, run_jobs):
    responses.post(URL, status=500, body="database is down")
    publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    [delivery] = db.session.scalars(sa.select(WebhookDelivery)).all()
    f.login(client, world.admin)
    log = client.get(f"/portal/webhooks/{world.endpoint.id}").get_data(as_text=True)
    assert log.count('data-testid="delivery"') == 1
    assert ">500<" in log and "HTTP 500" in log and "failed" in log
    detail = client.get(f"/portal/webhooks/{world.endpoint.id}/deliveries/{delivery.id}").get_data(
        as_text=True
    )
    assert "database is down" in detail and "offer.created" in detail

    responses.replace(responses.POST, URL, status=200)
    response = client.post(f"/portal/webhooks/{world.endpoint.id}/deliveries/{delivery.id}/redeliver")
    assert response.status_code == 302
    run_jobs()
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    assert "delivered" in client.get(f"/portal/webhooks/{world.endpoint.id}").get_data(as_text=True)


def test_other_partners_endpoints_and_deliveries_are_not_found(client, world):
    theirs = world.other_endpoint.id
    delivery = WebhookDelivery(endpoint_id=theirs, event_type="offer.created", status=DeliveryStatus.FAILED)
    db.session.add(delivery)
    db.session.commit()
    f.login(client, world.admin)
    for path in (
        f"/portal/webhooks/{theirs}",
        f"/portal/webhooks/{theirs}/deliveries/{delivery.id}",
        f"/portal/webhooks/{world.endpoint.id}/deliveries/{delivery.id}",  # mine, but not its delivery
    ):
        assert client.get(path).status_code == 404, path
    for action in ("rotate-secret", "enable", "disable", "delete", f"deliveries/{delivery.id}/redeliver"):
        assert client.post(f"/portal/webhooks/{theirs}/{action}").status_code == 404, action
    assert (
        client.post(f"/portal/webhooks/{theirs}", data={"url": URL, "events": ["offer.created"]}).status_code
        == 404
    )
    assert _endpoints(world.other_admin.organisation)[0].secret == "whsec_test-secret"


def test_reps_may_not_manage_webhooks(client, world):
    f.login(client, world.rep)
    assert client.get("/portal/webhooks").status_code == 403
    assert client.post("/portal/webhooks", data={"url": URL, "events": ["offer.created"]}).status_code == 403
    assert client.post(f"/portal/webhooks/{world.endpoint.id}/delete").status_code == 403
    assert "Webhooks" not in client.get("/portal/").get_data(as_text=True)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_webhook_forms_need_the_csrf_token(client, world):
    f.login(client, world.admin)
    assert client.post("/portal/webhooks", data={"url": URL, "events": ["offer.created"]}).status_code == 400
    assert client.post(f"/portal/webhooks/{world.endpoint.id}/delete").status_code == 400
    assert client.post(f"/portal/webhooks/{world.endpoint.id}/rotate-secret").status_code == 400
    assert len(_endpoints(world.partner)) == 1
    assert _endpoints(world.partner)[0].secret == "whsec_test-secret"


# --- API -----------------------------------------------------------------------------------------


def _bearer(user, scope=TokenScope.READ_WRITE) -> dict[str, str]:
    token = issue_token(user, "crm", scope).plaintext
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_api_create_list_read_delete(client, world):
    auth = _bearer(world.admin)
    created = client.post(
        "/api/v1/partner/webhooks",
        json={"url": "https://crm.bavaria.example/api", "events": ["lead.claimed"]},
        headers=auth,
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and body["is_active"] is True
    listed = client.get("/api/v1/partner/webhooks", headers=auth).get_json()
    assert [item["url"] for item in listed["items"]] == [URL, "https://crm.bavaria.example/api"]
    assert all("secret" not in item for item in listed["items"])
    one = client.get(f"/api/v1/partner/webhooks/{body['id']}", headers=auth).get_json()
    assert one["events"] == ["lead.claimed"] and "secret" not in one
    rotated = client.post(f"/api/v1/partner/webhooks/{body['id']}/rotate-secret", headers=auth).get_json()
    assert rotated["secret"] != body["secret"]
    assert (
        client.get(f"/api/v1/partner/webhooks/{body['id']}/deliveries", headers=auth).get_json()["total"] == 0
    )
    assert client.delete(f"/api/v1/partner/webhooks/{body['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/partner/webhooks/{body['id']}", headers=auth).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "http://crm.example.com/hook", "events": ["offer.created"]}, "url"),
        ({"url": "https://crm.example.com/hook", "events": []}, "events"),
        ({"url": "https://crm.example.com/hook", "events": ["nope"]}, "events"),
        ({"events": ["offer.created"]}, "url"),
        ({"url": "https://crm.example.com/hook", "events": ["offer.created"], "secret": "mine"}, "secret"),
    ],
)
def test_api_explains_bad_input(client, world, payload, field):
    response = client.post("/api/v1/partner/webhooks", json=payload, headers=_bearer(world.admin))
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["message"]
    assert field in {name.split(".")[0] for name in body["errors"]}  # "events.0": the list's first item


def test_api_needs_a_read_write_token_of_a_partner_admin(client, world):
    read_only = _bearer(world.admin, TokenScope.READ)
    assert client.get("/api/v1/partner/webhooks", headers=read_only).status_code == 403
    rep = _bearer(world.rep)
    assert client.get("/api/v1/partner/webhooks", headers=rep).status_code == 403
    assert client.get("/api/v1/partner/webhooks").status_code == 401
    mine = _bearer(world.admin)
    theirs = world.other_endpoint.id
    assert client.get(f"/api/v1/partner/webhooks/{theirs}", headers=mine).status_code == 404
    assert client.delete(f"/api/v1/partner/webhooks/{theirs}", headers=mine).status_code == 404
    assert client.post(f"/api/v1/partner/webhooks/{theirs}/rotate-secret", headers=mine).status_code == 404
    assert len(_endpoints(world.other_admin.organisation)) == 1


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_api_session_writes_need_the_csrf_header(client, world):
    f.login(client, world.admin)
    assert client.get("/api/v1/partner/webhooks").status_code == 200
    response = client.post("/api/v1/partner/webhooks", json={"url": URL, "events": ["offer.created"]})
    assert response.status_code == 400


def test_the_endpoint_page_states_the_retry_schedule(client, world):
    f.login(client, world.admin)
    page = client.get(f"/portal/webhooks/{world.endpoint.id}").get_data(as_text=True)
    assert "retried after 1 minute, 5 minutes, 30 minutes, 2 hours, 12 hours" in page
    assert "After 10 deliveries in a row fail" in page
