"""A lead's life on the manufacturer's side: create, update, publish, withdraw - and ``transition``,
the one place that changes a lead's status and writes the event for it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.leads.intake.schema import LEAD_COLUMNS
from exchange.leads.lookups import LeadReferences, dedupe_key, find_duplicate
from exchange.leads.qualification import apply_qualification, rules_for
from exchange.models import (
    DEFAULT_SLA_POLICIES,
    Event,
    Lead,
    LeadStatus,
    Offer,
    OfferState,
    Organisation,
    SlaPolicy,
    Temperature,
    User,
)
from exchange.models.enums import CLOSED_STATUSES, IN_PROGRESS_STATUSES, BreachAction
from exchange.platform import clock, events
from exchange.platform.errors import Conflict
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_MATCHING

# Statuses a manufacturer may withdraw a lead from: not while a partner works it, not once closed.
WITHDRAWABLE = frozenset(set(LeadStatus) - IN_PROGRESS_STATUSES - CLOSED_STATUSES)
EDITABLE_STATUSES = frozenset({LeadStatus.DRAFT})


def transition(
    lead: Lead,
    to_status: LeadStatus,
    actor: User | None,
    event_type: LeadEvent,
    *,
    allowed_from: Iterable[LeadStatus] | None = None,
    kind: str | None = None,
    partner_id: int | None = None,
    offer_id: int | None = None,
    claim_id: int | None = None,
    **data: Any,
) -> Event:
    """Move ``lead`` to ``to_status`` and append ``event_type`` to the event log.

    The one way a lead's status changes (publishing, withdrawing here; claims, outcomes, recycling
    elsewhere). ``allowed_from`` refuses the move with :class:`Conflict` unless the lead is in one of
    those statuses. ``actor`` is the user who acted (None: the system; ``kind`` overrides how the actor
    is recorded, e.g. "cli"). ``partner_id`` / ``offer_id`` / ``claim_id`` tie the event to them;
    ``data`` is stored with ``from`` and ``to``.
    """
    before = lead.status
    if allowed_from is not None and before not in set(allowed_from):
        raise Conflict(
            _("The lead is %(status)s; this is not possible now.", status=before.value), field="status"
        )
    lead.status = to_status
    return events.record(
        event_type,
        actor=actor,
        kind=kind,
        manufacturer_id=lead.manufacturer_id,
        partner_id=partner_id,
        lead_id=lead.id,
        offer_id=offer_id,
        claim_id=claim_id,
        data={"from": before.value if before else None, "to": to_status.value, **data},
    )


# --- create and update ---------------------------------------------------------------------------------

HISTORY_ONLY = ("crm_status", "lifecycle_stage")


def create_lead(
    actor: User | None,
    manufacturer: Organisation,
    data: dict[str, Any],
    *,
    kind: str | None = None,
    references: LeadReferences | None = None,
) -> Lead:
    """A draft lead from validated input (``LeadInputSchema``). Raises :class:`Conflict` when the
    manufacturer already has it (same source id, or same e-mail and company)."""
    data = dict(data)
    (references or LeadReferences(manufacturer, actor)).resolve(data)
    history = {key: data.pop(key) for key in HISTORY_ONLY if key in data}
    rating = data.pop("rating", None)
    currency = data.pop("currency", None) or (
        manufacturer.program.currency if manufacturer.program else "EUR"
    )
    key = dedupe_key(data.get("contact_email"), data.get("company_name"), data.get("contact_phone"))
    existing = find_duplicate(manufacturer.id, data.get("source_id"), key)
    if existing is not None:
        raise Conflict(
            _("This lead exists already (lead %(id)d).", id=existing.id),
            field="source_id"
            if data.get("source_id") and existing.source_id == data["source_id"]
            else "contact_email",
        )
    lead = Lead(
        manufacturer_id=manufacturer.id,
        created_by_id=actor.id if actor else None,
        currency=currency,
        status=LeadStatus.DRAFT,
        imported_rating=rating,
        dedupe_key=key,
        **{k: v for k, v in data.items() if k in LEAD_COLUMNS or k in ("campaign_id", "product_line_id")},
    )
    apply_qualification(lead, rules_for(manufacturer.program))
    db.session.add(lead)
    db.session.flush()
    events.record(
        LeadEvent.LEAD_CREATED,
        actor=actor,
        kind=kind,
        manufacturer_id=manufacturer.id,
        lead_id=lead.id,
        data={"temperature": lead.temperature.value, **{k: v for k, v in history.items() if v}},
    )
    return lead


def update_lead(
    actor: User | None, lead: Lead, data: dict[str, Any], *, kind: str | None = None
) -> list[str]:
    """Change a draft lead's fields from validated (partial) input; re-qualifies it. Returns the names
    of the fields that changed (recorded in ``lead.updated``)."""
    if lead.status not in EDITABLE_STATUSES:
        raise Conflict(
            _("Only draft leads can be edited; this one is %(status)s.", status=lead.status.value),
            field="status",
        )
    data = dict(data)
    LeadReferences(lead.manufacturer, actor).resolve(data)
    for key in HISTORY_ONLY:
        data.pop(key, None)
    if "rating" in data:
        data["imported_rating"] = data.pop("rating")
    changed = []
    for name, value in data.items():
        if name not in LEAD_COLUMNS and name not in ("campaign_id", "product_line_id", "imported_rating"):
            continue
        if name == "currency" and value is None:
            continue
        if getattr(lead, name) != value:
            setattr(lead, name, value)
            changed.append(name)
    if not changed:
        return []
    key = dedupe_key(lead.contact_email, lead.company_name, lead.contact_phone)
    if data.get("source_id") or key != lead.dedupe_key:
        other = find_duplicate(lead.manufacturer_id, lead.source_id, key)
        if other is not None and other.id != lead.id:
            raise Conflict(_("Another lead has these details already (lead %(id)d).", id=other.id))
    lead.dedupe_key = key
    before, after = apply_qualification(lead, rules_for(lead.manufacturer.program))
    payload: dict[str, Any] = {"fields": changed}
    if before != after:
        payload["temperature"] = {"from": before.value if before else None, "to": after.value}
    events.record(
        LeadEvent.LEAD_UPDATED,
        actor=actor,
        kind=kind,
        manufacturer_id=lead.manufacturer_id,
        lead_id=lead.id,
        data=payload,
    )
    db.session.flush()
    return changed


# --- publish and withdraw ------------------------------------------------------------------------------


def _sla_terms(manufacturer_ids: set[int]) -> dict[tuple[int, Temperature], dict[str, Any]]:
    terms = {}
    for policy in db.session.scalars(
        sa.select(SlaPolicy).where(SlaPolicy.manufacturer_id.in_(manufacturer_ids))
    ):
        terms[(policy.manufacturer_id, policy.temperature)] = policy.terms()
    return terms


def _default_terms(temperature: Temperature) -> dict[str, Any]:
    """The defaults' terms, for a manufacturer whose policy for this temperature was deleted."""
    policy = SlaPolicy(
        temperature=temperature,
        business_time=True,
        reminder_percent=75,
        breach_action=BreachAction.RECYCLE,
        notify_channel_manager=True,
        **DEFAULT_SLA_POLICIES[temperature],
    )
    return policy.terms()


