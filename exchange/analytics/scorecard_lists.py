"""What a partner did in a period, for its scorecard: its latest offers with their outcome, claims,
declines (counts by reason and the latest free texts), SLA breaches (its ``sla.breached`` events with
the clock), returns with the reason, and outcomes (won and lost, with the amounts). Only this
programme's rows; the lead filters of the scope apply through ``lead_facts``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from exchange.analytics import figures, sql
from exchange.analytics.period import Scope
from exchange.models import Claim, ClaimStatus, Event, Lead, LeadFact, Offer, OfferState
from exchange.platform import clock
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db

if TYPE_CHECKING:
    from exchange.analytics.scorecard import Scorecard

LIMIT = 20  # rows per list
TEXTS = 10  # latest free-text decline reasons


def _filtered(query: sa.Select, lead_id: Any, scope: Scope) -> sa.Select:
    lead = sql.lead_conditions(scope.filters)
    return query.join(LeadFact, LeadFact.lead_id == lead_id).where(*lead) if lead else query


def _offers(manufacturer_id: int, partner_id: int, scope: Scope) -> sa.Select:
    low, high = scope.period.bounds()
    query = (
        sa.select(Offer, Lead.company_name)
        .join(Lead, Lead.id == Offer.lead_id)
        .where(
            Offer.manufacturer_id == manufacturer_id,
            Offer.partner_id == partner_id,
            Offer.visible_from >= low,
            Offer.visible_from < high,
        )
    )
    return _filtered(query, Offer.lead_id, scope)


def _claims(manufacturer_id: int, partner_id: int, scope: Scope) -> sa.Select:
    low, high = scope.period.bounds()
    query = (
        sa.select(Claim, Lead)
        .join(Lead, Lead.id == Claim.lead_id)
        .where(
            Claim.manufacturer_id == manufacturer_id,
            Claim.partner_id == partner_id,
            Claim.claimed_at >= low,
            Claim.claimed_at < high,
        )
    )
    return _filtered(query, Claim.lead_id, scope)


def recent_offers(manufacturer_id: int, partner_id: int, scope: Scope) -> list[dict[str, Any]]:
    query = _offers(manufacturer_id, partner_id, scope).order_by(Offer.visible_from.desc(), Offer.id.desc())
    return [
        {
            "offer_id": offer.id,
            "lead_id": offer.lead_id,
            "company": company,
            "visible_from": offer.visible_from,
            "state": offer.state,
            "wave": offer.wave,
            "score": offer.score,
            "decline_reason": offer.decline_reason,
        }
        for offer, company in db.session.execute(query.limit(LIMIT))
    ]


def declines(
    manufacturer_id: int, partner_id: int, scope: Scope
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Declined offers of the period: count per reason (most first), and the latest free texts."""
    declined = _offers(manufacturer_id, partner_id, scope).where(Offer.state == OfferState.DECLINED)
    sub = declined.with_only_columns(Offer.decline_reason).subquery()
    counts = db.session.execute(
        sa.select(sub.c.decline_reason, sa.func.count()).group_by(sub.c.decline_reason)
    ).all()
    by_reason = {
        (reason.value if reason is not None else "unknown"): count
        for reason, count in sorted(counts, key=lambda item: (-item[1], str(item[0])))
    }
    texts = [
        {
            "lead_id": offer.lead_id,
            "company": company,
            "reason": offer.decline_reason,
            "text": offer.decline_text,
            "at": offer.closed_at or offer.visible_from,
        }
        for offer, company in db.session.execute(
            declined.where(Offer.decline_text.is_not(None), Offer.decline_text != "")
            .order_by(sa.func.coalesce(Offer.closed_at, Offer.visible_from).desc(), Offer.id.desc())
            .limit(TEXTS)
        )
    ]
    return by_reason, texts


def recent_claims(manufacturer_id: int, partner_id: int, scope: Scope) -> list[dict[str, Any]]:
    now = clock.now()
    query = _claims(manufacturer_id, partner_id, scope).order_by(Claim.claimed_at.desc(), Claim.id.desc())
    return [
        {
            "claim_id": claim.id,
            "lead_id": claim.lead_id,
            "company": lead.company_name,
            "claimed_at": claim.claimed_at,
            "status": claim.status,
            "first_contact_at": claim.first_contact_at,
            "first_contact_met": figures.first_contact_clock(claim, now),
        }
        for claim, lead in db.session.execute(query.limit(LIMIT))
    ]


def breaches(
    manufacturer_id: int, partner_id: int, scope: Scope
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The partner's ``sla.breached`` events in the period (latest first) and their count per clock."""
    low, high = scope.period.bounds()
    query = (
        sa.select(Event, Lead.company_name)
        .join(Lead, Lead.id == Event.lead_id)
        .where(
            Event.manufacturer_id == manufacturer_id,
            Event.partner_id == partner_id,
            Event.type == LeadEvent.SLA_BREACHED.value,
            Event.occurred_at >= low,
            Event.occurred_at < high,
        )
    )
    query = _filtered(query, Event.lead_id, scope)
    by_clock: dict[str, int] = {}
    for (data,) in db.session.execute(query.with_only_columns(Event.data)):
        kind = str((data or {}).get("clock") or "unknown")
        by_clock[kind] = by_clock.get(kind, 0) + 1
    rows = [
        {
            "lead_id": event.lead_id,
            "company": company,
            "at": event.occurred_at,
            "clock": (event.data or {}).get("clock"),
            "action": (event.data or {}).get("action"),
        }
        for event, company in db.session.execute(
            query.order_by(Event.occurred_at.desc(), Event.id.desc()).limit(LIMIT)
        )
    ]
    return rows, by_clock


def returns(manufacturer_id: int, partner_id: int, scope: Scope) -> list[dict[str, Any]]:
    query = _claims(manufacturer_id, partner_id, scope).where(Claim.status == ClaimStatus.RETURNED)
    return [
        {
            "lead_id": claim.lead_id,
            "company": lead.company_name,
            "claimed_at": claim.claimed_at,
            "at": claim.ended_at,
            "reason": claim.end_reason,
        }
        for claim, lead in db.session.execute(
            query.order_by(Claim.claimed_at.desc(), Claim.id.desc()).limit(LIMIT)
        )
    ]


def outcomes(manufacturer_id: int, partner_id: int, scope: Scope) -> list[dict[str, Any]]:
    query = _claims(manufacturer_id, partner_id, scope).where(
        Claim.status.in_((ClaimStatus.WON, ClaimStatus.LOST))
    )
    return [
        {
            "lead_id": claim.lead_id,
            "company": lead.company_name,
            "status": claim.status,
            "at": lead.closed_at or claim.ended_at,
            "amount": lead.won_amount if claim.status == ClaimStatus.WON else None,
            "currency": (lead.won_currency or lead.currency) if claim.status == ClaimStatus.WON else None,
        }
        for claim, lead in db.session.execute(
            query.order_by(Claim.claimed_at.desc(), Claim.id.desc()).limit(LIMIT)
        )
    ]


def fill(card: Scorecard, manufacturer_id: int, partner_id: int, scope: Scope) -> None:
    card.offers = recent_offers(manufacturer_id, partner_id, scope)
    card.claims = recent_claims(manufacturer_id, partner_id, scope)
    card.declines, card.decline_texts = declines(manufacturer_id, partner_id, scope)
    card.breaches, card.breaches_by_clock = breaches(manufacturer_id, partner_id, scope)
    card.returns = returns(manufacturer_id, partner_id, scope)
    card.outcomes = outcomes(manufacturer_id, partner_id, scope)
