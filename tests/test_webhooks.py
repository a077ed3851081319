"""Webhook deliveries: signature and headers, partner-safe bodies, retries with backoff, automatic
disabling with a notice, redelivery, and where an endpoint may point."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest
import requests
import responses
import sqlalchemy as sa

from exchange.models import (
    ClaimStatus,
    DeliveryStatus,
    Event,
    Notification,
    Role,
    Temperature,
    WebhookDelivery,
    WebhookEndpoint,
)
from exchange.notify import destinations, signatures
from exchange.notify import webhooks as service
from exchange.notify.notifications import publish_event
from exchange.platform import clock
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db
from tests import factories as f

URL = "https://crm.bavaria.example/hooks/exchange"
OTHER_URL = "https://crm.other.example/hooks"
CONTACT_VALUES = ("Erika", "Mustermann", "buyer.example", "+49 89 1234567", "Secret Street", "Secret Buyer")


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """No DNS in the sandbox: every name is public, except ``*.internal`` (a private address)."""

    def resolve(host: str, port: int) -> list[str]:
        return ["10.0.0.5"] if host.endswith(".internal") else ["93.184.216.34"]

    monkeypatch.setattr(destinations, "resolve_host", resolve)


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    other = f.partner(maker, "Other Reseller")
    lead = f.lead(maker, company_name="Secret Buyer GmbH", temperature=Temperature.HOT)
    w = SimpleNamespace(
        maker=maker,
        partner=partner,
        other=other,
        lead=lead,
        offer=f.offer(lead, partner),
        other_offer=f.offer(lead, other, rank=2),
        admin=f.user(partner, Role.PARTNER_ADMIN, email="admin@bavaria.test"),
        rep=f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test"),
        endpoint=f.webhook_endpoint(partner, URL),
        other_endpoint=f.webhook_endpoint(other, OTHER_URL),
    )
    db.session.commit()
    return w


def _deliveries(endpoint_id: int) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id)
        )
    )


@responses.activate
def test_a_delivery_is_signed_and_carries_the_event_headers(world, run_jobs):
    responses.post(URL, status=204)
    with clock.frozen(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)):
        publish_event("offer.created", offer=world.offer, payload={"wave": 1})
        db.session.commit()
        run_jobs()
        [call] = responses.calls
        headers = call.request.headers
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Exchange-Event"] == "offer.created"
        assert headers["X-Exchange-Timestamp"] == str(
            int(datetime(2026, 7, 1, 10, 0, tzinfo=UTC).timestamp())
        )
        body = call.request.body
        assert signatures.verify_signature(
            "whsec_test-secret", headers["X-Exchange-Timestamp"], body, headers["X-Exchange-Signature"]
        )
        assert not signatures.verify_signature(
            "whsec_wrong", headers["X-Exchange-Timestamp"], body, headers["X-Exchange-Signature"]
        )
    [delivery] = _deliveries(world.endpoint.id)
    assert headers["X-Exchange-Delivery"] == str(delivery.id)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.response_status, delivery.error) == (1, 204, None)
    payload = json.loads(body)
    assert payload["event"] == "offer.created"
    assert payload["partner_id"] == world.partner.id
    assert payload["manufacturer"] == {"id": world.maker.id, "name": "Acme Pumps"}
    assert payload["offer"]["id"] == world.offer.id
    assert payload["lead"]["id"] == world.lead.id
    assert payload["lead"]["contact_details_included"] is False
    assert payload["data"] == {"wave": 1}
    # The other partner's endpoint is not subscribed to this partner's events.
    assert _deliveries(world.other_endpoint.id) == []


def _sent_bodies(url: str) -> list[str]:
    return [call.request.body.decode() for call in responses.calls if call.request.url == url]


@responses.activate
def test_contact_details_go_only_to_the_partner_holding_the_claim(world, run_jobs):
    responses.post(URL, status=200)
    responses.post(OTHER_URL, status=200)
    publish_event("offer.created", offer=world.offer)
    publish_event("offer.created", offer=world.other_offer)
    claim = f.claim(world.offer)
    publish_event("lead.claimed", offer=world.offer)
    publish_event("offer.expiring", offer=world.other_offer)  # the other partner, after the claim
    db.session.commit()
    run_jobs()
    ours, theirs = _sent_bodies(URL), _sent_bodies(OTHER_URL)
    assert len(ours) == 2 and len(theirs) == 2
    for raw in [ours[0], *theirs]:
        assert not any(value in raw for value in CONTACT_VALUES), raw
    claimed = json.loads(ours[1])["lead"]
    assert claimed["contact_details_included"] is True
    assert claimed["contact_email"] == world.lead.contact_email
    assert claimed["company_name"] == "Secret Buyer GmbH"

    # Once the claim is revoked (recycled after a breach), the partner is back to the teaser.
    claim.status = ClaimStatus.REVOKED
    publish_event("lead.recycled", offer=world.offer, payload={"sla": "first_contact"})
    db.session.commit()
    run_jobs()
    recycled = _sent_bodies(URL)[-1]
    assert json.loads(recycled)["lead"]["contact_details_included"] is False
    assert not any(value in recycled for value in CONTACT_VALUES)


def test_only_active_endpoints_subscribed_to_the_event_get_a_delivery(world):
    claims_only = f.webhook_endpoint(world.partner, "https://b.example/h", events=["lead.claimed"])
    paused = f.webhook_endpoint(world.partner, "https://c.example/h", is_active=False)
    publication = publish_event("offer.created", offer=world.offer)
    assert [d.endpoint_id for d in publication.deliveries] == [world.endpoint.id]
    assert _deliveries(claims_only.id) == [] and _deliveries(paused.id) == []
    in_app_only = publish_event("claim.reminder", offer=world.offer)
    assert in_app_only.deliveries == [] and in_app_only.notifications


@responses.activate
def test_failed_attempts_are_retried_with_backoff_then_the_delivery_fails(world, run_jobs):
    responses.post(URL, status=503, body="maintenance")
    start = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    with clock.frozen(start) as frozen:
        publish_event("offer.created", offer=world.offer)
        db.session.commit()
        run_jobs()
        waits = []
        for expected_wait in (60, 300, 1800, 7200, 43200):
            [delivery] = _deliveries(world.endpoint.id)
            assert delivery.status == DeliveryStatus.PENDING
            assert delivery.response_status == 503 and delivery.response_body == "maintenance"
            waits.append((delivery.next_attempt_at - frozen.at).total_seconds())
            calls = len(responses.calls)
            frozen.advance(seconds=expected_wait - 1)
            run_jobs()
            assert len(responses.calls) == calls  # not before its time
            frozen.advance(seconds=1)
            run_jobs()
            assert len(responses.calls) == calls + 1
    assert waits == [60, 300, 1800, 7200, 43200]
    [delivery] = _deliveries(world.endpoint.id)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 6
    assert delivery.error == "HTTP 503"
    assert delivery.next_attempt_at is None
    assert db.session.get(WebhookEndpoint, world.endpoint.id).consecutive_failures == 1


@responses.activate
def test_a_success_resets_the_failure_count(world, run_jobs):
    world.endpoint.consecutive_failures = 7
    responses.post(URL, status=200)
    publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    assert db.session.get(WebhookEndpoint, world.endpoint.id).consecutive_failures == 0


@responses.activate
@pytest.mark.app_config(WEBHOOK_DISABLE_AFTER_FAILURES=2, WEBHOOK_RETRY_SCHEDULE=[])
def test_repeated_failures_disable_the_endpoint_and_tell_the_admins(world, run_jobs, smtp_server):
    world.admin.email_notifications = False  # a service notice is e-mailed all the same
    responses.post(URL, status=500)
    publish_event("offer.created", offer=world.offer)
    publish_event("offer.expiring", offer=world.offer)
    db.session.commit()
    run_jobs()
    endpoint = db.session.get(WebhookEndpoint, world.endpoint.id)
    assert not endpoint.is_active
    assert endpoint.disabled_at is not None
    assert "2 consecutive failed deliveries" in endpoint.disabled_reason
    notices = db.session.scalars(sa.select(Notification).where(Notification.kind == "webhook.disabled")).all()
    assert [n.user_id for n in notices] == [world.admin.id]  # admins only, once
    assert notices[0].link == f"/portal/webhooks/{endpoint.id}"
    assert URL in notices[0].title
    notice_mails = [m for m in smtp_server.messages if "Webhook disabled" in m.message["Subject"]]
    assert [m.recipients for m in notice_mails] == [["admin@bavaria.test"]]
    assert db.session.scalar(sa.select(Event).where(Event.type == "webhook.endpoint_disabled")) is not None

    # While disabled: no new deliveries.
    assert publish_event("offer.created", offer=world.offer).deliveries == []
    service.enable_endpoint(world.admin, endpoint)
    assert endpoint.consecutive_failures == 0 and endpoint.disabled_reason is None
    assert len(publish_event("offer.created", offer=world.offer).deliveries) == 1


@responses.activate
@pytest.mark.app_config(WEBHOOK_RETRY_SCHEDULE=[])
def test_manual_redelivery_sends_the_same_delivery_once_more(world, run_jobs):
    from exchange.notify.delivery_jobs import deliver_webhook

    responses.post(URL, status=500)
    publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    [delivery] = _deliveries(world.endpoint.id)
    assert delivery.status == DeliveryStatus.FAILED
    responses.replace(responses.POST, URL, status=200)
    service.redeliver(world.admin, delivery)
    db.session.commit()
    run_jobs()
    [delivery] = _deliveries(world.endpoint.id)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    first, second = responses.calls
    assert first.request.headers["X-Exchange-Delivery"] == second.request.headers["X-Exchange-Delivery"]
    assert first.request.body == second.request.body
    # A job with a stale ticket (the attempt it was queued for already ran) sends nothing.
    assert deliver_webhook(delivery.id, 1) == {"skipped": "not due"}
    assert len(responses.calls) == 2
    with pytest.raises(DomainError):
        delivery.status = DeliveryStatus.PENDING
        service.redeliver(world.admin, delivery)


@responses.activate
@pytest.mark.app_config(WEBHOOK_RETRY_SCHEDULE=[], WEBHOOK_TIMEOUT_SECONDS=3)
@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"body": requests.exceptions.ConnectTimeout("slow")}, "timed out after 3 s"),
        ({"body": requests.exceptions.ConnectionError("refused")}, "ConnectionError: refused"),
        ({"status": 302, "headers": {"Location": "https://elsewhere.example"}}, "redirects are not followed"),
    ],
)
def test_timeouts_errors_and_redirects_are_failures_with_a_reason(world, run_jobs, answer, error):
    responses.post(URL, **answer)
    publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    [delivery] = _deliveries(world.endpoint.id)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == error


@responses.activate
def test_long_answers_are_cut_to_2000_characters(world, run_jobs):
    responses.post(URL, status=200, body="x" * 10_000)
    publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    [delivery] = _deliveries(world.endpoint.id)
    assert len(delivery.response_body) == 2000


@responses.activate
@pytest.mark.app_config(WEBHOOK_RETRY_SCHEDULE=[])
def test_a_name_that_now_points_to_a_private_address_is_not_called(world, run_jobs):
    world.endpoint.url = "https://crm.bavaria.internal/hooks"
    publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    assert len(responses.calls) == 0
    [delivery] = _deliveries(world.endpoint.id)
    assert delivery.status == DeliveryStatus.FAILED
    assert "10.0.0.5, which is not a public address" in delivery.error


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://crm.example.com/hook", True),
        ("https://crm.example.com:8443/a/b?token=1", True),
        ("  https://crm.example.com/hook  ", True),
        ("http://crm.example.com/hook", False),
        ("ftp://crm.example.com/hook", False),
        ("https://user:pw@crm.example.com/hook", False),
        ("https://10.1.2.3/hook", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://[fd00::1]/hook", False),
        ("https:///nohost", False),
        ("https://crm.example.com/hook#frag", False),
        ("https://" + "a" * 500 + ".example", False),
        ("http://127.0.0.1:9000/hook", True),  # the test app allows local http
        ("http://localhost:9000/hook", True),
    ],
)
def test_where_an_endpoint_may_point(app, url, allowed):
    if allowed:
        assert destinations.validate_endpoint_url(url) == url.strip()
    else:
        with pytest.raises(DomainError) as refused:
            destinations.validate_endpoint_url(url)
        assert refused.value.field == "url"


def test_local_http_endpoints_need_the_flag_outside_tests(app, monkeypatch):
    monkeypatch.setattr(app, "testing", False)
    with pytest.raises(DomainError, match="HTTPS"):
        destinations.validate_endpoint_url("http://localhost:9000/hook")
    with pytest.raises(DomainError, match="this machine"):
        destinations.validate_endpoint_url("https://localhost:9000/hook")
    app.config["WEBHOOK_ALLOW_HTTP_LOCALHOST"] = True
    assert destinations.validate_endpoint_url("http://localhost:9000/hook")


def test_endpoints_need_known_events_and_have_a_limit(world):
    with pytest.raises(DomainError, match="at least one") as refused:
        service.create_endpoint(world.admin, "https://a.example/h", [])
    assert refused.value.field == "events"
    with pytest.raises(DomainError, match="Unknown event"):
        service.create_endpoint(world.admin, "https://a.example/h", ["lead.deleted"])
    created = service.create_endpoint(world.admin, "https://a.example/h", ["sla.breached", "offer.created"])
    assert created.endpoint.events == ["offer.created", "sla.breached"]  # in the catalogue's order
    assert created.secret.startswith("whsec_") and len(created.secret) > 40
    assert created.endpoint.secret == created.secret
    for n in range(8):
        service.create_endpoint(world.admin, f"https://a.example/{n}", ["offer.created"])
    with pytest.raises(DomainError, match="at most 10"):
        service.create_endpoint(world.admin, "https://a.example/last", ["offer.created"])


def test_old_finished_deliveries_are_pruned(world):
    from exchange.notify.delivery_jobs import prune_webhook_deliveries

    old = clock.now() - timedelta(days=31)
    for status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.PENDING):
        db.session.add(
            WebhookDelivery(
                endpoint_id=world.endpoint.id, event_type="offer.created", status=status, created_at=old
            )
        )
    db.session.add(WebhookDelivery(endpoint_id=world.endpoint.id, event_type="offer.created"))
    db.session.commit()
    assert prune_webhook_deliveries() == {"deleted": 2}
    assert {d.status for d in _deliveries(world.endpoint.id)} == {DeliveryStatus.PENDING}


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"thanks")

    def log_message(self, *args):
        pass


def _readme_snippet() -> dict:
    """The receiver's verification code exactly as the README shows it."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    code = readme.split("Verify every request", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    return namespace


def test_a_real_receiver_verifies_the_signature(world, run_jobs):
    """Over a real socket (no mocks), checked with the README's receiver snippet."""
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        created = service.create_endpoint(
            world.admin, f"http://127.0.0.1:{server.server_port}/hook", ["lead.claimed"]
        )
        f.claim(world.offer)
        publish_event("lead.claimed", offer=world.offer)
        db.session.commit()
        run_jobs()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    [(headers, body)] = _Receiver.received
    readme_verify = _readme_snippet()["verify"]
    assert readme_verify(created.secret, headers, body)
    assert not readme_verify(created.secret, headers, body + b" ")
    assert not readme_verify("whsec_other", headers, body)
    assert json.loads(body)["lead"]["contact_email"] == world.lead.contact_email
    [delivery] = _deliveries(created.endpoint.id)
    assert (delivery.status, delivery.response_status, delivery.response_body) == (
        DeliveryStatus.SUCCEEDED,
        200,
        "thanks",
    )
