"""SLA sweep benchmark: ``python -m bench.sla_sweep --open 100000`` (PostgreSQL).

Builds a data set with ``--open`` open SLA clocks (open offers in wave 1, and active claims waiting
for their first contact) for one manufacturer and ``--partners`` partners, then times

- a sweep with nothing due (``idle_seconds``, target <= 1 s), and
- a sweep with ``--due`` clocks due at once (``due_10000_seconds``, target <= 15 s): 40 % claim-window
  reminders, 40 % lapsed claim windows (their leads move to wave 2, ranked by the matching engine),
  20 % first contacts missed (breach, claim revoked, lead recycled to the next wave).

Runs on a database of its own (``<database>_bench_sla`` on the server of ``DATABASE_URL``), created
and dropped by the benchmark. Writes ``bench/results/sla_sweep.json``.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta

import sqlalchemy as sa

from bench import peak_rss_mb, write_result
from bench.database import scratch_arguments, scratch_database


def build(open_clocks: int, partners: int, rng: random.Random) -> dict[str, int]:
    from exchange.accounts import organisations
    from exchange.models import Claim, Lead, LeadStatus, Offer, OfferState, Temperature
    from exchange.platform import clock
    from exchange.platform.extensions import db
    from exchange.sla.policies import terms_for

    now = clock.now()
    maker = organisations.create_manufacturer("Bench Maker", slug="bench-maker", timezone="Europe/Berlin")
    line = organisations.add_product_line(maker, "pumps", "Pumps")
    regions = ["BY", "BW", "NW", "HE", "NI", "BE", "SN", "HH"]
    for n in range(partners):
        partner = organisations.create_partner(
            f"Bench Partner {n}",
            slug=f"bench-p-{n}",
            timezone="Europe/Berlin",
            employees=rng.randint(5, 400),
            capacity=10_000,
            coverage=[("DE", None, None)] if n % 3 else [("DE", rng.choice(regions), None)],
            segments=["small", "mid_market", "enterprise"],
            industries=["Manufacturing"],
        )
        organisations.enroll(maker, partner, product_lines=[line])
    db.session.commit()
    partner_ids = list(
        db.session.scalars(sa.text("SELECT id FROM organisations WHERE kind = 'partner' ORDER BY id"))
    )
    terms = {**terms_for(maker, Temperature.WARM), "business_time": False}  # deadlines are set directly below
    claims = open_clocks // 5  # a fifth of the clocks are claims waiting for first contact
    offered_leads = (open_clocks - claims) // 3
    lead_rows = []
    for n in range(offered_leads + claims):
        lead_rows.append(
            {
                "manufacturer_id": maker.id,
                "product_line_id": line.id,
                "company_name": f"Buyer {n}",
                "contact_email": f"buyer{n}@example.com",
                "country": "DE",
                "region": rng.choice(regions),
                "postal_code": f"{rng.randint(10, 99)}{rng.randint(100, 999)}",
                "industry": "Manufacturing",
                "employees": rng.randint(10, 2000),
                "temperature": Temperature.WARM,
                "sla_terms": terms,
                "status": LeadStatus.OFFERED if n < offered_leads else LeadStatus.CLAIMED,
                "current_wave": 1,
                "published_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(lead_rows), 5000):
        db.session.execute(sa.insert(Lead), lead_rows[start : start + 5000])
    db.session.commit()
    lead_ids = list(db.session.scalars(sa.select(Lead.id).order_by(Lead.id)))
    later = now + timedelta(hours=4)
    offer_rows, claim_rows = [], []
    for index, lead_id in enumerate(lead_ids):
        chosen = rng.sample(partner_ids, 3 if index < offered_leads else 1)
        for rank, partner_id in enumerate(chosen, start=1):
            offer_rows.append(
                {
                    "lead_id": lead_id,
                    "partner_id": partner_id,
                    "manufacturer_id": maker.id,
                    "score": 0.9 - rank / 10,
                    "components": {},
                    "reasons": [],
                    "rank": rank,
                    "wave": 1,
                    "state": OfferState.OPEN if index < offered_leads else OfferState.CLAIMED,
                    "visible_from": now,
                    "claim_deadline": later,
                    "remind_at": now + timedelta(hours=3),
                    "created_at": now,
                    "updated_at": now,
                }
            )
    for start in range(0, len(offer_rows), 5000):
        db.session.execute(sa.insert(Offer), offer_rows[start : start + 5000])
    db.session.commit()
    claimed = db.session.execute(
        sa.select(Offer.id, Offer.lead_id, Offer.partner_id).where(Offer.state == OfferState.CLAIMED)
    ).all()
    for offer_id, lead_id, partner_id in claimed:
        claim_rows.append(
            {
                "lead_id": lead_id,
                "offer_id": offer_id,
                "partner_id": partner_id,
                "manufacturer_id": maker.id,
                "claimed_at": now,
                "first_contact_deadline": later,
                "first_contact_remind_at": now + timedelta(hours=3),
                "next_update_deadline": now + timedelta(days=7),
                "next_update_remind_at": now + timedelta(days=5),
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(claim_rows), 5000):
        db.session.execute(sa.insert(Claim), claim_rows[start : start + 5000])
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return {"open_offers": offered_leads * 3, "active_claims": len(claim_rows), "leads": len(lead_ids)}


def make_due(due: int, rng: random.Random) -> dict[str, int]:
    """Move ``due`` clocks into the past: reminders, lapsed windows (whole waves), missed first contacts."""
    from exchange.models import Claim, Offer, OfferState
    from exchange.platform import clock
    from exchange.platform.extensions import db

    now = clock.now()
    past = now - timedelta(minutes=1)
    reminders, lapsed, breaches = int(due * 0.4), int(due * 0.4), due - 2 * int(due * 0.4)
    open_offers = db.session.execute(
        sa.select(Offer.id, Offer.lead_id)
        .where(Offer.state == OfferState.OPEN)
        .order_by(Offer.lead_id, Offer.id)
    ).all()
    by_lead: dict[int, list[int]] = {}
    for offer_id, lead_id in open_offers:
        by_lead.setdefault(lead_id, []).append(offer_id)
    leads = list(by_lead)
    rng.shuffle(leads)
    lapsed_ids: list[int] = []
    while len(lapsed_ids) < lapsed:
        lapsed_ids.extend(by_lead[leads.pop()])
    remind_ids: list[int] = []
    while len(remind_ids) < reminders:
        remind_ids.extend(by_lead[leads.pop()])
    remind_ids = remind_ids[:reminders]
    db.session.execute(
        sa.update(Offer)
        .where(Offer.id.in_(lapsed_ids))
        .values(claim_deadline=past, remind_at=past, reminded_at=past)
    )
    db.session.execute(sa.update(Offer).where(Offer.id.in_(remind_ids)).values(remind_at=past))
    claim_ids = list(db.session.scalars(sa.select(Claim.id).order_by(Claim.id).limit(breaches)))
    db.session.execute(
        sa.update(Claim)
        .where(Claim.id.in_(claim_ids))
        .values(first_contact_deadline=past, first_contact_remind_at=past, first_contact_reminded_at=past)
    )
    db.session.commit()
    return {
        "reminders": len(remind_ids),
        "lapsed_offers": len(lapsed_ids),
        "missed_first_contacts": len(claim_ids),
    }


def timed_sweep() -> tuple[float, dict[str, int]]:
    from exchange.platform.extensions import db
    from exchange.sla.sweep import run_sweep

    start = time.perf_counter()
    summary = run_sweep()
    db.session.commit()
    return time.perf_counter() - start, summary


def main(argv: list[str] | None = None) -> int:
    parser = scratch_arguments(__doc__)
    parser.add_argument("--open", type=int, default=100_000, dest="open_clocks")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=500)
    args = parser.parse_args(argv)
    rng = random.Random(20261123)
    with scratch_database("bench_sla", keep=args.keep) as app, app.app_context():
        started = time.perf_counter()
        built = build(args.open_clocks, args.partners, rng)
        build_seconds = time.perf_counter() - started
        idle_seconds, idle = timed_sweep()
        due = make_due(args.due, rng)
        due_seconds, summary = timed_sweep()
        assert not any(idle.values()), idle
    result = {
        "open": args.open_clocks,
        "partners": args.partners,
        "due": args.due,
        **built,
        **due,
        "build_seconds": round(build_seconds, 1),
        "idle_seconds": round(idle_seconds, 3),
        f"due_{args.due}_seconds": round(due_seconds, 2),
        "due_summary": summary,
        "peak_rss_mb": peak_rss_mb(),
        "database": "postgresql",
    }
    write_result("sla_sweep", result)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
