"""The reveal audit: who was shown a claimed lead's contact details, and through which channel."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from exchange.models import Claim, Event, User
from exchange.offers.claims import _event  # the event of a claim, as the claim's other steps write it
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db

# How contact details reached a person (the ``via`` of a ``lead.contact_viewed`` event); webhook
# deliveries (``webhook``) are recorded per delivery by exchange.notify.webhooks.record_disclosure.
REVEAL_CHANNELS = ("page", "api_claim", "api_read", "webhook", "csv")


def record_contact_view(actor: User, claim: Claim, via: str = "page") -> None:
    """Contact details were shown to ``actor`` through ``via``: recorded once per person, lead
    and channel (the reveal audit)."""
    record_contact_views(actor, [claim], via)


def record_contact_views(actor: User, claims: Sequence[Claim], via: str) -> None:
    """:func:`record_contact_view` for several claims at once (an API page of claimed leads)."""
    if via not in REVEAL_CHANNELS:
        raise ValueError(f"unknown reveal channel {via!r}")
    lead_ids = sorted({claim.lead_id for claim in claims})
    if not lead_ids:
        return
    seen = {
        lead_id
        for lead_id, data in db.session.execute(
            sa.select(Event.lead_id, Event.data).where(
                Event.lead_id.in_(lead_ids),
                Event.type == LeadEvent.LEAD_CONTACT_VIEWED,
                Event.actor_user_id == actor.id,
            )
        )
        if (data or {}).get("via", "page") == via
    }
    for claim in claims:
        if claim.lead_id not in seen:
            seen.add(claim.lead_id)
            _event(LeadEvent.LEAD_CONTACT_VIEWED, actor, claim, via=via)
