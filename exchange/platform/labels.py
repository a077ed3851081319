"""Display labels for the domain's vocabularies (translated), and the template helpers that use them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import format_currency, format_decimal, format_percent
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from exchange.models import (
    ClaimStatus,
    ContactChannel,
    DeclineReason,
    EnrollmentStatus,
    Event,
    LeadStatus,
    OfferState,
    Role,
    SizeBand,
    Temperature,
)
from exchange.offers.vocabulary import DECLINE_REASON_LABELS
from exchange.platform.event_types import LEAD_EVENT_LABELS, AuditEvent, LeadEvent
from exchange.sla.vocabulary import clock_due, clock_name

ROLES = {
    Role.MANUFACTURER_ADMIN: _l("Manufacturer admin"),
    Role.CHANNEL_MANAGER: _l("Channel manager"),
    Role.PARTNER_ADMIN: _l("Partner admin"),
    Role.PARTNER_REP: _l("Partner rep"),
}
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
ENROLLMENT_STATUS = {
    EnrollmentStatus.PENDING: _l("invited"),
    EnrollmentStatus.INVITED: _l("invited"),
    EnrollmentStatus.DECLINED: _l("declined"),
    EnrollmentStatus.ACTIVE: _l("active"),
    EnrollmentStatus.SUSPENDED: _l("suspended"),
    EnrollmentStatus.ENDED: _l("ended"),
}
CONTACT_CHANNELS = {
    ContactChannel.CALL: _l("Call"),
    ContactChannel.EMAIL: _l("E-mail"),
    ContactChannel.MEETING: _l("Meeting"),
}
# A lead's fields by their column names, as "Changed: …" in the history names them.
LEAD_FIELD_EXTRAS = {
    "product_line_id": _l("Product line"),
    "campaign_id": _l("Campaign"),
    "imported_rating": _l("Rating (hot / warm / cold)"),
    "contact_name": _l("Contact"),
    "temperature": _l("Temperature"),
    "status": _l("Status"),
}
# The same offer states as the manufacturer sees them (the partner's words say "you").
OFFER_STATE_FOR_MANUFACTURER = {
    **OFFER_STATE,
    OfferState.CLAIMED: _l("claimed"),
    OfferState.TAKEN: _l("closed: another partner claimed"),
}


# Why no partner can take a lead (matching.codes.GAP_FUNNEL, NO_PARTNERS), as the "No partner can take
# it" history line and the coverage-gaps page say it.
GAP_CAUSES = {
    "no_partners": _l("The programme has no partners yet"),
    "not_enrolled": _l("No partner with an active enrollment"),
    "paused": _l("Every partner who could take it has paused new offers"),
    "outside_coverage": _l("No partner covers this location"),
    "product_line_not_served": _l("No partner serves this product line here"),
    "tier_below_minimum": _l("No partner of the required tier for this deal size"),
    "excluded": _l("Every partner who could take it declined or returned it"),
    "at_capacity": _l("Every partner who could take it is at capacity"),
}
# Why a partner cannot receive offers (exchange.partners.readiness.NotReady), as the directory says it.
READINESS = {
    "not_active": _l("Enrollment not active"),
    "admin_not_signed_in": _l("Its admin has not signed in yet"),
    "no_coverage": _l("No coverage set"),
    "no_capacity": _l("No capacity set"),
    "paused": _l("Paused"),
}
# The lines of the manufacturer's history of one partner (its enrollment's events).
ENROLLMENT_EVENT_LABELS = {
    AuditEvent.PARTNER_ADDED: _l("Partner added"),
    AuditEvent.ENROLLMENT_INVITED: _l("Invited"),
    AuditEvent.ENROLLMENT_INVITATION_RESENT: _l("Invitation sent again"),
    AuditEvent.ENROLLMENT_ACCEPTED: _l("Accepted"),
    AuditEvent.ENROLLMENT_DECLINED: _l("Declined"),
    AuditEvent.ENROLLMENT_SUSPENDED: _l("Suspended"),
    AuditEvent.ENROLLMENT_REACTIVATED: _l("Reactivated"),
    AuditEvent.ENROLLMENT_ENDED: _l("Ended"),
    AuditEvent.ENROLLMENT_TIER_CHANGED: _l("Tier changed"),
    AuditEvent.ENROLLMENT_PRODUCT_LINES_CHANGED: _l("Product lines changed"),
}
# How contact details were disclosed (the reveal audit's channels, exchange.offers.reveals).
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


def _percent(value: float | None) -> str:
    return "–" if value is None else format_percent(value, "#0.#%")


# Why a figure of exchange.analytics.figures is missing (its key there -> reason): with nothing
# decided there is no figure, never 0 %.
NO_FIGURE = {
    "response_rate": _l("no decided offers yet"),
    "lead_response_rate": _l("no lead claimed or run out of waves yet"),
    "decline_rate": _l("no decided offers yet"),
    "sla_compliance": _l("no decided clocks yet"),
    "breaches": _l("no decided clocks yet"),
    "return_rate": _l("no claims yet"),
    "win_rate": _l("no lead won or lost yet"),
    "claim_minutes_median": _l("no claims yet"),
    "contact_minutes_median": _l("no first contact yet"),
    # the analytics overview (exchange.analytics.overview)
    "claim_minutes_p90": _l("no claims yet"),
    "contact_minutes_p90": _l("no first contact yet"),
    "leakage_rate": _l("no leads published"),
    "share": _l("nothing to count yet"),
    # fairness (exchange.analytics.fairness) and Return on Leads (exchange.analytics.return_on_leads)
    "gini": _l("fewer than two eligible partners, or none counted"),
    "top10_share": _l("none counted"),
    "roi": _l("no cost entered"),
    "paid_back": _l("no cost entered"),
    "payback_month": _l("not paid back yet"),
}
# How each figure of exchange.analytics.figures reads (its key there -> formatter).
FIGURE_FORMATS = {
    "response_rate": _percent,
    "lead_response_rate": _percent,
    "decline_rate": _percent,
    "sla_compliance": _percent,
    "return_rate": _percent,
    "win_rate": _percent,
    "breaches": str,
    "claim_minutes_median": _minutes,
    "contact_minutes_median": _minutes,
    "claim_minutes_p90": _minutes,
    "contact_minutes_p90": _minutes,
    "leakage_rate": _percent,
    "share": _percent,
    "gini": lambda value: format_decimal(value, "0.00"),
    "top10_share": _percent,
    "roi": _percent,
    "paid_back": _percent,
    "payback_month": lambda value: _l("month %(n)d", n=value),
}


def figure(key: str, value: Any, compact: bool = False) -> Markup:
    """A figure as people read it; without data "–" and why (in a tooltip when ``compact``)."""
    if value is not None:
        return Markup.escape(FIGURE_FORMATS.get(key, str)(value))
    reason = NO_FIGURE.get(key, "")
    if compact:
        return Markup(
            '<abbr class="no-figure" title="{0}">–<span class="visually-hidden"> ({0})</span></abbr>'
        ).format(reason)
    return Markup('<span class="no-figure">– <small class="text-muted">({0})</small></span>').format(reason)


def _temperature(value: Any) -> str:
    try:
        return _label(TEMPERATURE, Temperature(value) if value is not None else None)
    except ValueError:
        return str(value)


def end_reason_label(reason: str | None) -> str:
    """Why a claim ended, in words: the sweep records "SLA breach: <clock>", a partner its own text."""
    if not reason:
        return "–"
    prefix = "SLA breach: "
    if reason.startswith(prefix):
        clock = reason.removeprefix(prefix)
        return str(_l("missed the %(clock)s deadline", clock=clock_name(clock)))
    return reason


def _detail(event: Event, key: str, value: Any) -> str:
    data = event.data or {}
    if key == "channel":
        return _label(CONTACT_CHANNELS, _enum(ContactChannel, value))
    if key == "reason" and event.type == LeadEvent.OFFER_DECLINED:
        return _label(DECLINE_REASON_LABELS, _enum(DeclineReason, value))
    if key == "amount":
        try:
            return money(Decimal(str(value)), data.get("currency"))
        except ArithmeticError:
            return str(value)
    return str(value)


def _enum(kind: type, value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        return value


def event_label(event: Event) -> str:
    text = str(LEAD_EVENT_LABELS.get(event.type, event.type))
    data = event.data or {}
    # The state a transition led to is the event itself ("Claimed: claimed"), except for a status change.
    details = [
        _detail(event, key, data[key])
        for key in ("channel", "reason", "text", "amount", "note")
        if data.get(key)
    ]
    if event.type in (LeadEvent.SLA_BREACHED, LeadEvent.LEAD_RECYCLED, LeadEvent.SLA_REMINDED) and data.get(
        "clock"
    ):
        details.insert(0, clock_name(data["clock"]))
    if event.type in (LeadEvent.LEAD_COOLED, LeadEvent.LEAD_REQUALIFIED) and data.get("to"):
        details.insert(0, f"{_temperature(data.get('from'))} → {_temperature(data['to'])}")
    if event.type == LeadEvent.LEAD_STATUS_CONFIRMED and data.get("status"):
        details.insert(0, _label(LEAD_STATUS, _enum(LeadStatus, data["status"])))
    if event.type == LeadEvent.LEAD_UNMATCHED and data.get("cause"):
        details = [str(GAP_CAUSES.get(data["cause"], data["cause"]))]
    if event.type == LeadEvent.LEAD_CONTACT_VIEWED:
        details = [str(REVEALED_VIA.get(data.get("via", "page"), data.get("via")))]
    if event.type == LeadEvent.LEAD_STATUS_CHANGED and data.get("to"):
        details.insert(0, _label(LEAD_STATUS, LeadStatus(data["to"])))
    return f"{text}: {', '.join(details)}" if details else text


def enrollment_event_label(event: Event) -> str:
    """One line of a partner's history in a programme: what happened, and from/to or the reason."""
    text = str(ENROLLMENT_EVENT_LABELS.get(event.type, event.type))
    data = event.data or {}
    if "to" in data:
        before, after = data.get("from"), data["to"]
        if isinstance(after, list):
            before = ", ".join(before or []) or "–"
            after = ", ".join(after) or "–"
        if event.type == AuditEvent.ENROLLMENT_TIER_CHANGED:
            before, after = str(before or "–").title(), str(after).title()
        return f"{text}: {before} → {after}"
    if data.get("reason"):
        return f"{text}: {data['reason']}"
    return text


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        temperature_label=lambda v: _label(TEMPERATURE, v),
        size_label=lambda v: _label(SIZE, v),
        lead_status_label=lambda v: _label(LEAD_STATUS, v),
        offer_state_label=lambda v: _label(OFFER_STATE, v),
        manager_offer_state_label=lambda v: _label(OFFER_STATE_FOR_MANUFACTURER, v),
        claim_status_label=lambda v: _label(CLAIM_STATUS, v),
        enrollment_status_label=lambda v: _label(ENROLLMENT_STATUS, v),
        readiness_label=lambda v: _label(READINESS, v),
        end_reason_label=end_reason_label,
        clock_label=clock_due,
        event_label=event_label,
        enrollment_event_label=enrollment_event_label,
        money=money,
        percent=_percent,
        figure=figure,
        minutes=_minutes,
    )