# A draft, or a lead that came back (returned by its partner, unclaimed after the last wave), may be
# published; partners excluded from it before (declined, returned, recycled) stay excluded.
PUBLISHABLE = frozenset({LeadStatus.DRAFT, LeadStatus.RETURNED, LeadStatus.UNCLAIMED})


def publish_leads(actor: User | None, leads: Sequence[Lead], *, kind: str | None = None) -> list[Lead]:
    """Publish the publishable among ``leads`` (drafts, returned, unclaimed): status ``published``,
    ``published_at``, the SLA terms of their temperature frozen into ``sla_terms``, a
    ``lead.published`` event each, and one ``leads.match`` job for all of them. Other leads are left
    alone; returns the published ones."""
    drafts = [lead for lead in leads if lead.status in PUBLISHABLE]
    if not drafts:
        return []
    terms = _sla_terms({lead.manufacturer_id for lead in drafts})
    now = clock.now()
    for lead in drafts:
        republished = lead.status != LeadStatus.DRAFT
        if republished:
            lead.current_wave = 0
            lead.claimed_partner_id = None
            lead.match_summary = None
        lead.published_at = now
        lead.sla_terms = terms.get((lead.manufacturer_id, lead.temperature)) or _default_terms(
            lead.temperature
        )
        transition(
            lead,
            LeadStatus.PUBLISHED,
            actor,
            LeadEvent.LEAD_PUBLISHED,
            kind=kind,
            temperature=lead.temperature.value,
            **({"republished": True} if republished else {}),
        )
    db.session.flush()
    enqueue("leads.match", [lead.id for lead in drafts], queue=QUEUE_MATCHING)
    return drafts


