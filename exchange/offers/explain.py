"""The one place a score explanation is rendered: reason codes from the matching engine -> one line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import matching
from exchange.models import Offer

SEPARATOR = " · "
SEGMENTS = {"small": _l("small"), "mid_market": _l("mid-market"), "enterprise": _l("enterprise")}
TIERS = {0: _l("Registered"), 1: _l("Silver"), 2: _l("Gold"), 3: _l("Platinum")}
# Why a partner may not be offered a lead (matching.codes.INELIGIBILITY_REASONS); why no partner can
# take a lead is exchange.platform.labels.GAP_CAUSES.
INELIGIBLE = {
    "not_enrolled": _l("not enrolled (or enrollment not active)"),
    "paused": _l("paused new offers (away)"),
    "outside_coverage": _l("does not cover the lead's location"),
    "product_line_not_served": _l("does not serve the product line"),
    "at_capacity": _l("at capacity"),
    "excluded": _l("declined, returned or was recycled away from this lead"),
    "tier_below_minimum": _l("tier too low for a deal this large"),
}
MAX_REASONS = 3
# The six score components (matching.COMPONENTS), as the manufacturer and the partner read them.
COMPONENT_LABELS = {
    "specialty": _l("Specialty fit"),
    "size": _l("Size fit"),
    "geography": _l("Geography"),
    "responsiveness": _l("Responsiveness"),
    "capacity": _l("Capacity headroom"),
    "tier": _l("Tier"),
}
# What a partner can do itself to raise a component (the others follow from the lead and the programme).
COMPONENT_HINTS = {
    "geography": _l(
        "Coverage: add the countries, regions or postal areas you really serve to your profile; "
        "a postal area scores higher than a whole country."
    ),
    "capacity": _l(
        "Capacity: close or return leads you no longer work, or raise your capacity in the profile "
        "if your team can take more."
    ),
    "responsiveness": _l(
        "Responsiveness: claim within the window, log the first contact before it is due and keep "
        "the status current; declines and breaches lower it."
    ),
}


@dataclass(frozen=True)
class ComponentRow:
    name: str
    label: str
    value: float | None  # in [0, 1]; None when the offer did not record it
    weight: float  # the programme's current weight, in [0, 1]
    hint: str | None  # what the partner could change, for the components it controls

    @property
    def points(self) -> float | None:
        """The component's share of a 0-100 score."""
        return None if self.value is None else self.value * self.weight * 100


def score_breakdown(components: dict[str, Any] | None, weights: dict[str, Any] | None) -> list[ComponentRow]:
    """One offer's score components in ``matching.COMPONENTS`` order with the programme's weights
    and, for what the partner controls, a hint. Only this offer's own figures: nothing about the
    other partners the lead was offered to."""
    try:
        normalised = matching.validate_weights(weights or None)
    except matching.InvalidWeights:
        normalised = dict(matching.DEFAULT_WEIGHTS)
    components = components or {}
    rows = []
    for name in matching.COMPONENTS:
        value = components.get(name)
        hint = COMPONENT_HINTS.get(name)
        rows.append(
            ComponentRow(
                name=name,
                label=str(COMPONENT_LABELS[name]),
                value=float(value) if isinstance(value, int | float) else None,
                weight=normalised[name],
                hint=str(hint) if hint else None,
            )
        )
    return rows


def render_reason(code: str, params: dict[str, Any]) -> str | None:
    renderers = {  # the codes of matching.codes.EXPLANATION_CODES
        "product_line_match": lambda p: _("Product line match"),
        "industry_match": lambda p: _("Serves %(industry)s", industry=p.get("industry", "")),
        "certified": lambda p: _("Certified"),
        "segment_match": lambda p: _(
            "Serves %(segment)s companies", segment=SEGMENTS.get(p.get("segment"), "")
        ),
        "deal_size_fit": lambda p: _("Deal size fits you"),
        "postal_area": lambda p: _("In your postal area"),
        "same_region": lambda p: _("In your region"),
        "same_country": lambda p: _("In your country"),
        "distance_km": lambda p: _("%(km)d km", km=int(p.get("km", 0))),
        "fast_responder": lambda p: _("You answer fast"),
        "quick_first_contact": lambda p: _("You call back fast"),
        "meets_sla": lambda p: _("You keep the SLAs"),
        "has_capacity": lambda p: _("You have capacity"),
        "tier": lambda p: _("%(tier)s partner", tier=TIERS.get(p.get("rank"), "")),
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
