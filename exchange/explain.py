"""The one place a score explanation is rendered: reason codes from the matching engine -> one line."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from exchange.models import Offer

SEPARATOR = " · "
MAX_REASONS = 3


def render_reason(code: str, params: dict[str, Any]) -> str | None:
    renderers = {
        "product_line_match": lambda p: _("Product line match"),
        "industry_match": lambda p: _("Serves %(industry)s", industry=p.get("industry", "")),
        "certified": lambda p: _("Certified"),
        "segment_match": lambda p: _("Right company size"),
        "size_match": lambda p: _("Right company size"),
        "postal_area": lambda p: _("In your postal area"),
        "region": lambda p: _("In your region"),
        "country": lambda p: _("In your country"),
        "distance_km": lambda p: _("%(km)d km", km=int(p.get("km", 0))),
        "fast_responder": lambda p: _("You answer fast"),
        "reliable": lambda p: _("You keep the SLAs"),
        "capacity": lambda p: _("You have capacity"),
        "tier": lambda p: _("%(tier)s tier", tier=str(p.get("tier", "")).title()),
    }
    render = renderers.get(code)
    return render(params or {}) if render else None


def render_reasons(reasons: list[Any] | None) -> str:
    lines = []
    for item in reasons or []:
        code, params = (
            (item[0], item[1] if len(item) > 1 else {}) if isinstance(item, list | tuple) else (item, {})
        )
        text = render_reason(code, params)
        if text and text not in lines:
            lines.append(text)
        if len(lines) == MAX_REASONS:
            break
    return SEPARATOR.join(lines)


def why(offer: Offer) -> str:
    """The one-line "why" of an offer in the viewer's language (falls back to the stored line)."""
    return render_reasons(offer.reasons) or (offer.explanation or "")
