"""Webhooks: a partner's HTTPS endpoints, the deliveries queued for them, and the signature scheme.

Each delivery is one POST of a JSON body with these headers::

    X-Exchange-Event: offer.created
    X-Exchange-Delivery: 4711                 (the same id on every retry and redelivery)
    X-Exchange-Timestamp: 1767261600          (Unix seconds of this attempt)
    X-Exchange-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint secret>

Deliveries are rows; sending them is the ``webhooks.deliver`` job (``exchange.notify.delivery_jobs``).
Functions here flush but never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.models import (
    WEBHOOK_EVENTS,
    Claim,
    DeliveryStatus,
    Lead,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from exchange.notify.partner_payloads import lead_payload, partner_may_see_contact
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError
from exchange.platform.events import record
from exchange.platform.extensions import db

EVENT_HEADER = "X-Exchange-Event"
DELIVERY_HEADER = "X-Exchange-Delivery"
TIMESTAMP_HEADER = "X-Exchange-Timestamp"
SIGNATURE_HEADER = "X-Exchange-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret

WEBHOOK_EVENT_LABELS = {
    "offer.created": _l("A lead is offered to you"),
    "offer.expiring": _l("A claim window is about to close"),
    "lead.claimed": _l("You claimed a lead (with its contact details)"),
    "sla.breached": _l("You missed an SLA deadline"),
    "lead.recycled": _l("A lead was taken from you after a breach"),
}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


# --- the signature -------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Exchange-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds, text)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_seconds: int = 300
) -> bool:
    """What a receiver does (also the README's example): compare in constant time, refuse old ones."""
    try:
        age = abs(clock.now().timestamp() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance_seconds and hmac.compare_digest(sign(secret, timestamp, body), signature)


def encode_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent (compact, sorted keys: the same on every retry)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


# --- where a webhook may point ----------------------------------------------------------------------


def localhost_allowed() -> bool:
    """Plain http and loopback addresses only for local development and tests."""
    return bool(current_app.testing or current_app.config.get("WEBHOOK_ALLOW_HTTP_LOCALHOST"))


def validate_endpoint_url(url: str) -> str:
    """The URL, stripped, if a webhook may point there; :class:`DomainError` on ``url`` otherwise."""
    url = (url or "").strip()
    if not url:
        raise DomainError(_("Enter the URL of your endpoint."), field="url")
    if len(url) > 500:
        raise DomainError(_("The URL is longer than 500 characters."), field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DomainError(_("This is not a valid URL."), field="url") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise DomainError(_("The URL must start with https:// and name a host."), field="url")
    if parts.username or parts.password:
        raise DomainError(_("Leave credentials out of the URL: deliveries are signed instead."), field="url")
    if parts.fragment:
        raise DomainError(_("The URL may not contain a fragment (#…)."), field="url")
    if port == 0:
        raise DomainError(_("This is not a valid URL."), field="url")
    local = host in LOCAL_HOSTS and localhost_allowed()
    if parts.scheme == "http" and not local:
        raise DomainError(_("Webhooks are delivered over HTTPS only: use an https:// URL."), field="url")
    # A name that resolves now must resolve to public addresses; one that does not yet is checked at send.
    try:
        addresses = [] if local else resolve_host(host, port or 443)
    except OSError:
        addresses = []
    refusal = destination_refusal(host, addresses)
    if refusal is not None:
        raise DomainError(str(REFUSALS[refusal[0]]), field="url")
    return url


# Loopback by name (besides LOCAL_HOSTS): /etc/hosts aliases and the reserved .localhost domain.
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
REFUSALS = {
    "this_machine": _l("Webhooks cannot be delivered to this machine."),
    "private": _l("Webhooks cannot be delivered to private or reserved addresses."),
    "raw_address": _l("Name the endpoint's host: webhooks are not delivered to a bare IP address."),
}


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an IP address if it is one in any notation a resolver takes for one: the usual
    forms, ``[::1]``, and the shorthand, decimal, hex and octal IPv4 forms (``127.1``, ``2130706433``,
    ``0x7f000001``) that would otherwise pass for names."""
    bare = host.strip("[]").split("%")[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


def destination_refusal(host: str, addresses: list[str]) -> tuple[str, str] | None:
    """The one rule for where a delivery may go, applied when a URL is saved and again before each
    send (a name can be pointed elsewhere later): None if allowed, else (reason code, detail).
    ``addresses`` are what ``host`` resolves to (empty if it was not resolved)."""
    name = host.lower().rstrip(".")
    if name in LOCAL_HOSTS and localhost_allowed():
        return None  # development and tests only, and only by these exact names
    if name in LOOPBACK_NAMES or name.endswith(".localhost") or name in LOCAL_HOSTS:
        return ("this_machine", f"{host} is this machine")
    literal = literal_address(name)
    if literal is not None:
        if literal.is_loopback or literal.is_unspecified:
            return ("this_machine", f"{host} is this machine")
        if not literal.is_global:
            return ("private", f"{host} is not a public address")
        return ("raw_address", f"{host} is a bare IP address")
    for address in addresses:
        found = literal_address(address)
        if found is None or not found.is_global:
            return ("private", f"{host} resolves to {address}, which is not a public address")
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (tests replace this; the sandbox has no DNS)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


class DestinationRefused(Exception):
    """The endpoint's host resolves to an address deliveries may not reach."""


def check_destination(url: str) -> str | None:
    """Resolve the endpoint's host once and check every address (:func:`destination_refusal`);
    the address to connect to, which the sender must use instead of resolving the name again (a
    second lookup could answer differently: DNS rebinding). None for the local names development
    and tests allow, which are connected to as they are."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in LOCAL_HOSTS and localhost_allowed():
        return None
    if literal_address(host) is not None:
        addresses: list[str] = []
    else:
        try:
            addresses = resolve_host(host, parts.port or (443 if parts.scheme == "https" else 80))
        except OSError as error:
            raise DestinationRefused(f"cannot resolve {host}: {error}") from None
        if not addresses:
            raise DestinationRefused(f"{host} has no address")
    refusal = destination_refusal(host, addresses)
    if refusal is not None:
        raise DestinationRefused(refusal[1])
    return addresses[0]


# --- endpoints ------------------------------------------------------------------------------------


def _validate_events(events: list[str] | tuple[str, ...] | None) -> list[str]:
    chosen = [event for event in WEBHOOK_EVENTS if event in set(events or ())]
    unknown = sorted(set(events or ()) - set(WEBHOOK_EVENTS))
    if unknown:
        raise DomainError(
            _("Unknown event(s): %(events)s.", events=", ".join(unknown)), field="events", status=422
        )
    if not chosen:
        raise DomainError(_("Pick at least one event."), field="events")
    return chosen


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def create_endpoint(actor: User, url: str, events: list[str]) -> EndpointWithSecret:
    """Register an endpoint for the actor's (partner) organisation; the secret is returned once."""
    url = validate_endpoint_url(url)
    events = _validate_events(events)
    organisation_id = actor.organisation_id
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.organisation_id == organisation_id)
    )
    limit = current_app.config["WEBHOOK_MAX_ENDPOINTS"]
    if count >= limit:
        raise Conflict(_("You can register at most %(n)d endpoints.", n=limit), field="url")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        organisation_id=organisation_id, created_by_id=actor.id, url=url, secret=secret, events=events
    )
    db.session.add(endpoint)
    db.session.flush()
    _audit("webhook.endpoint_created", actor, endpoint, {"url": url, "events": events})
    return EndpointWithSecret(endpoint, secret)


