"""What an enrollment change means for offers and claims (docs/enrollment.md).

Suspending or ending a partner's enrollment closes its open and pending offers on the programme's
leads (``withdrawn``, an ``offer.withdrawn`` event each) and moves on each lead left without an open
offer, as a lapsed wave would (next wave, the pool, or back to the manufacturer). Its claims stay
its own until the manufacturer reassigns them: the claim is revoked, its offer excludes the partner
from the lead for good, the SLA clocks of the claim stop, ``lead.reassigned`` records who and why,
and the lead goes back to matching the way an SLA recycle does.

The status changes themselves are ``exchange.partners.enrollments``; this module is the one the pages
and the API call to suspend, end or reassign.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.models import Claim, ClaimStatus, Enrollment, EnrollmentStatus, Lead, Offer, OfferState, User
from exchange.notify import notifications, webhooks
from exchange.offers import waves
from exchange.offers.matchmaking import Matchers
from exchange.partners import enrollments
from exchange.platform import clock, events, jobs
from exchange.platform.errors import Conflict, DomainError
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from exchange.sla import sweep

CLOSABLE = (OfferState.OPEN, OfferState.PENDING)
REASSIGNABLE_FROM = frozenset({EnrollmentStatus.SUSPENDED, EnrollmentStatus.ENDED})


def suspend(actor: User, enrollment: Enrollment, reason: str, rank: waves.Ranker | None = None) -> int:
    """Suspend the enrollment and close the partner's open offers. Returns how many offers closed."""
    enrollments.mark_suspended(actor, enrollment, reason)
    return close_open_offers(actor, enrollment, "enrollment_suspended", rank)


def end(actor: User, enrollment: Enrollment, reason: str, rank: waves.Ranker | None = None) -> int:
    """End the enrollment (an open invitation: withdraw it) and close the partner's open offers."""
    enrollments.mark_ended(actor, enrollment, reason)
    return close_open_offers(actor, enrollment, "enrollment_ended", rank)


def close_open_offers(
    actor: User | None, enrollment: Enrollment, why: str, rank: waves.Ranker | None = None
) -> int:
    """The partner's open and pending offers on this manufacturer's leads close as ``withdrawn``; a
    lead left without an open offer moves on to its next wave (or the pool, or back)."""
    now = clock.now()
    offers = db.session.scalars(
        sa.select(Offer)
        .where(
            Offer.partner_id == enrollment.partner_id,
            Offer.manufacturer_id == enrollment.manufacturer_id,
            Offer.state.in_(CLOSABLE),
        )
        .order_by(Offer.id)
        .with_for_update()
    ).all()
    for offer in offers:
        before = offer.state
        offer.state = OfferState.WITHDRAWN
        offer.closed_at = now
        events.record(
            LeadEvent.OFFER_WITHDRAWN,
            actor=actor,
            manufacturer_id=offer.manufacturer_id,
            partner_id=offer.partner_id,
            lead_id=offer.lead_id,
            offer_id=offer.id,
            data={"from": before.value, "to": OfferState.WITHDRAWN.value, "reason": why},
        )
    db.session.flush()
    lead_ids = sorted({offer.lead_id for offer in offers})
    if lead_ids:
        # The same step as a lapsed wave: each lead locked, advanced once, only if nobody is left.
        sweep.advance_lapsed(lead_ids, now, rank or Matchers(), reason=why)
    return len(offers)


def active_claims(enrollment: Enrollment) -> sa.Select[tuple[Claim]]:
    """The partner's active claims on this manufacturer's leads, oldest first."""
    return (
        sa.select(Claim)
        .where(
            Claim.partner_id == enrollment.partner_id,
            Claim.manufacturer_id == enrollment.manufacturer_id,
            Claim.status == ClaimStatus.ACTIVE,
        )
        .order_by(Claim.claimed_at, Claim.id)
    )


def reassign_claims(
    actor: User,
    enrollment: Enrollment,
    claim_ids: Collection[int] | None = None,
    reason: str | None = None,
    rank: waves.Ranker | None = None,
) -> list[Claim]:
    """Take the suspended or ended partner's active claims (all, or those in ``claim_ids``) and give
    their leads back to matching without that partner. Returns the reassigned claims."""
    enrollments.require_manufacturer_admin(actor, enrollment)
    if enrollment.status not in REASSIGNABLE_FROM:
        raise Conflict(
            _("Claims are reassigned only from a suspended or ended partner; suspend or end it first."),
            field="status",
        )
    reason = (reason or "").strip()[:500] or None
    query = active_claims(enrollment).with_for_update()
    if claim_ids is not None:
        wanted = {int(i) for i in claim_ids}
        if not wanted:
            raise DomainError(_("Choose the claims to reassign."), field="claim_ids")
        query = query.where(Claim.id.in_(wanted))
    claims = list(db.session.scalars(query))
    if claim_ids is not None and {c.id for c in claims} != wanted:
        raise DomainError(
            _("Some of these claims are not this partner's active claims in your programme."),
            field="claim_ids",
        )
    if not claims:
        return []
    now = clock.now()
    leads: list[Lead] = []
    for claim in claims:
        lead = claim.lead
        claim.status = ClaimStatus.REVOKED
        claim.ended_at = now
        claim.end_reason = (reason or _("Reassigned by the manufacturer"))[:500]
        # The claim's SLA clocks stop: nothing is due or reminded any more.
        claim.first_contact_remind_at = None
        claim.next_update_deadline = claim.next_update_remind_at = None
        if claim.offer is not None:
            claim.offer.state = OfferState.RECYCLED  # excludes the partner from the lead for good
            claim.offer.closed_at = now
        lead.claimed_partner_id = None
        webhooks.redact_deliveries(lead, claim.partner_id)
        notifications.redact_notifications(lead, claim.partner_id)
        events.record(
            LeadEvent.LEAD_REASSIGNED,
            actor=actor,
            manufacturer_id=lead.manufacturer_id,
            partner_id=claim.partner_id,
            lead_id=lead.id,
            claim_id=claim.id,
            offer_id=claim.offer_id,
            data={
                "from": lead.status.value,
                "reason": reason,
                "enrollment_id": enrollment.id,
                "enrollment_status": enrollment.status.value,
            },
        )
        leads.append(lead)
    db.session.flush()
    waves.advance_many(leads, rank or Matchers(), now, reason="reassigned")
    jobs.enqueue("partners.responsiveness", enrollment.partner_id, enrollment.manufacturer_id)
    return claims
