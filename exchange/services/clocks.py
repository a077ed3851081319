"""The SLA clocks on offers and claims: when a window ends and when its reminder is due.

Every deadline in the lifecycle comes from here; the arithmetic (business time in the partner's
calendar, or around the clock) lives in ``exchange.sla``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from exchange.extensions import db
from exchange.models import DEFAULT_SLA_POLICIES, Lead, PartnerProfile, SlaPolicy, Temperature


@dataclass(frozen=True)
class Window:
    deadline: datetime
    remind_at: datetime


def lead_terms(lead: Lead) -> dict[str, Any]:
    """The SLA terms the lead was published under (the current policy for leads without a snapshot)."""
    if lead.sla_terms:
        return lead.sla_terms
    policy = db.session.scalar(
        sa.select(SlaPolicy).where(
            SlaPolicy.manufacturer_id == lead.manufacturer_id, SlaPolicy.temperature == lead.temperature
        )
    )
    if policy is not None:
        return policy.terms()
    defaults = DEFAULT_SLA_POLICIES[Temperature(lead.temperature)]
    return {
        **defaults,
        "temperature": lead.temperature.value,
        "business_time": True,
        "reminder_percent": 75,
        "breach_action": "recycle",
        "notify_channel_manager": True,
    }


def _window(
    start: datetime, minutes: int, percent: int, profile: PartnerProfile | None, business: bool
) -> Window:
    deadline = start + timedelta(minutes=minutes)
    remind_at = start + timedelta(minutes=minutes * percent / 100)
    return Window(deadline, remind_at)


def claim_window(terms: dict[str, Any], profile: PartnerProfile | None, start: datetime) -> Window:
    return _window(
        start,
        int(terms["claim_window_minutes"]),
        int(terms.get("reminder_percent", 75)),
        profile,
        bool(terms.get("business_time", True)),
    )


def first_contact_window(terms: dict[str, Any], profile: PartnerProfile | None, start: datetime) -> Window:
    return _window(
        start,
        int(terms["first_contact_minutes"]),
        int(terms.get("reminder_percent", 75)),
        profile,
        bool(terms.get("business_time", True)),
    )


def update_window(terms: dict[str, Any], start: datetime) -> Window:
    """The status-update cadence runs around the clock."""
    return _window(
        start, int(terms["update_cadence_minutes"]), int(terms.get("reminder_percent", 75)), None, False
    )
