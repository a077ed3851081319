"""Database binding: engine options per backend, SQLite pragmas, the migrations folder."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from exchange.platform.extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def init_app(app: Flask) -> None:
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.get_backend_name() == "sqlite":
        # Several threads (requests, the in-process job runner, the timer) share one file.
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # noqa: ARG001
    """Foreign keys on (cascades), WAL so readers do not block the writer."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.create_aggregate("percentile_cont", 2, PercentileCont)


class PercentileCont:
    """SQLite aggregate ``percentile_cont(value, q)``: PostgreSQL's ``percentile_cont(q) WITHIN GROUP
    (ORDER BY value)`` (linear interpolation between the closest ranks; NULLs ignored; no rows: NULL)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.q = 0.5

    def step(self, value: float | None, q: float) -> None:
        self.q = q
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        position = self.q * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"