def update_endpoint(actor: User, endpoint: WebhookEndpoint, *, url: str, events: list[str]) -> None:
    endpoint.url = validate_endpoint_url(url)
    endpoint.events = _validate_events(events)
    db.session.flush()
    _audit("webhook.endpoint_updated", actor, endpoint, {"url": endpoint.url, "events": endpoint.events})


def rotate_secret(actor: User, endpoint: WebhookEndpoint) -> str:
    """A new secret, in force for every delivery from now on (retries included); returned once."""
    endpoint.secret = new_secret()
    db.session.flush()
    _audit("webhook.secret_rotated", actor, endpoint, {})
    return endpoint.secret


def enable_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Deliver again; the failure count starts over. Deliveries that failed meanwhile stay in the
    log and can be redelivered one by one."""
    endpoint.is_active = True
    endpoint.consecutive_failures = 0
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    db.session.flush()
    _audit("webhook.endpoint_enabled", actor, endpoint, {})


def disable_endpoint(actor: User | None, endpoint: WebhookEndpoint, reason: str) -> None:
    """Pause an endpoint by hand: no new deliveries are queued for it until it is enabled again."""
    if not endpoint.is_active:
        return
    endpoint.is_active = False
    endpoint.disabled_at = clock.now()
    endpoint.disabled_reason = reason[:300]
    db.session.flush()
    _audit("webhook.endpoint_disabled", actor, endpoint, {"reason": endpoint.disabled_reason})


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint and its delivery log; queued deliveries are dropped with it."""
    _audit("webhook.endpoint_deleted", actor, endpoint, {"url": endpoint.url})
    db.session.delete(endpoint)
    db.session.flush()


def _audit(type_: str, actor: User | None, endpoint: WebhookEndpoint, data: dict[str, Any]) -> None:
    # Where a partner's lead data flows is worth an audit trail (who pointed it where, and when).
    record(type_, actor=actor, partner_id=endpoint.organisation_id, data={"endpoint_id": endpoint.id, **data})


# --- deliveries -----------------------------------------------------------------------------------


def active_endpoints(partner_ids: set[int | None]) -> dict[int, list[WebhookEndpoint]]:
    """The active endpoints of these partners, by partner (each knows the events it subscribed to)."""
    found: dict[int, list[WebhookEndpoint]] = {}
    ids = sorted(partner_ids - {None})
    for start in range(0, len(ids), 1000):
        rows = db.session.scalars(
            sa.select(WebhookEndpoint)
            .where(
                WebhookEndpoint.organisation_id.in_(ids[start : start + 1000]),
                WebhookEndpoint.is_active.is_(True),
            )
            .order_by(WebhookEndpoint.id)
        )
        for endpoint in rows:
            found.setdefault(endpoint.organisation_id, []).append(endpoint)
    return found


