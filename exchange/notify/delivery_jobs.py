"""Jobs that send things out of the building: webhook deliveries and notification e-mails.

They take ids, reload rows and own their transactions (they commit), as jobs do; the rules they
apply live in ``exchange.notify.webhooks`` (with ``signatures`` and ``destinations``) and in
``exchange.notify.notifications`` (with ``digests`` and ``texts``).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import requests
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from requests.adapters import HTTPAdapter
from sqlalchemy.orm import joinedload

from exchange.models import DeliveryStatus, Notification, User, WebhookDelivery, WebhookEndpoint
from exchange.notify import destinations, signatures, webhooks
from exchange.notify.audience import may_be_notified
from exchange.notify.digests import digest_lines, hot_leads_among
from exchange.notify.kinds import NotificationKind
from exchange.notify.mail import queue_mail
from exchange.notify.notifications import publish_event
from exchange.notify.texts import format_time_for, is_site_path, path_for, recipient_locale
from exchange.platform import clock, unit_of_work
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db

log = logging.getLogger(__name__)

RESPONSE_BODY_LIMIT = 2000
ERROR_LIMIT = 1000


# --- webhooks ------------------------------------------------------------------------------------


def deliver_webhook(delivery_id: int, expected_attempts: int, automatic: bool = True) -> dict[str, Any]:
    """One attempt at one delivery (the ``webhooks.deliver`` job).

    The row is locked for the attempt, and the job acts only if the delivery is still pending with
    ``expected_attempts`` attempts made: a stale job (a retry overtaken by a redelivery, a job handed
    over twice) does nothing. A failed automatic attempt is retried on ``WEBHOOK_RETRY_SCHEDULE``;
    when the schedule is used up (or a manual redelivery fails) the delivery has failed, which counts
    towards disabling the endpoint."""
    delivery = db.session.scalar(
        sa.select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    )
    if (
        delivery is None
        or delivery.status != DeliveryStatus.PENDING
        or delivery.attempts != expected_attempts
    ):
        return {"skipped": "not due"}  # the runner's commit releases the row
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.status = DeliveryStatus.FAILED
        delivery.error = "not sent: the endpoint is disabled"
        delivery.next_attempt_at = None
        return {"skipped": "endpoint disabled"}

    outcome = _post(endpoint, delivery)
    now = clock.now()
    if outcome.status is not None:
        webhooks.record_disclosure(delivery)  # the endpoint answered: the body reached it
    delivery.attempts += 1
    delivery.response_status = outcome.status
    delivery.response_body = outcome.body
    delivery.error = outcome.error
    if outcome.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        db.session.execute(
            sa.update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.consecutive_failures != 0)
            .values(consecutive_failures=0)
        )
        return {"status": "succeeded", "response_status": outcome.status}

    delay = webhooks.retry_delay(delivery.attempts) if automatic else None
    if delay is not None:
        webhooks.schedule_retry(delivery, delay)
        return {"status": "retrying", "error": outcome.error, "retry_in_seconds": delay.total_seconds()}

    delivery.status = DeliveryStatus.FAILED
    delivery.next_attempt_at = None
    failures = db.session.scalar(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id)
        .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1)
        .returning(WebhookEndpoint.consecutive_failures)
    )
    disabled = False
    if failures >= int(current_app.config["WEBHOOK_DISABLE_AFTER_FAILURES"]):
        disabled = _disable_failing_endpoint(endpoint, failures, outcome.error or "")
    return {"status": "failed", "error": outcome.error, "endpoint_disabled": disabled}


def _disable_failing_endpoint(endpoint: WebhookEndpoint, failures: int, error: str) -> bool:
    """Disable once (a conditional update, so two failing jobs notify once) and tell the admins."""
    reason = f"{failures} consecutive failed deliveries; last error: {error}"[:300]
    switched = db.session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.is_active.is_(True))
        .values(is_active=False, disabled_at=clock.now(), disabled_reason=reason)
    ).rowcount
    if switched != 1:
        return False
    db.session.refresh(endpoint)
    record(
        AuditEvent.WEBHOOK_ENDPOINT_DISABLED,
        partner_id=endpoint.organisation_id,
        data={"endpoint_id": endpoint.id, "reason": reason, "automatic": True},
    )
    publish_event(
        NotificationKind.WEBHOOK_DISABLED,
        partner_id=endpoint.organisation_id,
        payload={"url": endpoint.url, "failures": failures, "error": error[:200] or "-"},
        link=path_for("portal.webhook_detail", endpoint_id=endpoint.id),
    )
    return True


class _Outcome:
    def __init__(self, status: int | None = None, body: str | None = None, error: str | None = None):
        self.status = status
        self.body = body
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> _Outcome:
    # A retry or redelivery after the claim ended sends the teaser, not the logged contact details.
    body = signatures.encode_body(webhooks.payload_under_current_rule(delivery))
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "LeadExchange-Webhooks/1",
        signatures.EVENT_HEADER: delivery.event_type,
        signatures.DELIVERY_HEADER: str(delivery.id),
        signatures.TIMESTAMP_HEADER: timestamp,
        signatures.SIGNATURE_HEADER: signatures.sign(endpoint.secret, timestamp, body),
    }
    timeout = float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"])
    try:
        address = destinations.check_destination(endpoint.url)
    except destinations.DestinationRefused as refused:
        return _Outcome(error=f"not sent: {refused}"[:ERROR_LIMIT])
    started = time.monotonic()
    try:
        with requests.Session() as session:
            session.trust_env = False  # no proxy from the environment: the checked address is the peer
            if address is not None:
                session.mount(endpoint.url, PinnedAddressAdapter(address))
            # No redirects: the signature is for this URL, and a redirect could point anywhere.
            with session.post(
                endpoint.url,
                data=body,
                headers=headers,
                timeout=(min(timeout, 5.0), timeout),
                allow_redirects=False,
                stream=True,
            ) as response:
                text = _read_limited(response, started, timeout)
                if 200 <= response.status_code < 300:
                    return _Outcome(status=response.status_code, body=text)
                reason = (
                    "redirects are not followed"
                    if 300 <= response.status_code < 400
                    else f"HTTP {response.status_code}"
                )
                return _Outcome(status=response.status_code, body=text, error=reason)
    except requests.Timeout:
        return _Outcome(error=f"timed out after {timeout:g} s")
    except requests.RequestException as error:
        return _Outcome(error=f"{type(error).__name__}: {error}"[:ERROR_LIMIT])


class PinnedAddressAdapter(HTTPAdapter):
    """Connects to ``address`` (the one :func:`destinations.check_destination` approved) instead of
    resolving the URL's host again, while everything else stays with the host name: the Host header,
    TLS SNI and certificate verification. Closes the window in which a name checked as public could
    be re-pointed to a private address before the connection (DNS rebinding)."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            scheme: _pinned_pool(pool_class, self.address)
            for scheme, pool_class in self.poolmanager.pool_classes_by_scheme.items()
        }


