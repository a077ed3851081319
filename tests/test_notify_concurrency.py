"""On PostgreSQL: two e-mail sweeps, or two attempts at one webhook delivery, running at the same time
still send each thing once (conditional updates and row locks, not luck)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
import responses
import sqlalchemy as sa

from exchange.models import DeliveryStatus, DigestFrequency, OutboxJob, Role, WebhookDelivery
from exchange.notify import destinations
from exchange.notify.notifications import publish_event
from exchange.platform import clock, unit_of_work
from exchange.platform.extensions import db
from tests import factories as f
from tests.conftest import ON_POSTGRES

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRES, reason="row locks and concurrent transactions need PostgreSQL"),
]


def _run_together(app, *functions):
    """Start every function at once, each in its own thread, app context and database session, and
    in its own unit of work (as the job runner runs a job: committed when it returns)."""
    barrier = threading.Barrier(len(functions))
    results: list[object] = [None] * len(functions)
    errors: list[BaseException] = []

    def run(index, function):
        with app.app_context():
            try:
                barrier.wait()
                with unit_of_work.transaction():
                    results[index] = function()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_email_sweeps_at_once_send_each_notification_once(app):
    from exchange.notify.delivery_jobs import send_due_notification_emails

    maker = f.manufacturer()
    partner = f.partner(maker)
    offer = f.offer(f.lead(maker), partner)
    for n in range(20):
        f.user(partner, Role.PARTNER_REP, email=f"rep{n}@p.test").digest_frequency = DigestFrequency.HOURLY
    with clock.frozen(datetime(2026, 7, 1, 10, 15, tzinfo=UTC)) as frozen:
        for _ in range(3):
            publish_event("claim.reminder", offer=offer)  # not grouped: three entries per rep
        db.session.commit()
        frozen.set(datetime(2026, 7, 1, 11, 0, tzinfo=UTC))
        first, second = _run_together(app, send_due_notification_emails, send_due_notification_emails)
    assert first["notifications"] + second["notifications"] == 60
    assert first["emails"] + second["emails"] == 20
    mail_jobs = db.session.scalars(sa.select(OutboxJob).where(OutboxJob.task == "mail.send")).all()
    assert sorted(job.args[0][0] for job in mail_jobs) == sorted(f"rep{n}@p.test" for n in range(20))


@responses.activate
def test_two_attempts_at_one_delivery_at_once_send_it_once(app, monkeypatch):
    from exchange.notify.delivery_jobs import deliver_webhook

    monkeypatch.setattr(destinations, "resolve_host", lambda host, port: ["93.184.216.34"])

    def slow_receiver(request):
        time.sleep(0.5)  # the first attempt still holds the row when the second arrives
        return (200, {}, "ok")

    responses.add_callback(responses.POST, "https://crm.example.com/hook", callback=slow_receiver)
    maker = f.manufacturer()
    partner = f.partner(maker)
    f.webhook_endpoint(partner, "https://crm.example.com/hook")
    publication = publish_event("offer.created", offer=f.offer(f.lead(maker), partner))
    delivery_id = publication.deliveries[0].id
    # Keep the outbox from running it on its own: the two attempts below are the only ones.
    db.session.execute(sa.delete(OutboxJob).where(OutboxJob.task == "webhooks.deliver"))
    db.session.commit()
    results = _run_together(
        app, lambda: deliver_webhook(delivery_id, 0), lambda: deliver_webhook(delivery_id, 0)
    )
    assert sorted(str(r) for r in results) == sorted(
        [str({"status": "succeeded", "response_status": 200}), str({"skipped": "not due"})]
    )
    assert len(responses.calls) == 1
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
