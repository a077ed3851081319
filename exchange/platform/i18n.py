"""Translations and time zones: every UI string goes through Flask-Babel; times are shown in the
viewer's zone (their own setting, else their organisation's, else the browser's, else UTC)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, available_timezones

from flask import Flask, current_app, request
from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_login import current_user

from exchange.platform.extensions import babel


def select_locale() -> str | None:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated:
        for candidate in (current_user.locale, current_user.organisation.locale):
            if candidate in languages:
                return candidate
    return request.accept_languages.best_match(languages) if request else None


def is_valid_timezone(name: str | None) -> bool:
    return bool(name) and name in _zones()


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def common_timezones() -> list[str]:
    """Zone names to offer in a list: ``UTC`` and the ``Area/City`` ones, sorted."""
    regions = (
        "Africa/",
        "America/",
        "Antarctica/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    )
    return ["UTC", *sorted(zone for zone in _zones() if zone.startswith(regions))]


def select_timezone() -> str | None:
    if current_user and current_user.is_authenticated:
        if is_valid_timezone(current_user.timezone):
            return current_user.timezone
        if (
            is_valid_timezone(current_user.organisation.timezone)
            and current_user.organisation.timezone != "UTC"
        ):
            return current_user.organisation.timezone
    browser = request.cookies.get("tz") if request else None
    return browser if is_valid_timezone(browser) else None


def localtime(value: datetime | None, format: str = "medium") -> str:  # noqa: A002
    """Render an aware UTC datetime in the viewer's time zone and locale."""
    if value is None:
        return "–"
    return format_datetime(value, format)


def localdate(value: date | None, format: str = "medium") -> str:  # noqa: A002
    """Render a calendar date (no time zone) in the viewer's locale."""
    if value is None:
        return "–"
    return format_date(value, format)


def zone_abbreviation(value: datetime | None = None) -> str:
    zone = get_timezone()
    moment = (value or datetime.now(ZoneInfo("UTC"))).astimezone(zone)
    return moment.tzname() or str(zone)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["localdate"] = localdate
    app.jinja_env.globals["zone_abbreviation"] = zone_abbreviation
    app.jinja_env.globals["get_locale"] = get_locale
