"""Writing to the append-only event log. Every transition goes through ``record``."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from flask_login import current_user

from exchange.models import Event, Organisation, User
from exchange.platform import clock
from exchange.platform.event_types import EventType
from exchange.platform.extensions import db


def actor_kind() -> str:
    if not has_request_context():
        return "system"
    if getattr(g, "api_token", None) is not None:
        return "api"
    return "user" if current_user and current_user.is_authenticated else "system"


def record(
    type_: EventType,
    *,
    actor: User | None = None,
    manufacturer_id: int | None = None,
    partner_id: int | None = None,
    lead_id: int | None = None,
    offer_id: int | None = None,
    claim_id: int | None = None,
    data: dict[str, Any] | None = None,
    kind: str | None = None,
) -> Event:
    """Append one event. ``actor`` is the user who acted (None: the system)."""
    event = Event(
        type=str(type_),  # the plain value, also for a member of EventType
        occurred_at=clock.now(),
        actor_user_id=actor.id if actor is not None else None,
        actor_kind=kind or (actor_kind() if actor is not None else "system"),
        manufacturer_id=manufacturer_id,
        partner_id=partner_id,
        lead_id=lead_id,
        offer_id=offer_id,
        claim_id=claim_id,
        data=data or {},
    )
    db.session.add(event)
    return event


def organisation_scope(org: Organisation) -> dict[str, int]:
    """The ``record`` arguments that file an event under ``org`` (its partner or manufacturer column)."""
    return {"partner_id": org.id} if org.is_partner else {"manufacturer_id": org.id}
