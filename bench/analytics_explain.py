"""The slowest SQL statements of the analytics services on the benchmark database, with their plans:
``python -m bench.analytics_explain [--top 3] [--analyze]`` (on the database ``bench.analytics --keep`` or
``--reuse`` left behind). Each service runs once as the benchmark calls it; its statements are timed as
they execute, and the slowest are shown with ``EXPLAIN (ANALYZE, BUFFERS)`` (``--analyze``) or ``EXPLAIN``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import sqlalchemy as sa

from bench.analytics import SUFFIX, _app
from bench.database import postgres_url


def capture(engine) -> tuple[list, Any, Any]:
    seen: list[tuple[float, str, Any]] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        seen.append(((time.perf_counter() - conn.info.pop("started")) * 1000, statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    return seen, before, after


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--analyze", action="store_true")
    parser.add_argument("--only", help="one service: overview, scorecard, partner_table, fairness, return")
    args = parser.parse_args(argv)
    base = postgres_url()
    app = _app(base.set(database=f"{base.database}_{SUFFIX}").render_as_string(hide_password=False))
    with app.app_context():
        from exchange.analytics import fairness, overview, partner_table, return_on_leads, scorecard
        from exchange.analytics import period as periods
        from exchange.models import Organisation
        from exchange.platform.extensions import db

        stored = db.session.scalar(sa.text("SELECT data FROM bench_meta WHERE id = 1"))
        maker = db.session.get(Organisation, stored["manufacturer_id"])
        partner = db.session.scalar(
            sa.text("SELECT partner_id FROM enrollments WHERE tier = 'platinum' ORDER BY partner_id LIMIT 1")
        )
        year = periods.parse({"period": "year"}, maker)
        services = {
            "overview": lambda: overview.overview(maker.id, year),
            "scorecard": lambda: scorecard.scorecard(maker.id, partner, year),
            "partner_table": lambda: partner_table.partner_table(maker.id, year, sort="response_rate"),
            "fairness": lambda: fairness.fairness(maker.id, year),
            "return": lambda: return_on_leads.return_on_leads(maker.id),
        }
        for name, call in services.items():
            if args.only and name != args.only:
                continue
            seen, before, after = capture(db.engine)
            started = time.perf_counter()
            call()
            total = (time.perf_counter() - started) * 1000
            sa.event.remove(db.engine, "before_cursor_execute", before)
            sa.event.remove(db.engine, "after_cursor_execute", after)
            print(f"=== {name}: {total:.0f} ms, {len(seen)} statements, SQL {sum(s[0] for s in seen):.0f} ms")
            for ms, statement, parameters in sorted(seen, key=lambda s: -s[0])[: args.top]:
                print(f"--- {ms:.0f} ms\n{statement}\n{parameters}")
                explain = "EXPLAIN (ANALYZE, BUFFERS) " if args.analyze else "EXPLAIN "
                raw = db.session.connection().connection.dbapi_connection
                with raw.cursor() as cursor:
                    cursor.execute(explain + statement, parameters)
                    print("\n".join(row[0] for row in cursor.fetchall()))
            db.session.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main())
