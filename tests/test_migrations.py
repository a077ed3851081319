"""``alembic upgrade head`` on an empty database matches the models exactly, and downgrades cleanly."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from bench.database import empty_database
from exchange import create_app
from exchange.models import Base
from exchange.platform.config import normalise_database_url
from exchange.platform.extensions import db
from tests.conftest import DATABASE_URL, ON_POSTGRES


@pytest.fixture
def empty_database_url(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    server = sa.engine.make_url(normalise_database_url(DATABASE_URL))
    with empty_database(server, f"lx_migrations_{uuid.uuid4().hex[:8]}") as url:
        yield url


def test_upgrade_head_on_empty_database_matches_models(empty_database_url):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": empty_database_url, "REDIS_URL": None}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "render_item": None},
            )
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()  # and up again
        db.engine.dispose()


def test_migration_files_have_dated_readable_names():
    from pathlib import Path

    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    files = sorted(p.name for p in versions.glob("*.py"))
    assert files
    import re

    for name in files:
        assert re.match(r"^\d{8}_\d{4}_[0-9a-f]+_[a-z0-9_]+\.py$", name), name


def test_accepted_at_is_backfilled_for_accepted_and_legacy_enrollments(empty_database_url):
    """Active and suspended enrollments, and ended ones from before invitations, were accepted; an
    ended invitation (withdrawn), an open or a declined one were not."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": empty_database_url, "REDIS_URL": None}
    )
    with app.app_context():
        upgrade(revision="60fcc8f8f36f")
        stamp = "2026-01-02 03:04:05+00:00"
        rows = {
            1: ("active", None),
            2: ("suspended", stamp),
            3: ("ended", None),  # legacy: enrolled before invitations existed
            4: ("ended", stamp),  # an invitation withdrawn
            5: ("invited", stamp),
            6: ("declined", stamp),
        }
        with db.engine.begin() as connection:
            organisations = [(1, "manufacturer")] + [(10 + id_, "partner") for id_ in rows]
            for id_, kind in organisations:
                connection.execute(
                    sa.text(
                        "INSERT INTO organisations (id, kind, name, slug, is_active, timezone, locale, "
                        "created_at, updated_at) VALUES (:id, :kind, :slug, :slug, true, 'UTC', 'en', "
                        ":at, :at)"
                    ),
                    {"id": id_, "kind": kind, "slug": f"org-{id_}", "at": stamp},
                )
            for id_, (status, invited_at) in rows.items():
                connection.execute(
                    sa.text(
                        "INSERT INTO enrollments (id, manufacturer_id, partner_id, tier, status, "
                        "enrolled_at, responsiveness, created_at, updated_at, invited_at, created_partner) "
                        "VALUES (:id, 1, :partner, 'registered', :status, :at, '{}', :at, :at, "
                        ":invited_at, false)"
                    ),
                    {"id": id_, "partner": 10 + id_, "status": status, "at": stamp, "invited_at": invited_at},
                )
        upgrade(revision="3c9a1f5e7b20")
        with db.engine.connect() as connection:
            accepted = {
                row.id
                for row in connection.execute(
                    sa.text("SELECT id FROM enrollments WHERE accepted_at IS NOT NULL")
                )
            }
        assert accepted == {1, 2, 3}
        downgrade(revision="base")
        db.engine.dispose()
