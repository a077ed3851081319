"""The SLA clocks on offers and claims: when a window ends and when its reminder is due, for one
lead and one partner. The arithmetic (business time in the partner's calendar, or around the clock,
as the lead's terms say) is ``exchange.sla``; this module only picks the terms and the calendar."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from exchange.models import Lead, Offer, OfferState, PartnerProfile
from exchange.sla import policies
from exchange.sla.calendar import BusinessCalendar, business_minutes_between, is_working_time, next_opening
from exchange.sla.partners import partner_calendar
from exchange.sla.vocabulary import SlaClock


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


@dataclass(frozen=True)
class ClaimClock:
    """How an open offer's claim window runs, for a countdown that explains itself.

    ``business`` says the window counts the partner's business hours; ``running`` whether they are
    running at ``now``; ``remaining_minutes`` is the business (or plain) time left; ``resumes_at`` the
    next opening when the clock stands still now, or when it runs past today's closing
    (``pauses_at``) the opening after that."""

    deadline: datetime
    business: bool
    running: bool
    remaining_minutes: int
    pauses_at: datetime | None = None
    resumes_at: datetime | None = None


def claim_clock(offer: Offer, profile: PartnerProfile | None, now: datetime) -> ClaimClock | None:
    """The claim clock of ``offer`` at ``now``; None once the offer is closed (claimed, declined,
    expired, taken by another, revoked...) or its window has run out: nothing is left to count."""
    if offer.state != OfferState.OPEN or offer.claim_deadline is None or offer.claim_deadline <= now:
        return None
    terms = lead_terms(offer.lead)
    calendar = policies.clock_calendar(terms, SlaClock.CLAIM, partner_calendar(profile))
    remaining = math.ceil(business_minutes_between(now, offer.claim_deadline, calendar) - 1e-9)
    if calendar.around_the_clock:
        return ClaimClock(offer.claim_deadline, business=False, running=True, remaining_minutes=remaining)
    if not is_working_time(now, calendar):
        return ClaimClock(
            offer.claim_deadline,
            business=True,
            running=False,
            remaining_minutes=remaining,
            resumes_at=next_opening(now, calendar),
        )
    closes = _closing(now, calendar)
    if offer.claim_deadline <= closes:
        return ClaimClock(offer.claim_deadline, business=True, running=True, remaining_minutes=remaining)
    return ClaimClock(
        offer.claim_deadline,
        business=True,
        running=True,
        remaining_minutes=remaining,
        pauses_at=closes,
        resumes_at=next_opening(closes, calendar),
    )


def _closing(moment: datetime, calendar: BusinessCalendar) -> datetime:
    """When the working window that ``moment`` lies in closes."""
    today = calendar.local_date(moment)
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        window = calendar.window(day)
        if window is not None and window[0] <= moment < window[1]:
            return window[1]
    raise ValueError("moment: not in working time")
