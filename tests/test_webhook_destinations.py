"""Where webhooks may go: one rule when a URL is saved and before each send, and the connection goes
to the address that was checked (no second lookup a rebinding DNS server could answer differently)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import responses
import sqlalchemy as sa
import urllib3.util.connection

from exchange.models import DeliveryStatus, Role, WebhookDelivery
from exchange.notify import destinations
from exchange.notify import webhooks as service
from exchange.notify.notifications import publish_event
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def dns(monkeypatch):
    """A resolver that answers from ``answers`` (host -> list of address lists, one per lookup)."""
    answers: dict[str, list[list[str]]] = {}
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        queue = answers.get(host) or [["93.184.216.34"]]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(destinations, "resolve_host", resolve)
    return answers, lookups


@pytest.fixture
def world(app):
    maker = f.manufacturer()
    partner = f.partner(maker)
    lead = f.lead(maker)
    offer = f.offer(lead, partner)
    admin = f.user(partner, Role.PARTNER_ADMIN)
    db.session.commit()
    return offer, partner, admin


def _deliver(offer, endpoint, run_jobs) -> WebhookDelivery:
    publish_event("offer.created", offer=offer)
    db.session.commit()
    run_jobs()
    query = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    return db.session.scalars(query).one()


@pytest.mark.app_config(WEBHOOK_RETRY_SCHEDULE=[])
def test_the_connection_goes_to_the_address_that_was_checked(world, dns, run_jobs, monkeypatch):
    answers, lookups = dns
    # A rebinding name: public for the check, this machine for whoever asks next.
    answers["crm.rebind.example"] = [["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]]
    offer, partner, _admin = world
    endpoint = f.webhook_endpoint(partner, "https://crm.rebind.example/hook")
    db.session.commit()
    connected: list[tuple[str, int]] = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("test: not connecting anywhere")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    real_getaddrinfo = destinations.socket.getaddrinfo  # Redis (when the suite runs on it) still resolves

    def getaddrinfo(host, *args, **kwargs):
        if host == "crm.rebind.example":
            return [(2, 1, 6, "", ("127.0.0.1", 443))]
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(destinations.socket, "getaddrinfo", getaddrinfo)
    delivery = _deliver(offer, endpoint, run_jobs)

    assert connected == [("93.184.216.34", 443)]
    assert lookups == ["crm.rebind.example"]
    assert delivery.status == DeliveryStatus.FAILED and "ConnectionError" in delivery.error


class _Receiver(BaseHTTPRequestHandler):
    hosts: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.hosts.append(self.headers["Host"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_pinned_connection_keeps_the_host_name_in_the_request(world, run_jobs, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    offer, partner, _admin = world
    port = server.server_port
    endpoint = f.webhook_endpoint(partner, f"http://hooks.partner.example:{port}/hook")
    db.session.commit()
    # The check approved 127.0.0.1 for the name (the real rule never would; the wiring is under test).
    monkeypatch.setattr(destinations, "check_destination", lambda url: "127.0.0.1")
    try:
        delivery = _deliver(offer, endpoint, run_jobs)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert delivery.status == DeliveryStatus.SUCCEEDED, delivery.error
    assert _Receiver.hosts == [f"hooks.partner.example:{port}"]


REFUSED = [
    ("https://localhost./hook", "this machine"),
    ("https://crm.localhost/hook", "this machine"),
    ("https://ip6-localhost/hook", "this machine"),
    ("https://127.1/hook", "this machine"),
    ("https://2130706433/hook", "this machine"),
    ("https://0x7f000001/hook", "this machine"),
    ("https://0.0.0.0/hook", "this machine"),
    ("https://[::ffff:127.0.0.1]/hook", "private or reserved"),
    ("https://10.1.2.3/hook", "private or reserved"),
    ("https://crm.partner.internal/hook", "private or reserved"),  # resolves to 10.0.0.5
    ("https://93.184.216.34/hook", "bare IP address"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_what_sending_would_refuse_is_refused_when_saved(app, world, dns, monkeypatch, url, why):
    answers, _lookups = dns
    answers["crm.partner.internal"] = [["10.0.0.5"]]
    monkeypatch.setattr(app, "testing", False)  # tests allow local http; production does not
    _offer, _partner, admin = world
    with pytest.raises(DomainError) as refused:
        service.create_endpoint(admin, url, ["offer.created"])
    assert why in refused.value.message and refused.value.field == "url"
    with pytest.raises(destinations.DestinationRefused):
        destinations.check_destination(url)


@responses.activate
def test_a_public_name_is_saved_and_delivered_to(world, dns, run_jobs):
    responses.post("https://crm.partner.example/hook", status=204)
    offer, _partner, admin = world
    created = service.create_endpoint(admin, "https://crm.partner.example/hook", ["offer.created"])
    db.session.commit()
    assert _deliver(offer, created.endpoint, run_jobs).status == DeliveryStatus.SUCCEEDED