def _pinned_pool(pool_class: type, address: str) -> type:
    connection_class = pool_class.ConnectionCls

    class PinnedConnection(connection_class):
        def _new_conn(self):
            # urllib3 opens the socket to ``_dns_host``; only for that call it is the checked
            # address (``host``, used for SNI, the certificate and the Host header, stays the name).
            name, self._dns_host = self._dns_host, address
            try:
                return super()._new_conn()
            finally:
                self._dns_host = name

    return type(f"Pinned{pool_class.__name__}", (pool_class,), {"ConnectionCls": PinnedConnection})


def _read_limited(response: requests.Response, started: float, timeout: float) -> str:
    """At most RESPONSE_BODY_LIMIT bytes of the answer, within the overall time limit."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=512):
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_BODY_LIMIT or time.monotonic() - started > timeout:
            break
    return b"".join(chunks)[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")


def prune_webhook_deliveries() -> dict[str, int]:
    """Delete finished deliveries older than ``WEBHOOK_LOG_RETENTION_DAYS`` (periodic)."""
    cutoff = clock.now() - timedelta(days=int(current_app.config["WEBHOOK_LOG_RETENTION_DAYS"]))
    deleted = db.session.execute(
        sa.delete(WebhookDelivery).where(
            WebhookDelivery.status != DeliveryStatus.PENDING, WebhookDelivery.created_at < cutoff
        )
    ).rowcount
    return {"deleted": deleted}


# --- notification e-mails --------------------------------------------------------------------------


def send_due_notification_emails(users_per_batch: int = 200) -> dict[str, int]:
    """E-mail every notification whose ``email_due_at`` has come (the ``notifications.send_due`` job,
    periodic, and kicked after a commit that made some due now).

    Batch by batch of users, the due notifications are claimed with one conditional UPDATE
    (``emailed_at`` set where it is still empty, ``RETURNING`` what this run got), so two runs at once
    never e-mail one twice, and ``mail.send`` jobs are queued in the same transaction: one message
    for one notification, a digest for several."""
    now = clock.now()
    emails = sent = 0
    seen: set[int] = set()
    while True:
        user_ids = [
            user_id
            for user_id in db.session.scalars(
                sa.select(Notification.user_id)
                .where(Notification.emailed_at.is_(None), Notification.email_due_at <= now)
                .group_by(Notification.user_id)
                .order_by(Notification.user_id)
                .limit(users_per_batch)
            )
            if user_id not in seen
        ]
        if not user_ids:
            break
        seen.update(user_ids)
        claimed = db.session.scalars(
            sa.update(Notification)
            .where(
                Notification.user_id.in_(user_ids),
                Notification.emailed_at.is_(None),
                Notification.email_due_at <= now,
            )
            .values(emailed_at=now)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        ).all()
        # Read everything first: a query between the queue_mail calls would flush each time.
        by_user: dict[int, list[Notification]] = {}
        for notification in _load_notifications(list(claimed)):
            by_user.setdefault(notification.user_id, []).append(notification)
        users = db.session.scalars(
            sa.select(User).where(User.id.in_(list(by_user))).options(joinedload(User.organisation))
        ).all()
        hot = hot_leads_among(n for items in by_user.values() for n in items)
        for user in users:
            if not may_be_notified(user):
                continue  # marked all the same: nobody to write to, and not picked up again
            items = by_user[user.id]
            subject, text = render_email(user, items, hot_lead_ids=hot)
            queue_mail([user.email], subject, text)
            emails += 1
            sent += len(items)
        # Each batch's claims and mail jobs are stored (and its locks released) before the next.
        unit_of_work.checkpoint()
        db.session.expunge_all()  # keep the identity map small across batches
    return {"emails": emails, "notifications": sent}


def _load_notifications(ids: list[int]) -> list[Notification]:
    items: list[Notification] = []
    for start in range(0, len(ids), 1000):  # stay below the databases' bound-parameter limits
        items.extend(
            db.session.scalars(sa.select(Notification).where(Notification.id.in_(ids[start : start + 1000])))
        )
    return sorted(items, key=lambda item: (item.created_at, item.id))


def render_email(
    user: User, items: list[Notification], *, hot_lead_ids: set[int] | None = None
) -> tuple[str, str]:
    """Subject and plain-text body for ``items``, in the user's language and zone: the notification
    itself for one, else a digest that counts them by kind ("12 new leads waiting, 2 hot leads, 1 SLA
    warning") and links to the list, naming only a few of each kind. ``hot_lead_ids``: which of
    their leads are hot (looked up when not given)."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")

    def url(link: str | None) -> str | None:
        return base + link if link and is_site_path(link) else None

    def entry(item: Notification) -> dict[str, Any]:
        return {
            "title": item.title,
            "body": item.body,
            "time": format_time_for(user, item.created_at),
            "url": url(item.link),
        }

    with force_locale(recipient_locale(user)):
        lines = []
        if len(items) == 1:
            subject = _("[Lead Exchange] %(title)s", title=items[0].title)
        else:
            if hot_lead_ids is None:
                hot_lead_ids = hot_leads_among(items)
            for line in digest_lines(items, hot_lead_ids):
                lines.append(
                    {
                        "label": line.label,
                        "url": url(line.link),
                        "entries": [entry(item) for item in line.entries],
                        "more": line.more,
                    }
                )
            subject = _("[Lead Exchange] %(summary)s", summary=", ".join(line["label"] for line in lines))
        text = render_template(
            "email/notifications.txt",
            user=user,
            entry=entry(items[0]) if len(items) == 1 else None,
            lines=lines,
            settings_url=base + path_for("inbox.settings"),
            inbox_url=base + path_for("inbox.notifications"),
        )
    return subject, text
