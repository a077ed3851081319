"""Test fixtures: an app per test on a freshly migrated database (SQLite by default, PostgreSQL when
``DATABASE_URL`` is set), jobs on the in-process runner or on Redis when ``REDIS_URL`` is set.

SQLite: ``alembic upgrade head`` runs once into a template file that every test copies.
PostgreSQL: ``upgrade head`` runs once into a clean schema; every test ends with a TRUNCATE.
Tests commit for real, so the outbox's after-commit hand-over is exercised as in production.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from exchange import create_app
from exchange.models import Organisation, Role, User
from exchange.notify import destinations
from exchange.platform.config import normalise_database_url
from exchange.platform.extensions import db
from tests import factories as f

DATABASE_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")
ON_POSTGRES = bool(DATABASE_URL and DATABASE_URL.startswith("postgres"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "app_config(**values): configuration overrides for the app fixture")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"database: {'PostgreSQL ' + _redact(DATABASE_URL) if ON_POSTGRES else 'SQLite (template per test)'}",
        f"jobs: {'RQ on ' + REDIS_URL if REDIS_URL else 'in-process (embedded)'}",
    ]


@pytest.fixture(autouse=True)
def real_time_between_tests() -> Iterator[None]:
    """Every test starts on the real clock and must leave it there (a frozen clock that leaks makes
    later tests see a time long past: webhook timestamps outside the tolerance, deadlines already due)."""
    from exchange.platform import clock

    clock.thaw_all()
    yield
    leaked = clock.frozen_at()
    clock.thaw_all()
    assert leaked is None, f"the test left the clock frozen at {leaked.isoformat()}"


def _redact(url: str | None) -> str:
    return sa.engine.make_url(normalise_database_url(url or "")).render_as_string(hide_password=True)


def _base_config(tmp_path: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "REDIS_URL": REDIS_URL,
        "EMBEDDED_SCHEDULER": False,
        "JOBS_RETRY_BASE_SECONDS": 0,
        "SERVER_NAME": None,
        "MAIL_SERVER": None,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # Cheap hashes keep the suite fast; production uses argon2-cffi's defaults.
        "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        # Many tests sign in over and over from one address; the rate-limit tests turn this on.
        "RATELIMIT_ENABLED": False,
    }


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in a server: its own app context, ``g`` and database
    session, not the test's (Flask would otherwise reuse the app context the test has pushed)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)

    def session_transaction(self, *args, **kwargs):
        return _IsolatedContextManager(super().session_transaction, args, kwargs)


class _IsolatedContextManager:
    def __init__(self, factory, args, kwargs):
        self._context = contextvars.Context()
        self._manager = self._context.run(factory, *args, **kwargs)

    def __enter__(self):
        return self._context.run(self._manager.__enter__)

    def __exit__(self, *exc):
        return self._context.run(self._manager.__exit__, *exc)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: a SQLite template file, or the migrated PostgreSQL test database."""
    from flask_migrate import upgrade

    if ON_POSTGRES:
        url = normalise_database_url(DATABASE_URL or "")
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url, "REDIS_URL": None})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def _flush_redis() -> None:
    if REDIS_URL:
        from redis import Redis

        Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    if ON_POSTGRES:
        yield database_template
        _truncate_all(database_template)
    else:
        path = tmp_path / "test.sqlite"
        shutil.copyfile(database_template.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url: str, tmp_path: Path, request: pytest.FixtureRequest):
    config = _base_config(tmp_path) | {"DATABASE_URL": database_url}
    marker = request.node.get_closest_marker("app_config")
    if marker:
        config.update(marker.kwargs)
    _flush_redis()
    application = create_app(config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        from exchange.platform import jobs

        jobs.drain(timeout=30)
        jobs.backend().shutdown()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def maker(app) -> Organisation:
    """A manufacturer, Acme Pumps (slug ``acme``)."""
    org = f.manufacturer("Acme Pumps", slug="acme")
    db.session.commit()
    return org


@pytest.fixture
def maker_admin(app) -> User:
    """A manufacturer admin who signs in as ``admin@maker.test`` (stored from a mixed-case address)."""
    user = f.user(f.manufacturer(), Role.MANUFACTURER_ADMIN, email="Admin@Maker.test")
    db.session.commit()
    return user


@pytest.fixture
def public_dns(monkeypatch) -> None:
    """Every webhook host resolves to a public address (no DNS lookups, no private-address refusal)."""
    monkeypatch.setattr(destinations, "resolve_host", lambda host, port: ["93.184.216.34"])


@pytest.fixture
def make_client(app):
    """Another browser: ``make_client()`` returns a fresh test client with its own cookies."""
    return app.test_client


@pytest.fixture
def run_jobs(app):
    """Run every job handed over so far: drain the in-process runner, or work RQ's queues in burst."""
    from exchange.platform import jobs

    def run() -> None:
        jobs.relay_outbox()
        jobs.drain(timeout=60)
        backend = jobs.backend()
        from exchange.platform.jobs.backends import RQBackend

        if isinstance(backend, RQBackend):
            from rq import SimpleWorker

            SimpleWorker(list(jobs.QUEUES), connection=backend.connection).work(
                burst=True, logging_level="WARNING"
            )
        db.session.expire_all()

    return run


# --- live server for browser tests --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """Serve ``app`` on a free port in a thread; yields the base URL."""
    from werkzeug.serving import make_server

    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # overrides pytest-playwright's fixture
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install -y chromium); .ci/run installs it")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def smtp_server(app):
    """A local SMTP server the app sends to (``MAIL_SERVER`` pointed at it)."""
    from tests.smtp_server import SMTPServer

    server = SMTPServer().start()
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, MAIL_USE_TLS=False, MAIL_USERNAME=None)
    yield server
    server.stop()
