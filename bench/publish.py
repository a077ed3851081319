"""Publishing benchmark: ``python -m bench.publish --leads 10000 --partners 5000``.

Builds one manufacturer with ``--partners`` partners and ``--leads`` draft leads on a scratch
PostgreSQL database (next to ``DATABASE_URL``), then times what publishing costs end to end: the
publish service (status, SLA terms, events, the ``leads.match`` job) and that job (the batch scorer,
the first-wave offers with their reasons and business-time deadlines, the events and the queued
notifications). Writes ``bench/results/publish.json``. Target: at most 60 s on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import sys
import time

import sqlalchemy as sa

from bench import peak_rss_mb, write_result
from bench.database import scratch_arguments, scratch_database
from bench.dataset import build_programme, copy_rows, lead_rows

LEAD_COLUMNS = [
    "manufacturer_id", "company_name", "contact_first_name", "contact_last_name", "contact_email", "contact_phone",
    "street", "country", "region", "postal_code", "latitude", "longitude", "product_line_id", "industry",
    "employees", "estimated_value", "currency", "temperature", "status", "current_wave", "dedupe_key",
    "created_at", "updated_at",
]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = scratch_arguments(__doc__)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=5_000)
    args = parser.parse_args(argv)
    with scratch_database("bench_publish", keep=args.keep) as app, app.app_context():
        from exchange.leads.lifecycle import publish_leads
        from exchange.models import Lead, LeadStatus, Offer, OfferState
        from exchange.offers.matchmaking import match_leads
        from exchange.platform import clock
        from exchange.platform.extensions import db

        rng = random.Random(20261123)
        now = clock.now()
        dataset = build_programme(db, args.partners, rng, now)
        copy_rows(db, "leads", lead_rows(dataset, args.leads, rng, now), LEAD_COLUMNS)
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()

        started = time.perf_counter()
        drafts = list(
            db.session.scalars(sa.select(Lead).where(Lead.status == LeadStatus.DRAFT).order_by(Lead.id))
        )
        published = publish_leads(None, drafts, kind="cli")
        db.session.commit()
        publish_seconds = time.perf_counter() - started
        matched = match_leads([lead.id for lead in published])  # the job, run here so it is timed
        db.session.commit()
        seconds = time.perf_counter() - started
        offers = db.session.scalar(
            sa.select(sa.func.count()).select_from(Offer).where(Offer.state == OfferState.OPEN)
        )
    write_result(
        "publish",
        {
            "leads": args.leads,
            "partners": args.partners,
            "seconds": round(seconds, 2),
            "publish_service_seconds": round(publish_seconds, 2),
            "matching_job_seconds": round(seconds - publish_seconds, 2),
            "offered": matched["offered"],
            "unmatched": matched["unmatched"],
            "first_wave_offers": offers,
            "leads_per_second": round(args.leads / seconds),
            "peak_rss_mb": peak_rss_mb(),
            "database": "postgresql",
        },
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
