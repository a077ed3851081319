"""Configuration: defaults, then ``instance/config.py``, then the environment, then overrides.

Nothing here runs at import time; :func:`load_config` is called by the app factory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


class ConfigError(RuntimeError):
    """The configuration cannot be used (for example: production without a secret key)."""


class Defaults:
    # "development" (the embedded default) or "production"
    ENV_NAME = "development"
    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None: SQLite file in the instance folder
    REDIS_URL: str | None = None  # None: embedded mode, jobs run in-process
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    SQLALCHEMY_RECORD_QUERIES = False

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    SESSION_PROTECTION = "strong"

    # Forms
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a wall clock
    WTF_CSRF_ENABLED = True

    # UI
    BOOTSTRAP_SERVE_LOCAL = True
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "de")

    # Jobs
    JOBS_QUEUE_DEFAULT = "default"
    JOBS_MAX_ATTEMPTS = 5
    JOBS_RETRY_BASE_SECONDS = 10
    JOBS_STALE_SECONDS = 600  # a job handed to the queue but not started after this is handed over again
    # A running job writes a heartbeat this often; one silent for JOBS_HEARTBEAT_TIMEOUT_SECONDS (its
    # worker was killed) is rerun by the next relay (every 30 s): within about a minute.
    JOBS_HEARTBEAT_SECONDS = 10
    JOBS_HEARTBEAT_TIMEOUT_SECONDS = 30
    # RQ kills a job running longer than its task's timeout (registry.TASK_TIMEOUTS) or this default.
    JOBS_TIMEOUT_SECONDS = 600
    # /healthz says "degraded" when a job that is due has waited longer than this to start.
    JOBS_WAIT_DEGRADED_SECONDS = 180
    # `flask worker` / `flask cron`: wait between reconnection attempts while Redis is unreachable.
    JOBS_RECONNECT_MAX_SECONDS = 30
    EMBEDDED_SCHEDULER = True  # the in-process timer for periodic jobs when REDIS_URL is unset

    # E-mail
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "Lead Exchange <no-reply@localhost>"
    # Links in e-mails point here (the address users reach the portal at).
    PUBLIC_URL = "http://127.0.0.1:5000"
    # Daily digests go out at this hour in each user's time zone.
    NOTIFICATION_DIGEST_HOUR = 8

    # Webhooks
    WEBHOOK_TIMEOUT_SECONDS = 10
    # Seconds between automatic attempts after a failure: 1 min, 5 min, 30 min, 2 h, 12 h.
    WEBHOOK_RETRY_SCHEDULE = [60, 300, 1800, 7200, 43200]
    # An endpoint is disabled after this many deliveries in a row failed for good.
    WEBHOOK_DISABLE_AFTER_FAILURES = 10
    # Allow http:// and loopback endpoints (localhost, 127.0.0.1) for local development.
    WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    WEBHOOK_MAX_ENDPOINTS = 10
    WEBHOOK_LOG_RETENTION_DAYS = 30

    # REST API / OpenAPI
    API_TITLE = "Lead Exchange API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    # The interactive docs at /api/docs, with Swagger UI's assets served by the app (no CDN).
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    }
    PAGE_SIZE = 25

    # Lead imports: uploads go to UPLOAD_FOLDER (default: instance/uploads); rows per committed batch.
    UPLOAD_FOLDER: str | None = None
    LEAD_IMPORT_BATCH_SIZE = 1000
    LEAD_IMPORT_MAX_BYTES = 50 * 1024 * 1024

    # Request bodies: 413 above this (the import upload has LEAD_IMPORT_MAX_BYTES instead).
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # POST /api/v1/leads/batch (up to 1,000 leads).
    API_BATCH_MAX_BYTES = 16 * 1024 * 1024

    # Brute-force protection (Flask-Limiter; Redis when REDIS_URL is set, else memory).
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI: str | None = None  # None: REDIS_URL, or memory:// in the embedded default
    RATELIMIT_HEADERS_ENABLED = False
    # Redis unreachable: Flask-Limiter counts in memory meanwhile instead of failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Per client address (limits syntax: "N per minute;M per hour").
    LOGIN_RATE_LIMIT = "20 per minute;200 per hour"
    PASSWORD_RESET_RATE_LIMIT = "5 per minute;30 per hour"  # noqa: S105 - a rate, not a secret
    # Per address e-mail: at most this many reset requests (the mail itself is sent once in 5 minutes).
    PASSWORD_RESET_ACCOUNT_LIMIT = "5 per hour"  # noqa: S105 - a rate, not a secret
    CHOOSE_PASSWORD_RATE_LIMIT = "10 per minute;60 per hour"  # noqa: S105 - a rate, not a secret
    # Unknown or revoked API bearer tokens per address before further tries are refused with 429.
    API_TOKEN_FAILURE_LIMIT = "20 per minute"  # noqa: S105 - a rate, not a secret
    # Creating API tokens, per signed-in user.
    TOKEN_CREATE_RATE_LIMIT = "20 per hour"  # noqa: S105 - a rate, not a secret
    # Failed sign-ins per account before it is locked (an admin can lift the lock on the team page).
    LOGIN_LOCKOUT_ATTEMPTS = 10
    LOGIN_LOCKOUT_MINUTES = 15

    # Passwords: minimum length, and the minimum zxcvbn score (0-4) of a chosen password.
    PASSWORD_MIN_SCORE = 3

    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: the app faces clients).
    TRUSTED_PROXIES = 0

    # Strict-Transport-Security: None = on in production (not when debugging or testing).
    HSTS_ENABLED: bool | None = None
    HSTS_MAX_AGE = 365 * 24 * 3600
    # What one file may cost (exchange.leads.intake.records.Limits): a row over the cell limit is rejected,
    # a file over any other limit is refused with a message naming it.
    LEAD_IMPORT_MAX_CELL_CHARS = 10 * 1024 * 1024
    LEAD_IMPORT_MAX_COLUMNS = 1_000
    LEAD_IMPORT_MAX_ROWS = 1_000_000
    LEAD_IMPORT_MAX_UNPACKED_BYTES = 512 * 1024 * 1024  # .xlsx, its zip entries together
    LEAD_IMPORT_MAX_SHARED_STRINGS = 3_000_000  # .xlsx, distinct texts
    LEAD_IMPORT_PREVIEW_COLUMNS = 50
    # An upload still "reading" after this long, with no leads.read_upload job running for it (the job
    # was lost, or gave up), fails with a message instead of waiting forever.
    LEAD_IMPORT_READING_TIMEOUT_SECONDS = 600


# Environment variables read by the factory, with the config key they set.
ENVIRONMENT_VARIABLES = {
    "EXCHANGE_ENV": "ENV_NAME",
    "SECRET_KEY": "SECRET_KEY",
    "DATABASE_URL": "DATABASE_URL",
    "REDIS_URL": "REDIS_URL",
    "MAIL_SERVER": "MAIL_SERVER",
    "MAIL_PORT": "MAIL_PORT",
    "MAIL_USE_TLS": "MAIL_USE_TLS",
    "MAIL_USERNAME": "MAIL_USERNAME",
    "MAIL_PASSWORD": "MAIL_PASSWORD",
    "MAIL_FROM": "MAIL_FROM",
}


def _coerce(value: str, current: Any) -> Any:
    if isinstance(current, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int) and not isinstance(current, bool):
        return int(value)
    return value


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill ``app.config``: defaults < instance/config.py < environment < overrides."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for variable, key in ENVIRONMENT_VARIABLES.items():
        value = os.environ.get(variable)
        if value not in (None, ""):
            app.config[key] = _coerce(value, app.config.get(key))
    # Any other EXCHANGE_<KEY>=value (values parsed as JSON when they can be)
    app.config.from_prefixed_env("EXCHANGE")
    if overrides:
        app.config.update(overrides)

    production = app.config["ENV_NAME"] == "production"
    if not app.config.get("SECRET_KEY"):
        if production:
            raise ConfigError("SECRET_KEY must be set when EXCHANGE_ENV=production.")
        app.config["SECRET_KEY"] = _local_secret_key(Path(app.instance_path))
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True

    if not app.config.get("DATABASE_URL"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'exchange.sqlite'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _local_secret_key(instance: Path) -> str:
    """A random key kept in the instance folder so sessions survive restarts on one machine."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
