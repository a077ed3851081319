"""A partner's side of a lead: claim (first valid claim wins), decline, work it, hand it back.

Claims are atomic: the lead moves from ``offered`` to ``claimed`` in one conditional UPDATE, so of
many concurrent claims exactly one changes the row; the others find it claimed and get ``Conflict``
(HTTP 409). A partial unique index (one active claim per lead) backs this up in the database.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.accounts.permissions import Permission, can
from exchange.leads.lifecycle import transition
from exchange.models import (
    Claim,
    ClaimStatus,
    ContactChannel,
    DeclineReason,
    Enrollment,
    EnrollmentStatus,
    Event,
    Lead,
    LeadStatus,
    Offer,
    OfferState,
    User,
)
from exchange.notify import announce, notifications, webhooks
from exchange.offers import waves
from exchange.offers.capacity import claim_blockers, lock_partner
from exchange.offers.matchmaking import Matchers
from exchange.platform import clock, events, jobs
from exchange.platform.errors import Conflict, DomainError, NotAllowed
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from exchange.sla import clocks

# Where a claimed lead may go next (forward through the pipeline; won or lost from anywhere open).
PIPELINE = [
    LeadStatus.CLAIMED,
    LeadStatus.CONTACTED,
    LeadStatus.MEETING,
    LeadStatus.QUALIFIED,
    LeadStatus.PROPOSAL,
]
# The statuses that close a lead, and the event each writes.
CLOSING = {LeadStatus.WON: LeadEvent.LEAD_WON, LeadStatus.LOST: LeadEvent.LEAD_LOST}


def claim_offer(actor: User, offer: Offer) -> Claim:
    """Claim the lead of ``offer`` for the actor's partner. Raises ``Conflict`` (409) when another
    partner was first, ``DomainError`` (422) for capacity or overdue first contacts."""
    if offer.partner_id != actor.organisation_id:
        raise NotAllowed(_("This offer is not yours."))
    now = clock.now()
    profile = lock_partner(offer.partner_id)
    db.session.refresh(offer)
    if offer.state in (OfferState.TAKEN, OfferState.CLAIMED):
        raise Conflict(_("This lead has already been claimed."))
    if offer.state != OfferState.OPEN:
        raise Conflict(_("This offer is no longer open (%(state)s).", state=offer.state.value))
    if offer.claim_deadline is not None and offer.claim_deadline <= now:
        raise Conflict(_("The claim window for this offer has closed."))
    if _enrollment_status(offer) != EnrollmentStatus.ACTIVE:
        raise Conflict(_("Your enrollment in this programme is not active; its leads cannot be claimed."))
    blockers = claim_blockers(offer.partner_id, profile.capacity, now)
    if blockers.blocked:
        raise DomainError(blockers.messages()[0])

    # The atomic step: only one transaction moves the lead out of "offered".
    won = db.session.execute(
        sa.update(Lead)
        .where(Lead.id == offer.lead_id, Lead.status == LeadStatus.OFFERED)
        .values(
            status=LeadStatus.CLAIMED, claimed_partner_id=offer.partner_id, claimed_at=now, updated_at=now
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise Conflict(_("This lead has already been claimed."))
    took = db.session.execute(
        sa.update(Offer)
        .where(Offer.id == offer.id, Offer.state == OfferState.OPEN)
        .values(state=OfferState.CLAIMED, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if took != 1:
        raise Conflict(_("This offer is no longer open."))
    lead = db.session.get(Lead, offer.lead_id)
    db.session.refresh(lead)
    db.session.refresh(offer)
    waves.close_other_offers(lead, offer.id, now)

    terms = clocks.lead_terms(lead)
    contact = clocks.first_contact_window(terms, profile, now)
    update = clocks.update_window(terms, now)
    claim = Claim(
        lead_id=lead.id,
        offer_id=offer.id,
        partner_id=offer.partner_id,
        manufacturer_id=lead.manufacturer_id,
        claimed_by_id=actor.id,
        assigned_to_id=actor.id,
        claimed_at=now,
        offer_visible_from=offer.visible_from,
        first_contact_deadline=contact.deadline,
        first_contact_remind_at=contact.remind_at,
        next_update_deadline=update.deadline,
        next_update_remind_at=update.remind_at,
    )
    db.session.add(claim)
    db.session.flush()
    events.record(
        LeadEvent.LEAD_CLAIMED,
        actor=actor,
        manufacturer_id=lead.manufacturer_id,
        partner_id=offer.partner_id,
        lead_id=lead.id,
        offer_id=offer.id,
        claim_id=claim.id,
        data={
            "from": LeadStatus.OFFERED.value,
            "to": LeadStatus.CLAIMED.value,
            "wave": offer.wave,
            "seconds_to_claim": int((now - offer.visible_from).total_seconds())
            if offer.visible_from
            else None,
        },
    )
    announce.lead_claimed(lead, claim, actor)
    _recompute_responsiveness(offer.partner_id, lead.manufacturer_id)
    return claim


def _enrollment_status(offer: Offer) -> EnrollmentStatus | None:
    return db.session.scalar(
        sa.select(Enrollment.status).where(
            Enrollment.manufacturer_id == offer.manufacturer_id, Enrollment.partner_id == offer.partner_id
        )
    )


def decline_offer(
    actor: User, offer: Offer, reason: DeclineReason, text: str | None, rank: waves.Ranker | None = None
) -> None:
    """Decline an open offer with a reason; the partner is excluded from the lead, and if nobody in the
    wave is left the lead moves on to the next wave at once."""
    if offer.partner_id != actor.organisation_id:
        raise NotAllowed(_("This offer is not yours."))
    text = (text or "").strip() or None
    if reason == DeclineReason.OTHER and not text:
        raise DomainError(_("Tell us why when the reason is 'other'."), field="text")
    now = clock.now()
    done = db.session.execute(
        sa.update(Offer)
        .where(Offer.id == offer.id, Offer.state == OfferState.OPEN)
        .values(state=OfferState.DECLINED, decline_reason=reason, decline_text=text, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        db.session.refresh(offer)
        raise Conflict(_("This offer is no longer open (%(state)s).", state=offer.state.value))
    db.session.refresh(offer)
    lead = offer.lead
    events.record(
        LeadEvent.OFFER_DECLINED,
        actor=actor,
        manufacturer_id=lead.manufacturer_id,
        partner_id=offer.partner_id,
        lead_id=lead.id,
        offer_id=offer.id,
        data={"reason": reason.value, "text": text, "wave": offer.wave},
    )
    if lead.status == LeadStatus.OFFERED and waves.wave_is_over(lead):
        _advance_now(lead, rank, reason="declined")
    _recompute_responsiveness(offer.partner_id, lead.manufacturer_id)


def _advance_now(lead: Lead, rank: waves.Ranker | None, reason: str) -> None:
    # Only one caller may advance a wave: claim the step with a conditional update on the wave number.
    step = db.session.execute(
        sa.update(Lead)
        .where(Lead.id == lead.id, Lead.current_wave == lead.current_wave, Lead.status == LeadStatus.OFFERED)
        .values(updated_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if step == 1:
        waves.advance(lead, rank or _default_ranker(), reason=reason)


def _default_ranker() -> waves.Ranker:
    return Matchers()


# --- working a claimed lead -----------------------------------------------------------------------


def _require_active(actor: User, claim: Claim) -> Lead:
    if claim.partner_id != actor.organisation_id:
        raise NotAllowed(_("This lead is not yours."))
    if claim.status != ClaimStatus.ACTIVE:
        raise Conflict(_("This lead is no longer with you (%(status)s).", status=claim.status.value))
    return claim.lead


def _event(type_: LeadEvent, actor: User, claim: Claim, **data) -> Event:
    return events.record(
        type_,
        actor=actor,
        manufacturer_id=claim.manufacturer_id,
        partner_id=claim.partner_id,
        lead_id=claim.lead_id,
        claim_id=claim.id,
        data=data,
    )


def _restart_update_clock(claim: Claim, lead: Lead, at: datetime) -> None:
    window = clocks.update_window(clocks.lead_terms(lead), at)
    claim.last_update_at = at
    claim.next_update_deadline = window.deadline
    claim.next_update_remind_at = window.remind_at
    claim.update_reminded_at = None
    claim.update_breached_at = None


def log_contact(
    actor: User, claim: Claim, channel: ContactChannel, at: datetime | None = None, note: str | None = None
) -> None:
    """Record a contact with the buyer (the first one stops the first-contact clock)."""
    lead = _require_active(actor, claim)
    now = clock.now()
    at = at or now
    if at.tzinfo is None:
        raise DomainError(_("The contact time needs a time zone."), field="at")
    if at > now:
        raise DomainError(_("The contact time cannot be in the future."), field="at")
    if at < claim.claimed_at:
        raise DomainError(_("The contact time cannot be before the claim."), field="at")
    first = claim.first_contact_at is None
    if first:
        claim.first_contact_at = at
        claim.first_contact_channel = channel
    _restart_update_clock(claim, lead, now)
    data = {
        "channel": channel.value,
        "at": at.isoformat(),
        "first": first,
        "note": (note or "").strip() or None,
    }
    if first:
        data["within_deadline"] = claim.first_contact_deadline is None or at <= claim.first_contact_deadline
        data["seconds_to_contact"] = int((at - claim.claimed_at).total_seconds())
    if lead.status == LeadStatus.CLAIMED:
        transition(
            lead,
            LeadStatus.CONTACTED,
            actor,
            LeadEvent.LEAD_CONTACTED,
            partner_id=claim.partner_id,
            claim_id=claim.id,
            **data,
        )
    else:
        _event(LeadEvent.LEAD_CONTACT_LOGGED, actor, claim, **data)
    if first:
        _recompute_responsiveness(claim.partner_id, claim.manufacturer_id)


def update_status(
    actor: User,
    claim: Claim,
    status: LeadStatus,
    *,
    amount: Decimal | None = None,
    currency: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> None:
    """Move the lead forward in the pipeline, or close it as won (with amount) or lost (with reason)."""
    lead = _require_active(actor, claim)
    if status not in (*PIPELINE[2:], *CLOSING, LeadStatus.CONTACTED):
        raise DomainError(_("A partner cannot set the status %(s)s.", s=status.value), field="status")
    if claim.first_contact_at is None:
        raise DomainError(_("Log the first contact before moving the lead on."), field="status")
    if (
        status in PIPELINE
        and lead.status in PIPELINE
        and PIPELINE.index(status) < PIPELINE.index(lead.status)
    ):
        raise DomainError(_("The lead is already past %(s)s.", s=status.value), field="status")
    now = clock.now()
    data: dict = {"note": (note or "").strip() or None}
    if status == LeadStatus.WON:
        if amount is None or amount <= 0:
            raise DomainError(_("A won lead needs the amount won."), field="amount")
        currency = (currency or lead.currency or "").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise DomainError(_("The currency is a three-letter code, e.g. EUR."), field="currency")
        lead.won_amount, lead.won_currency = amount, currency
        data.update(amount=str(amount), currency=currency)
    if status == LeadStatus.LOST:
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(_("Tell us why the lead was lost."), field="reason")
        lead.lost_reason = reason[:300]
        data["reason"] = lead.lost_reason
    if status in CLOSING:
        claim.status = ClaimStatus.WON if status == LeadStatus.WON else ClaimStatus.LOST
        claim.ended_at = now
        claim.next_update_deadline = claim.next_update_remind_at = None
        lead.closed_at = now
    else:
        _restart_update_clock(claim, lead, now)
    if status == lead.status:
        _event(LeadEvent.LEAD_STATUS_CONFIRMED, actor, claim, status=status.value, **data)
        return
    transition(
        lead,
        status,
        actor,
        CLOSING.get(status, LeadEvent.LEAD_STATUS_CHANGED),
        partner_id=claim.partner_id,
        claim_id=claim.id,
        **data,
    )
    if status in CLOSING:
        _recompute_responsiveness(claim.partner_id, claim.manufacturer_id)


def add_note(actor: User, claim: Claim, text: str) -> None:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("The note is empty."), field="text")
    if claim.partner_id != actor.organisation_id:
        raise NotAllowed(_("This lead is not yours."))
    _event(LeadEvent.LEAD_NOTE_ADDED, actor, claim, text=text[:4000])


def assign(actor: User, claim: Claim, assignee: User) -> None:
    """A partner admin hands a claimed lead to a colleague."""
    _require_active(actor, claim)
    if not can(actor, Permission.ASSIGN_LEADS):
        raise NotAllowed(_("Only a partner admin assigns leads."))
    if assignee.organisation_id != claim.partner_id or not assignee.is_active:
        raise DomainError(_("Assign to an active member of your team."), field="assignee")
    if assignee.password_hash is None:
        raise DomainError(
            _("%(name)s has not accepted the invitation yet.", name=assignee.name), field="assignee"
        )
    previous = claim.assigned_to_id
    claim.assigned_to_id = assignee.id
    _event(LeadEvent.LEAD_ASSIGNED, actor, claim, assignee_id=assignee.id, previous_assignee_id=previous)
    if assignee.id != actor.id:
        announce.lead_assigned(claim.lead, claim, assignee, actor)


def return_lead(actor: User, claim: Claim, reason: str) -> None:
    """Hand the lead back to the manufacturer; this partner is excluded from it from now on."""
    lead = _require_active(actor, claim)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Tell the manufacturer why you return the lead."), field="reason")
    now = clock.now()
    claim.status = ClaimStatus.RETURNED
    claim.ended_at = now
    claim.end_reason = reason[:500]
    if claim.offer is not None:
        claim.offer.state = OfferState.RETURNED
    lead.claimed_partner_id = None
    webhooks.redact_deliveries(lead, claim.partner_id)
    notifications.redact_notifications(lead, claim.partner_id)
    transition(
        lead,
        LeadStatus.RETURNED,
        actor,
        LeadEvent.LEAD_RETURNED,
        partner_id=claim.partner_id,
        claim_id=claim.id,
        offer_id=claim.offer_id,
        reason=claim.end_reason,
    )
    _recompute_responsiveness(claim.partner_id, claim.manufacturer_id)


def _recompute_responsiveness(partner_id: int, manufacturer_id: int) -> None:
    jobs.enqueue("partners.responsiveness", partner_id, manufacturer_id)
