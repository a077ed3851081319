"""Webhooks: a partner's HTTPS endpoints and the deliveries queued for them.

Deliveries are rows; sending them is the ``webhooks.deliver`` job (``exchange.notify.delivery_jobs``),
signed as :mod:`exchange.notify.signatures` says, to where :mod:`exchange.notify.destinations`
allows. Functions here flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from exchange.models import Claim, DeliveryStatus, Lead, User, WebhookDelivery, WebhookEndpoint
from exchange.notify.destinations import validate_endpoint_url
from exchange.notify.kinds import WEBHOOK_EVENTS
from exchange.notify.partner_payloads import lead_payload, partner_may_see_contact
from exchange.notify.signatures import new_secret
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError
from exchange.platform.event_types import AuditEvent, LeadEvent
from exchange.platform.events import record
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_NOTIFY

# --- endpoints ------------------------------------------------------------------------------------


def _validate_events(events: list[str] | tuple[str, ...] | None) -> list[str]:
    chosen = [event.value for event in WEBHOOK_EVENTS if event in set(events or ())]
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
    _audit(AuditEvent.WEBHOOK_ENDPOINT_CREATED, actor, endpoint, {"url": url, "events": events})
    return EndpointWithSecret(endpoint, secret)


def update_endpoint(actor: User, endpoint: WebhookEndpoint, *, url: str, events: list[str]) -> None:
    endpoint.url = validate_endpoint_url(url)
    endpoint.events = _validate_events(events)
    db.session.flush()
    _audit(
        AuditEvent.WEBHOOK_ENDPOINT_UPDATED, actor, endpoint, {"url": endpoint.url, "events": endpoint.events}
    )


def rotate_secret(actor: User, endpoint: WebhookEndpoint) -> str:
    """A new secret, in force for every delivery from now on (retries included); returned once."""
    endpoint.secret = new_secret()
    db.session.flush()
    _audit(AuditEvent.WEBHOOK_SECRET_ROTATED, actor, endpoint, {})
    return endpoint.secret


def enable_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Deliver again; the failure count starts over. Deliveries that failed meanwhile stay in the
    log and can be redelivered one by one."""
    endpoint.is_active = True
    endpoint.consecutive_failures = 0
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    db.session.flush()
    _audit(AuditEvent.WEBHOOK_ENDPOINT_ENABLED, actor, endpoint, {})


def disable_endpoint(actor: User | None, endpoint: WebhookEndpoint, reason: str) -> None:
    """Pause an endpoint by hand: no new deliveries are queued for it until it is enabled again."""
    if not endpoint.is_active:
        return
    endpoint.is_active = False
    endpoint.disabled_at = clock.now()
    endpoint.disabled_reason = reason[:300]
    db.session.flush()
    _audit(AuditEvent.WEBHOOK_ENDPOINT_DISABLED, actor, endpoint, {"reason": endpoint.disabled_reason})


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint and its delivery log; queued deliveries are dropped with it."""
    _audit(AuditEvent.WEBHOOK_ENDPOINT_DELETED, actor, endpoint, {"url": endpoint.url})
    db.session.delete(endpoint)
    db.session.flush()


def _audit(type_: AuditEvent, actor: User | None, endpoint: WebhookEndpoint, data: dict[str, Any]) -> None:
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
        AuditEvent.WEBHOOK_REDELIVERY_REQUESTED,
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
        LeadEvent.LEAD_CONTACT_VIEWED,
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
