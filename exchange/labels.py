"""Display labels for the domain's vocabularies (translated), and the template helpers that use them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import format_currency, format_percent
from flask_babel import lazy_gettext as _l

from exchange.models import ClaimStatus, DeclineReason, Event, LeadStatus, OfferState, SizeBand, Temperature

TEMPERATURE = {Temperature.HOT: _l("hot"), Temperature.WARM: _l("warm"), Temperature.COLD: _l("cold")}
SIZE = {
    SizeBand.MICRO: _l("micro (<10)"),
    SizeBand.SMALL: _l("small (10-49)"),
    SizeBand.MEDIUM: _l("medium (50-249)"),
    SizeBand.LARGE: _l("large (250+)"),
}
LEAD_STATUS = {
    LeadStatus.DRAFT: _l("draft"),
    LeadStatus.PUBLISHED: _l("published"),
    LeadStatus.OFFERED: _l("offered"),
    LeadStatus.CLAIMED: _l("claimed"),
    LeadStatus.CONTACTED: _l("contacted"),
    LeadStatus.MEETING: _l("meeting"),
    LeadStatus.QUALIFIED: _l("qualified"),
    LeadStatus.PROPOSAL: _l("proposal"),
    LeadStatus.WON: _l("won"),
    LeadStatus.LOST: _l("lost"),
    LeadStatus.RETURNED: _l("returned"),
    LeadStatus.UNCLAIMED: _l("unclaimed"),
    LeadStatus.WITHDRAWN: _l("withdrawn"),
}
OFFER_STATE = {
    OfferState.PENDING: _l("not yet visible"),
    OfferState.OPEN: _l("open"),
    OfferState.CLAIMED: _l("claimed by you"),
    OfferState.TAKEN: _l("claimed by another partner"),
    OfferState.DECLINED: _l("declined"),
    OfferState.EXPIRED: _l("expired"),
    OfferState.RECYCLED: _l("recycled"),
    OfferState.RETURNED: _l("returned"),
    OfferState.WITHDRAWN: _l("withdrawn"),
}
CLAIM_STATUS = {
    ClaimStatus.ACTIVE: _l("active"),
    ClaimStatus.WON: _l("won"),
    ClaimStatus.LOST: _l("lost"),
    ClaimStatus.RETURNED: _l("returned"),
    ClaimStatus.REVOKED: _l("revoked after an SLA breach"),
}
DECLINE_REASONS = {
    DeclineReason.TOO_SMALL: _l("Too small for us"),
    DeclineReason.TOO_LARGE: _l("Too large for us"),
    DeclineReason.OUTSIDE_TERRITORY: _l("Outside our territory"),
    DeclineReason.NOT_OUR_PRODUCT_LINE: _l("Not our product line"),
    DeclineReason.NO_CAPACITY: _l("No capacity right now"),
    DeclineReason.BAD_DATA: _l("Bad or incomplete data"),
    DeclineReason.OTHER: _l("Other (please say why)"),
}
CLOCKS = {
    "claim": _l("Claim within"),
    "first_contact": _l("First contact within"),
    "next_update": _l("Next update within"),
}
EVENTS = {
    "lead.created": _l("Lead created"),
    "lead.published": _l("Published"),
    "lead.offered": _l("Offered to wave 1"),
    "lead.wave_advanced": _l("Offered to the next wave"),
    "lead.pool_opened": _l("Offered to the open pool"),
    "lead.unclaimed": _l("Returned to the manufacturer unclaimed"),
    "lead.claimed": _l("Claimed"),
    "offer.declined": _l("Declined"),
    "lead.contacted": _l("First contact logged"),
    "lead.contact_logged": _l("Contact logged"),
    "lead.status_changed": _l("Status changed"),
    "lead.status_confirmed": _l("Status confirmed"),
    "lead.won": _l("Won"),
    "lead.lost": _l("Lost"),
    "lead.note_added": _l("Note"),
    "lead.assigned": _l("Assigned"),
    "lead.returned": _l("Returned"),
    "lead.contact_viewed": _l("Contact details viewed"),
    "sla.reminded": _l("SLA reminder sent"),
    "sla.breached": _l("SLA breached"),
    "lead.recycled": _l("Recycled to another partner"),
    "lead.withdrawn": _l("Withdrawn"),
    "lead.unmatched": _l("No partner can take it"),
    "lead.cooled": _l("Cooled down"),
    "lead.requalified": _l("Re-qualified"),
    "lead.imported": _l("Imported"),
    "lead.updated": _l("Changed"),
    "offer.withdrawn": _l("Offer withdrawn"),
}
# The same offer states as the manufacturer sees them (the partner's words say "you").
OFFER_STATE_FOR_MANUFACTURER = {
    **OFFER_STATE,
    OfferState.CLAIMED: _l("claimed"),
    OfferState.TAKEN: _l("closed: another partner claimed"),
}


# How contact details were disclosed (the reveal audit's channels, exchange.services.claims).
REVEALED_VIA = {
    "page": _l("on the lead page"),
    "api_claim": _l("in the API's claim answer"),
    "api_read": _l("read through the API"),
    "webhook": _l("sent by webhook"),
    "csv": _l("exported as CSV"),
}


def _label(table: dict, value: Any) -> str:
    if value is None:
        return "–"
    return str(table.get(value, value))


def money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "–"
    return format_currency(amount, currency or "EUR", format="¤#,##0", currency_digits=False)


def _minutes(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 90:
        return _l("%(n)d min", n=round(value))
    if value < 48 * 60:
        return _l("%(n).1f h", n=value / 60)
    return _l("%(n).1f days", n=value / 1440)


def event_label(event: Event) -> str:
    text = str(EVENTS.get(event.type, event.type))
    data = event.data or {}
    # The state a transition led to is the event itself ("Claimed: claimed"), except for a status change.
    details = [str(data[key]) for key in ("channel", "reason", "text", "amount", "note") if data.get(key)]
    if event.type == "lead.unmatched" and data.get("cause"):
        from exchange.explain import GAP_CAUSES

        details = [str(GAP_CAUSES.get(data["cause"], data["cause"]))]
    if event.type == "lead.contact_viewed":
        details = [str(REVEALED_VIA.get(data.get("via", "page"), data.get("via")))]
    if event.type == "lead.status_changed" and data.get("to"):
        details.insert(0, _label(LEAD_STATUS, LeadStatus(data["to"])))
    return f"{text}: {', '.join(details)}" if details else text


def init_app(app: Flask) -> None:
    from exchange.explain import why

    app.jinja_env.globals.update(
        temperature_label=lambda v: _label(TEMPERATURE, v),
        size_label=lambda v: _label(SIZE, v),
        lead_status_label=lambda v: _label(LEAD_STATUS, v),
        offer_state_label=lambda v: _label(OFFER_STATE, v),
        manager_offer_state_label=lambda v: _label(OFFER_STATE_FOR_MANUFACTURER, v),
        claim_status_label=lambda v: _label(CLAIM_STATUS, v),
        clock_label=lambda v: _label(CLOCKS, v),
        event_label=event_label,
        money=money,
        percent=lambda v: "–" if v is None else format_percent(v, "#0.#%"),
        minutes=_minutes,
        why=why,
    )
