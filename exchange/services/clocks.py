"""The SLA clocks on offers and claims: when a window ends and when its reminder is due, for one
lead and one partner. The arithmetic (business time in the partner's calendar, or around the clock,
as the lead's terms say) is ``exchange.sla``; this module only picks the terms and the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exchange.models import Lead, PartnerProfile
from exchange.sla import policies
from exchange.sla.partners import partner_calendar
from exchange.sla.policies import SlaClock


@dataclass(frozen=True)
class Window:
    deadline: datetime
    remind_at: datetime


def lead_terms(lead: Lead) -> dict[str, Any]:
    """The SLA terms the lead was published under (the current policy for a lead without a snapshot)."""
    return lead.sla_terms or policies.terms_for(lead.manufacturer_id, lead.temperature)


def _window(
    terms: dict[str, Any], clock: SlaClock, profile: PartnerProfile | None, start: datetime
) -> Window:
    calendar = partner_calendar(profile)
    return Window(
        deadline=policies.deadline(terms, clock, calendar, start),
        remind_at=policies.reminder_at(terms, clock, calendar, start),
    )


def claim_window(terms: dict[str, Any], profile: PartnerProfile | None, start: datetime) -> Window:
    return _window(terms, SlaClock.CLAIM, profile, start)


def first_contact_window(terms: dict[str, Any], profile: PartnerProfile | None, start: datetime) -> Window:
    return _window(terms, SlaClock.FIRST_CONTACT, profile, start)


def update_window(terms: dict[str, Any], start: datetime) -> Window:
    """The status-update cadence runs around the clock."""
    return _window(terms, SlaClock.UPDATE, None, start)
