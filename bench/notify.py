"""What publishing events costs the caller (the SLA sweep publishes thousands in one run), and what the
e-mail sweep then costs.

    python -m bench.notify [--events 2000] [--database-url postgresql://…/scratch]

Builds one manufacturer and 2 x ``--events`` partners (an admin and two reps each, one webhook
endpoint subscribed to everything). Times ``publish_event("sla.breached", …)`` called once per event
for the first ``--events`` offers in one transaction (3 notifications for the partner + 1 for the
channel manager, 1 webhook delivery and its job per event), then ``publish_events`` with the other
``--events`` in one batch, each followed by its commit, then one ``notifications.send_due`` run over
everything that became due.
Nothing is sent: the jobs are left in the outbox (no runner is started), the sweep queues ``mail.send``
jobs. Without ``--database-url`` a fresh SQLite file is used; a PostgreSQL URL must name a scratch
database: its public schema is dropped.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from bench import peak_rss_mb, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from exchange import create_app
    from exchange.platform.config import normalise_database_url
    from exchange.platform.extensions import db

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench-notify.sqlite'}"
    if url.startswith("postgres"):
        engine = sa.create_engine(normalise_database_url(url))
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": None,
            "EMBEDDED_SCHEDULER": False,
            "SECRET_KEY": "bench",
            "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
    )
    with app.app_context():
        upgrade()
        offers = _build(2 * args.events)
        db.session.commit()
        # Keep the in-process runner out of it: nothing is handed over, everything stays in the outbox.
        app.extensions["exchange.platform.jobs"].backend.hand_over = lambda jobs: 0

        from exchange.models import Notification, Offer, WebhookDelivery
        from exchange.notify.delivery_jobs import send_due_notification_emails
        from exchange.notify.notifications import BusinessEvent, publish_event, publish_events

        loaded = db.session.scalars(
            sa.select(Offer).where(Offer.id.in_(offers)).options(joinedload(Offer.lead)).order_by(Offer.id)
        ).all()
        singles, batch_ids = loaded[: args.events], [offer.id for offer in loaded[args.events :]]
        payload = {"sla": "first_contact"}
        started = time.perf_counter()
        for offer in singles:
            publish_event("sla.breached", offer=offer, payload=payload)
        db.session.commit()
        single_seconds = time.perf_counter() - started
        # The commit expired them: load again, as the sweep has its rows at hand.
        batch = db.session.scalars(
            sa.select(Offer).where(Offer.id.in_(batch_ids)).options(joinedload(Offer.lead)).order_by(Offer.id)
        ).all()
        started = time.perf_counter()
        publish_events([BusinessEvent("sla.breached", offer=offer, payload=payload) for offer in batch])
        db.session.commit()
        batch_seconds = time.perf_counter() - started
        db.session.expunge_all()  # as in a job: a fresh session
        started = time.perf_counter()
        sweep = send_due_notification_emails()
        sweep_seconds = time.perf_counter() - started
        notifications = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
        deliveries = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery))
        backend = db.engine.dialect.name
    write_result(
        "notify",
        {
            "database": backend,
            "events": len(offers),
            "notifications": notifications,
            "deliveries": deliveries,
            "publish_event_ms_per_event": round(single_seconds * 1000 / max(len(singles), 1), 3),
            "publish_events_batch_ms_per_event": round(batch_seconds * 1000 / max(len(batch), 1), 3),
            "email_sweep_seconds": round(sweep_seconds, 3),
            "emails_queued": sweep["emails"],
            "peak_rss_mb": peak_rss_mb(),
        },
    )


def _build(partners: int) -> list[int]:
    from exchange.accounts import organisations
    from exchange.models import (
        Enrollment,
        Lead,
        Offer,
        OfferState,
        Organisation,
        OrgKind,
        PartnerProfile,
        Role,
        Temperature,
        User,
        WebhookEndpoint,
    )
    from exchange.platform.extensions import db

    maker = organisations.create_manufacturer("Bench Maker", slug="bench-maker")
    db.session.add(User(organisation=maker, email="cm@bench.test", name="CM", role=Role.CHANNEL_MANAGER))
    offer_ids = []
    for n in range(partners):
        partner = Organisation(kind=OrgKind.PARTNER, name=f"Partner {n}", slug=f"bench-partner-{n}")
        partner.profile = PartnerProfile()
        db.session.add(partner)
        for i, role in enumerate((Role.PARTNER_ADMIN, Role.PARTNER_REP, Role.PARTNER_REP)):
            db.session.add(User(organisation=partner, email=f"u{n}-{i}@bench.test", name=f"U{n}", role=role))
        db.session.flush()
        db.session.add(Enrollment(manufacturer_id=maker.id, partner_id=partner.id))
        db.session.add(
            WebhookEndpoint(
                organisation_id=partner.id,
                url=f"https://crm{n}.bench.example/hook",
                secret="whsec_bench",  # noqa: S106 - a benchmark fixture
                events=["offer.created", "sla.breached"],
            )
        )
        lead = Lead(
            manufacturer_id=maker.id,
            company_name=f"Buyer {n}",
            country="DE",
            region="BY",
            industry="Food",
            temperature=Temperature.WARM,
        )
        db.session.add(lead)
        db.session.flush()
        offer = Offer(
            lead_id=lead.id,
            partner_id=partner.id,
            manufacturer_id=maker.id,
            score=0.5,
            rank=1,
            wave=1,
            state=OfferState.OPEN,
        )
        db.session.add(offer)
        db.session.flush()
        offer_ids.append(offer.id)
        if n % 500 == 499:
            db.session.commit()
    return offer_ids


if __name__ == "__main__":
    main()
