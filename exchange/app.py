"""The composition root: ``create_app`` builds a configured application from the platform, the shared
pages and the two audiences' blueprints. It alone knows every blueprint, API blueprint and navigation;
nothing of the shared domain imports this module or an audience package. Nothing here runs at import
time."""

from __future__ import annotations

from typing import Any

from flask import Flask

import manufacturer_admin
import portal
from exchange import cli
from exchange.accounts import sessions
from exchange.platform import database, i18n, jobs, labels, security
from exchange.platform.config import load_config
from exchange.platform.extensions import bootstrap, csrf, migrate
from exchange.platform.unit_of_work import UnitOfWorkFlask
from exchange.web import api_common, enrollments_api, errors, setup, shell, team_api, templating
from exchange.web.api import init_api, register_api_blueprints
from exchange.web.auth import views as auth_views
from exchange.web.inbox import api as inbox_api
from exchange.web.inbox import bp as inbox_bp
from manufacturer_admin import api as manage_api
from portal import api as portal_api


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI commands."""
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
    sessions.init_app(app)
    app.register_blueprint(auth_views.bp)
    jobs.init_app(app)
    shell.init_app(app)
    setup.init_app(app)
    errors.init_app(app)
    labels.init_app(app)
    templating.init_app(app)

    # Blueprints, listed explicitly: partner portal, manufacturer back office, notifications inbox;
    # each audience package declares its navigation (NAV), shown in this order.
    app.register_blueprint(portal.bp, url_prefix="/portal")
    app.register_blueprint(manufacturer_admin.bp, url_prefix="/manage")
    app.register_blueprint(inbox_bp, url_prefix="/notifications")
    shell.register_nav(app, manufacturer_admin.NAV)
    shell.register_nav(app, portal.NAV)

    # The REST API: its set-up, then every API blueprint (the order of the OpenAPI document).
    init_api(app)
    register_api_blueprints(
        [
            api_common.blp,
            inbox_api.blp,
            team_api.blp,
            enrollments_api.blp,
            *manage_api.API_BLUEPRINTS,
            *portal_api.API_BLUEPRINTS,
        ]
    )

    cli.init_app(app)
    return app
