"""Notification texts and links: in the recipient's language and time zone, and paths on this site
that also work outside a request (jobs, the sweep)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from flask import current_app
from flask_babel import force_locale

from exchange.models import Lead, Offer, User
from exchange.notify.kinds import KindDefinition
from exchange.platform import labels
from exchange.platform.i18n import is_valid_timezone
from exchange.sla.vocabulary import clock_name


def default_link(is_partner_user: bool, lead: Lead | None, offer: Offer | None) -> str | None:
    if is_partner_user:
        return path_for("portal.offer_detail", offer_id=offer.id) if offer is not None else None
    return path_for("manage.lead_detail", lead_id=lead.id) if lead is not None else None


def is_site_path(link: str) -> bool:
    """A path on this site, not a URL elsewhere (``//host`` and ``/\\host`` are other sites to browsers)."""
    return link.startswith("/") and not link.startswith(("//", "/\\")) and "\n" not in link


def path_for(endpoint: str, **values: Any) -> str:
    """A site-relative URL, also outside a request (jobs, the sweep)."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT"))
    return adapter.build(endpoint, values)


def recipient_locale(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    for candidate in (user.locale, user.organisation.locale):
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def recipient_zone(user: User) -> ZoneInfo:
    for candidate in (user.timezone, user.organisation.timezone):
        if is_valid_timezone(candidate):
            return ZoneInfo(candidate)
    return ZoneInfo("UTC")


def format_time_for(user: User, moment: datetime, format: str = "medium") -> str:  # noqa: A002
    """``moment`` in the user's zone and language, with the zone's abbreviation."""
    zone = recipient_zone(user)
    local = moment.astimezone(zone)
    text = babel_format_datetime(local, format, tzinfo=zone, locale=recipient_locale(user))
    return f"{text} {local.tzname() or zone.key}"


def lead_summary(lead: Lead, *, reveal: bool) -> str:
    """One line about the lead; the company's name only where ``reveal`` (its claimer, its maker)."""
    interest = lead.product_line.name if lead.product_line else lead.product_interest
    place = ", ".join(part for part in (lead.region, lead.country) if part)
    parts = [lead.company_name if reveal else None, lead.industry, place, interest]
    return " · ".join(part for part in parts if part) or f"#{lead.id}"


def render_texts(
    kind: KindDefinition,
    user: User,
    *,
    lead: Lead | None,
    offer: Offer | None,
    extra: Mapping[str, Any],
    reveal: bool,
    partner_name: str | None,
    manufacturer_name: str | None = None,
) -> tuple[str, str | None]:
    """Title and body of one notification, in the user's language and zone."""
    with force_locale(recipient_locale(user)):
        values: dict[str, Any] = {
            key: value for key, value in extra.items() if isinstance(value, str | int | float | Decimal)
        }
        if lead is not None:
            values["summary"] = lead_summary(lead, reveal=reveal)
            values["temperature"] = str(labels.TEMPERATURE.get(lead.temperature, lead.temperature))
        deadline = extra.get("deadline")
        if deadline is None and kind.claim_deadline and offer is not None:
            deadline = offer.claim_deadline
        if isinstance(deadline, str):
            try:
                deadline = datetime.fromisoformat(deadline)
            except ValueError:
                deadline = None
        if isinstance(deadline, datetime) and deadline.tzinfo is not None:
            values["deadline"] = format_time_for(user, deadline)
        if "sla" in extra:
            values["sla"] = clock_name(extra["sla"])
        if partner_name is not None:
            values["partner"] = partner_name
        if manufacturer_name is not None:
            values.setdefault("manufacturer", manufacturer_name)
        if "reason" in extra and extra["reason"] is not None:
            values["reason"] = str(extra["reason"])
        try:
            # One line: it is also an e-mail subject, where a line break would be refused.
            title = " ".join((str(kind.title) % values).split())
        except KeyError as missing:
            raise ValueError(f"the title of this event needs {missing} (pass it in the payload)") from None
        body = None
        if kind.body is not None:
            try:
                body = str(kind.body) % values
            except KeyError:
                body = None  # an optional detail the caller did not give
    return title, body
