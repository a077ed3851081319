"""Temporary home of the one lead-status transition (merged with the intake service later)."""

from __future__ import annotations

from typing import Any

from exchange import clock
from exchange.models import Lead, LeadStatus, User
from exchange.services import events


def transition(lead: Lead, to_status: LeadStatus, actor: User | None, event_type: str, **data: Any):
    """Move ``lead`` to ``to_status`` and append ``event_type`` with ``data`` (and the old status)."""
    previous = lead.status
    lead.status = to_status
    lead.updated_at = clock.now()
    return events.record(
        event_type,
        actor=actor,
        manufacturer_id=lead.manufacturer_id,
        partner_id=data.pop("partner_id", None),
        lead_id=lead.id,
        offer_id=data.pop("offer_id", None),
        claim_id=data.pop("claim_id", None),
        data={"from": previous.value if previous else None, "to": to_status.value, **data},
    )
