"""Channel-manager analytics benchmark: ``python -m bench.analytics --leads 1000000 --partners 10000``.

Generates (``bench.analytics_data``) a two-year history of one programme on a scratch PostgreSQL database
next to ``DATABASE_URL`` (migrated with the app's migrations): ``--partners`` partners, ``--leads`` leads
with about 3.7 offers, 0.77 claims and 10 events each, written with COPY; builds the read model with the
real code (``exchange.analytics.facts.rebuild``, timed); then renders the analytics pages through the
Flask test client signed in as the programme's channel manager (templates and charts included), each
``--repeat`` times after one warm-up: the overview for 30 days, 90 days, this year and a custom
24-month period, each without and with every filter; ~20 partners' scorecards (30 days, this year);
the partner table sorted by every key both ways, first page and a middle page (30 days, this year);
the fairness and Return on Leads pages; the bare service calls beside them, and each API endpoint
once. Writes ``bench/results/analytics.json`` (sizes, generation and rebuild seconds, peak RSS, p50 /
p95 / max per group, the verdict against the targets) and prints a summary.

Targets (issue 13): overview (any filter) and scorecard p95 <= 1 s, partner table (10,000 partners,
any sort) p95 <= 1 s.

What the speed rests on (no further pre-aggregation yet): the overview, its trend and the scope form
aggregate ``lead_facts`` (one row per published lead, kept current by the event hook in the
transaction of each event; ``flask analytics rebuild`` recomputes it) and never read the event log
per view: a period is a range of ``ix_lead_facts_manufacturer_published``, the won revenue comes from
the partial ``ix_lead_facts_won``, the scope form's countries and regions from
``ix_lead_facts_manufacturer_place``. The partner table and the scorecards aggregate offers and
claims of the period: ``ix_offers_manufacturer_visible`` (partner, state and lead included, so the
programme's offers are read from the index), ``ix_offers_manufacturer_partner_visible`` and
``ix_claims_manufacturer_partner_claimed`` (one partner's rows), the partial ``ix_claims_active_partner``
(in progress). Migration ``20261204_2000_a7c3e9d2b410_analytics_indexes``. What is still over the
target at 1 M leads (year-long periods: the whole-programme aggregates scan 0.5 M lead rows, 1.7 M
offers, 0.36 M claims per query) needs roll-ups: see README.md, Benchmarks.

``--keep`` keeps the scratch database; ``--reuse`` keeps it and, when a generated one of the same
size exists, measures on it again without regenerating (migrations that are new since are applied).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from bench import peak_rss_mb, write_result
from bench.database import empty_database, postgres_url, scratch_arguments

SUFFIX = "bench_analytics"
TARGET_MS = 1000.0


def _app(url: str):
    from exchange import create_app

    app = create_app(
        {"DATABASE_URL": url, "REDIS_URL": None, "EMBEDDED_SCHEDULER": False, "SECRET_KEY": "bench"}
    )
    app.extensions["exchange.platform.jobs"].backend.hand_over = lambda jobs: 0
    return app


def _exists(server: sa.engine.URL, name: str) -> bool:
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return bool(
                connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            )
    finally:
        admin.dispose()


@contextlib.contextmanager
def database(*, reuse: bool, keep: bool) -> Iterator[tuple]:
    """(app, the stored description of the generated data or None); migrated to the newest revision."""
    from flask_migrate import upgrade

    from exchange.platform.extensions import db

    base = postgres_url()
    name = f"{base.database}_{SUFFIX}"
    url = base.set(database=name).render_as_string(hide_password=False)
    if reuse and _exists(base, name):
        context = contextlib.nullcontext(url)
    else:
        context = empty_database(base, name, keep=keep or reuse)
    with context as url:
        app = _app(url)
        try:
            with app.app_context():
                upgrade()
                db.session.execute(
                    sa.text("CREATE TABLE IF NOT EXISTS bench_meta (id int PRIMARY KEY, data json)")
                )
                db.session.commit()
                stored = db.session.scalar(sa.text("SELECT data FROM bench_meta WHERE id = 1"))
            yield app, stored
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def generate(app, leads: int, partners: int, seed: int) -> dict:
    from bench.analytics_data import build_programme
    from bench.analytics_data import generate as write_history
    from exchange.analytics import facts
    from exchange.platform import clock
    from exchange.platform.extensions import db

    with app.app_context():
        rng = np.random.default_rng(seed)
        now = clock.now()
        started = time.perf_counter()
        programme = build_programme(db, partners, rng, now)
        sizes = write_history(db, programme, leads, rng, now)
        db.session.execute(sa.text("ANALYZE"))  # the rebuild's plans need the statistics of the load
        db.session.commit()
        generation = time.perf_counter() - started
        print(f"generated in {generation:.0f} s; building lead_facts ...", flush=True)
        started = time.perf_counter()
        rows = facts.rebuild(programme.manufacturer_id)
        db.session.commit()
        rebuild = time.perf_counter() - started
        print(f"lead_facts: {rows:,} rows in {rebuild:.0f} s; VACUUM ANALYZE ...", flush=True)
        started = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        stored = {
            "leads": sizes.leads,
            "partners": partners,
            "offers": sizes.offers,
            "claims": sizes.claims,
            "events": sizes.events,
            "lead_facts": rows,
            "seed": seed,
            "generated_at": now.isoformat(),
            "manufacturer_id": programme.manufacturer_id,
            "user_id": programme.user_id,
            "generation_seconds": round(generation, 1),
            "facts_rebuild_seconds": round(rebuild, 1),
            "vacuum_analyze_seconds": round(time.perf_counter() - started, 1),
        }
        db.session.execute(sa.text("DELETE FROM bench_meta"))
        db.session.execute(
            sa.text("INSERT INTO bench_meta (id, data) VALUES (1, :d)"), {"d": json.dumps(stored)}
        )
        db.session.commit()
    return stored


def main(argv: list[str] | None = None) -> int:
    parser = scratch_arguments(__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed repetitions per request (after one warm-up)"
    )
    parser.add_argument("--scorecards", type=int, default=20, help="partners whose scorecards are timed")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls before each case's repetitions")
    parser.add_argument(
        "--no-services", action="store_true", help="time the pages only, not the bare services"
    )
    parser.add_argument("--sorts", help="partner table sort keys, comma-separated (default: every key)")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--reuse", action="store_true", help="keep the database and reuse a generated one")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args(argv)
    with database(reuse=args.reuse, keep=args.keep) as (app, stored):
        same = stored and stored["leads"] == args.leads and stored["partners"] == args.partners
        if not (args.reuse and same):
            if stored:  # a different size: start again
                sys.exit("The kept database holds another size; drop it or run without --reuse.")
            stored = generate(app, args.leads, args.partners, args.seed)
        else:
            print(f"reusing the generated database ({stored['leads']:,} leads)", flush=True)
        if args.generate_only:
            return 0
        from bench.analytics_measure import measure, summary

        figures = measure(
            app,
            stored,
            repeat=args.repeat,
            scorecards=args.scorecards,
            seed=args.seed,
            warmup=args.warmup,
            services_too=not args.no_services,
            sorts=args.sorts.split(",") if args.sorts else None,
        )
    result = {
        **{key: stored[key] for key in ("leads", "partners", "offers", "claims", "events", "lead_facts")},
        "generation_seconds": stored["generation_seconds"],
        "facts_rebuild_seconds": stored["facts_rebuild_seconds"],
        "vacuum_analyze_seconds": stored["vacuum_analyze_seconds"],
        "repeat": args.repeat,
        "warmup": args.warmup,
        "options": {
            "sorts": args.sorts or "all",
            "services": not args.no_services,
            "scorecards": args.scorecards,
        },
        **figures,
        "target_ms": TARGET_MS,
        "peak_rss_mb": peak_rss_mb(),
        "database": "postgresql",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_result("analytics", result)
    print(summary(result))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
