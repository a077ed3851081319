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