def new_delivery(
    endpoint: WebhookEndpoint, event_type: str, body: dict[str, Any], now: datetime
) -> WebhookDelivery:
    """A pending delivery (the caller adds it, flushes, then calls :func:`enqueue_first_attempts`)."""
    return WebhookDelivery(
        endpoint_id=endpoint.id,
        event_type=event_type,
        payload=body,
        status=DeliveryStatus.PENDING,
        created_at=now,
        next_attempt_at=now,
    )


def enqueue_first_attempts(deliveries: list[WebhookDelivery]) -> None:
    """One ``webhooks.deliver`` job per (flushed) delivery, in the caller's transaction."""
    for delivery in deliveries:
        _enqueue_attempt(delivery, automatic=True)


def _enqueue_attempt(delivery: WebhookDelivery, *, automatic: bool, delay: timedelta | None = None) -> None:
    from exchange.platform.jobs import enqueue
    from exchange.platform.jobs.registry import QUEUE_NOTIFY

    # The attempt count is the job's ticket: a job whose count is stale (another attempt ran since)
    # does nothing, so a retry and a manual redelivery never both send.
    enqueue("webhooks.deliver", delivery.id, delivery.attempts, automatic, queue=QUEUE_NOTIFY, delay=delay)


def redeliver(actor: User, delivery: WebhookDelivery) -> None:
    """Send a finished (succeeded or failed) delivery once more, now, with its original delivery id."""
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict(_("This delivery is still waiting for its next attempt."))
    if not delivery.endpoint.is_active:
        raise Conflict(_("Enable the endpoint before redelivering."))
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = clock.now()
    db.session.flush()
    _enqueue_attempt(delivery, automatic=False)
    record(
        "webhook.redelivery_requested",
        actor=actor,
        partner_id=delivery.endpoint.organisation_id,
        data={"endpoint_id": delivery.endpoint_id, "delivery_id": delivery.id},
    )


def _lead_id(payload: dict[str, Any]) -> int | None:
    lead = payload.get("lead")
    return lead.get("id") if isinstance(lead, dict) else None


def redact_deliveries(lead: Lead, partner_id: int) -> int:
    """``partner_id``'s claim on ``lead`` ended (returned, revoked): its logged deliveries about the
    lead keep only the teaser, as everything else it sees from now on. Returns how many changed."""
    deliveries = db.session.scalars(
        sa.select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookEndpoint.organisation_id == partner_id,
            WebhookDelivery.payload[("lead", "id")].as_integer() == lead.id,
        )
    ).all()
    teaser = lead_payload(lead, reveal=False)
    changed = 0
    for delivery in deliveries:
        if (delivery.payload.get("lead") or {}).get("contact_details_included"):
            delivery.payload = {**delivery.payload, "lead": teaser}
            changed += 1
    db.session.flush()
    return changed


def payload_under_current_rule(delivery: WebhookDelivery) -> dict[str, Any]:
    """The body to send now: a logged body with contact details goes out again (a retry, a
    redelivery) only while the partner may still see them; otherwise it is redacted first."""
    payload = delivery.payload or {}
    if not (payload.get("lead") or {}).get("contact_details_included"):
        return payload
    lead = db.session.get(Lead, _lead_id(payload))
    partner_id = delivery.endpoint.organisation_id
    if lead is None or not partner_may_see_contact(lead, partner_id):
        if lead is None:
            delivery.payload = {key: value for key, value in payload.items() if key != "lead"}
        else:
            redact_deliveries(lead, partner_id)
    return delivery.payload


def record_disclosure(delivery: WebhookDelivery) -> None:
    """A body with contact details reached the partner's endpoint: the reveal audit shows it."""
    payload = delivery.payload or {}
    if not (payload.get("lead") or {}).get("contact_details_included"):
        return
    partner_id = delivery.endpoint.organisation_id
    claim = db.session.scalar(
        sa.select(Claim)
        .where(Claim.lead_id == _lead_id(payload), Claim.partner_id == partner_id)
        .order_by(Claim.id.desc())
    )
    record(
        "lead.contact_viewed",
        manufacturer_id=claim.manufacturer_id if claim else None,
        partner_id=partner_id,
        lead_id=_lead_id(payload),
        claim_id=claim.id if claim else None,
        data={"via": "webhook", "delivery_id": delivery.id, "endpoint_id": delivery.endpoint_id},
    )


def retry_delay(attempts_made: int) -> timedelta | None:
    """When to try again after ``attempts_made`` automatic attempts; None when they are used up."""
    schedule = current_app.config["WEBHOOK_RETRY_SCHEDULE"]
    if attempts_made < 1 or attempts_made > len(schedule):
        return None
    return timedelta(seconds=int(schedule[attempts_made - 1]))


def schedule_retry(delivery: WebhookDelivery, delay: timedelta) -> None:
    delivery.next_attempt_at = clock.now() + delay
    db.session.flush()
    _enqueue_attempt(delivery, automatic=True, delay=delay)