def publish_lead(actor: User | None, lead: Lead, *, kind: str | None = None) -> Lead:
    """Publish one lead; :class:`Conflict` unless it is a draft."""
    if lead.status not in PUBLISHABLE:
        raise Conflict(
            _(
                "Only drafts and leads that came back can be published; this lead is %(status)s.",
                status=lead.status.value,
            )
        )
    publish_leads(actor, [lead], kind=kind)
    return lead


def withdraw_leads(
    actor: User | None, leads: Sequence[Lead], *, reason: str | None = None, kind: str | None = None
) -> list[Lead]:
    """Withdraw the leads that may be withdrawn (not while a partner works them, not once closed):
    their pending and open offers close as ``withdrawn`` (``offer.withdrawn`` each, so the partner's
    record shows it) and each lead records ``lead.withdrawn``. Returns the withdrawn leads."""
    chosen = [lead for lead in leads if lead.status in WITHDRAWABLE]
    if not chosen:
        return []
    now = clock.now()
    offers = db.session.scalars(
        sa.select(Offer).where(
            Offer.lead_id.in_([lead.id for lead in chosen]),
            Offer.state.in_([OfferState.PENDING, OfferState.OPEN]),
        )
    ).all()
    closed_per_lead: dict[int, int] = {}
    for offer in offers:
        before = offer.state
        offer.state = OfferState.WITHDRAWN
        offer.closed_at = now
        closed_per_lead[offer.lead_id] = closed_per_lead.get(offer.lead_id, 0) + 1
        events.record(
            LeadEvent.OFFER_WITHDRAWN,
            actor=actor,
            kind=kind,
            manufacturer_id=offer.manufacturer_id,
            partner_id=offer.partner_id,
            lead_id=offer.lead_id,
            offer_id=offer.id,
            data={"from": before.value, "to": OfferState.WITHDRAWN.value},
        )
    for lead in chosen:
        lead.closed_at = now
        extra: dict[str, Any] = {"offers_withdrawn": closed_per_lead.get(lead.id, 0)}
        if reason:
            extra["reason"] = reason[:500]
        transition(lead, LeadStatus.WITHDRAWN, actor, LeadEvent.LEAD_WITHDRAWN, kind=kind, **extra)
    db.session.flush()
    return chosen


def withdraw_lead(
    actor: User | None, lead: Lead, *, reason: str | None = None, kind: str | None = None
) -> Lead:
    """Withdraw one lead; :class:`Conflict` when a partner works it or it is closed."""
    if lead.status not in WITHDRAWABLE:
        raise Conflict(_("A %(status)s lead cannot be withdrawn.", status=lead.status.value))
    withdraw_leads(actor, [lead], reason=reason, kind=kind)
    return lead


def record_export(actor: User, lead_ids: Sequence[int], via: str = "csv") -> None:
    """The contact details of these leads left in an export by ``actor``: one reveal audit event per
    lead (``lead.contact_viewed`` with ``via``), written in bulk (an export can hold every lead)."""
    now = clock.now()
    kind = events.actor_kind()
    for start in range(0, len(lead_ids), 1000):
        rows = [
            {
                "type": LeadEvent.LEAD_CONTACT_VIEWED.value,
                "occurred_at": now,
                "manufacturer_id": actor.organisation_id,
                "lead_id": lead_id,
                "actor_user_id": actor.id,
                "actor_kind": kind,
                "data": {"via": via},
            }
            for lead_id in lead_ids[start : start + 1000]
        ]
        db.session.execute(sa.insert(Event), rows)
