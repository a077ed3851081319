"""Configuration from the environment, secrets, no side effects at import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from exchange import create_app
from exchange.platform.config import ConfigError, normalise_database_url


def test_secret_key_is_generated_once_and_kept_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from flask import Flask

    from exchange.platform.config import load_config

    first, second = Flask("a", instance_path=str(tmp_path)), Flask("b", instance_path=str(tmp_path))
    load_config(first)
    load_config(second)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("EXCHANGE_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://"})


def test_production_with_secret_key_uses_secure_cookies(monkeypatch):
    monkeypatch.setenv("EXCHANGE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret-from-the-environment")
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["SECRET_KEY"] == "s3cret-from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_variables_configure_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/lx")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/2")
    monkeypatch.setenv("EXCHANGE_PAGE_SIZE", "50")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/lx"
    assert app.config["REDIS_URL"] == "redis://cache.example:6379/2"
    assert app.config["PAGE_SIZE"] == 50


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/exchange.sqlite")


def test_database_url_normalisation():
    assert normalise_database_url("postgresql://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("postgresql+psycopg://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("sqlite:///a.db") == "sqlite:///a.db"


def test_importing_the_packages_reads_no_environment_and_opens_nothing():
    """Import every package with a poisoned environment: nothing may read it or connect."""
    code = (
        "import os, socket\n"
        "os.environ['DATABASE_URL'] = 'postgresql://poison'\n"
        "real = os.environ.get\n"
        "def connect(*a, **k): raise SystemExit('connection at import')\n"
        "socket.socket.connect = connect\n"
        "import exchange, exchange.models, exchange.platform.jobs, exchange.cli\n"
        "import portal, manufacturer_admin, matching\n"
        "import threading; assert threading.active_count() == 1, threading.enumerate()\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
