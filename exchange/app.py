"""The composition root: ``create_app`` builds a configured application from the platform, the shared
pages and the two audiences' blueprints. Nothing here runs at import time."""

from __future__ import annotations

from typing import Any

from flask import Flask

from exchange.platform.unit_of_work import UnitOfWorkFlask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI commands."""
    from exchange import cli
    from exchange.accounts import sessions as auth
    from exchange.platform import database, i18n, jobs, labels, security
    from exchange.platform.config import load_config
    from exchange.platform.extensions import bootstrap, csrf, migrate
    from exchange.web import errors
    from exchange.web import shell as web
    from exchange.web.api import init_api

    # One unit of work per request: the request commits after its view answered, or rolls back.
    app = UnitOfWorkFlask("exchange", instance_relative_config=True)
    load_config(app, overrides)

    database.init_app(app)
    migrate.init_app(app, database.db, directory=str(database.MIGRATIONS_DIR), compare_type=True)
    # Before CSRF: the body-size limit and rate limits apply before anything reads the form.
    security.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    jobs.init_app(app)
    web.init_app(app)
    errors.init_app(app)
    labels.init_app(app)

    # Blueprints, listed explicitly: partner portal, manufacturer back office, REST API.
    from exchange.web.inbox import bp as inbox_bp
    from manufacturer_admin import bp as manage_bp
    from portal import bp as portal_bp

    app.register_blueprint(portal_bp, url_prefix="/portal")
    app.register_blueprint(manage_bp, url_prefix="/manage")
    app.register_blueprint(inbox_bp, url_prefix="/notifications")
    init_api(app)

    cli.init_app(app)
    return app
