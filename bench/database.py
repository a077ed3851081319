"""A scratch PostgreSQL database for a benchmark, on the server of ``DATABASE_URL``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator

import sqlalchemy as sa


def postgres_url() -> sa.engine.URL:
    from exchange.platform.config import normalise_database_url

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "This benchmark needs PostgreSQL: set DATABASE_URL=postgresql://user@host/db (a scratch "
            "database <db>_bench_* is created next to it and dropped afterwards)."
        )
    return sa.engine.make_url(normalise_database_url(url))


def scratch_arguments(doc: str) -> argparse.ArgumentParser:
    """The command line of a benchmark on a scratch database: described by the first line of ``doc``,
    with ``--keep`` for keeping the database afterwards."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    return parser


@contextlib.contextmanager
def empty_database(server: sa.engine.URL, name: str, *, keep: bool = False) -> Iterator[str]:
    """Create database ``name`` (dropping a leftover) on ``server``'s PostgreSQL, yield its URL, drop it
    afterwards unless ``keep``."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def scratch_database(suffix: str, *, keep: bool = False, hold_jobs: bool = True) -> Iterator:
    """Create ``<database>_<suffix>``, migrate it, yield an app bound to it, drop it afterwards.
    With ``hold_jobs`` background jobs stay in the outbox, so nothing runs beside what is timed."""
    from flask_migrate import upgrade

    from exchange import create_app
    from exchange.platform.extensions import db

    base = postgres_url()
    with empty_database(base, f"{base.database}_{suffix}", keep=keep) as url:
        app = create_app(
            {"DATABASE_URL": url, "REDIS_URL": None, "EMBEDDED_SCHEDULER": False, "SECRET_KEY": "bench"}
        )
        if hold_jobs:
            app.extensions["exchange.platform.jobs"].backend.hand_over = lambda jobs: 0
        try:
            with app.app_context():
                upgrade()
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
