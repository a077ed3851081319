"""The SLA sweep: reminders, breaches, recycling, lapsed waves, leads out of waves.

Runs every minute (RQ cron in production, the in-process timer in the embedded default, or once with
``flask sla sweep``). Idempotent and safe when two sweeps run at once: every action is claimed with a
conditional UPDATE (``... WHERE reminded_at IS NULL``, ``... WHERE status = 'active'``,
``... WHERE current_wave = <seen>``), so of two sweeps exactly one acts on each row; the other's
UPDATE matches nothing (on PostgreSQL it waits for the first sweep's row lock, then re-checks).
Work is done in batches, each committed with the events and notifications it caused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from exchange.models import Claim, ClaimStatus, Lead, LeadStatus, Offer, OfferState
from exchange.notify import announce, notifications, webhooks
from exchange.offers import waves
from exchange.offers.matchmaking import Matchers
from exchange.platform import clock, events, jobs, unit_of_work
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from exchange.sla import clocks
from exchange.sla.vocabulary import SlaClock

BATCH = 500
SUMMARY_KEYS = ("reminded", "breached", "recycled", "waves_advanced", "returned")


def run_sweep(now: datetime | None = None, rank: waves.Ranker | None = None) -> dict[str, int]:
    """One sweep. Returns ``{"reminded", "breached", "recycled", "waves_advanced", "returned"}``."""
    now = now or clock.now()
    rank = rank or _default_ranker()
    summary: Counter[str] = Counter({key: 0 for key in SUMMARY_KEYS})
    summary["reminded"] += _remind_offers(now)
    summary["reminded"] += _remind_claims(now, SlaClock.FIRST_CONTACT)
    summary["reminded"] += _remind_claims(now, SlaClock.UPDATE)
    for key, value in _breaches(now, rank).items():
        summary[key] += value
    for key, value in _lapsed_offers(now, rank).items():
        summary[key] += value
    return {key: summary[key] for key in SUMMARY_KEYS}


def _default_ranker() -> waves.Ranker:
    return Matchers()  # each programme's partners loaded once per sweep


def _batches(statement_factory) -> Iterable[list]:
    """Run a conditional ``UPDATE ... RETURNING`` in batches until it matches nothing; commit each."""
    while True:
        rows = db.session.execute(statement_factory()).all()
        if not rows:
            return
        yield rows
        # What a batch claimed is done and stored before the next: a sweep that dies keeps it, and
        # the rows are not locked for the whole sweep.
        unit_of_work.checkpoint()
        if len(rows) < BATCH:
            return


def _limited(model, *conditions):
    """Primary keys of at most ``BATCH`` rows matching ``conditions`` (a subquery for UPDATE ... IN)."""
    return sa.select(model.id).where(*conditions).order_by(model.id).limit(BATCH).scalar_subquery()


# --- reminders ------------------------------------------------------------------------------------


def _remind_offers(now: datetime) -> int:
    due = (
        Offer.state == OfferState.OPEN,
        Offer.reminded_at.is_(None),
        Offer.remind_at <= now,
        Offer.claim_deadline > now,
    )
    count = 0
    for rows in _batches(
        lambda: (
            sa.update(Offer)
            .where(Offer.id.in_(_limited(Offer, *due)), *due)
            .values(reminded_at=now)
            .returning(Offer.id)
            .execution_options(synchronize_session=False)
        )
    ):
        offers = db.session.scalars(
            sa.select(Offer).options(selectinload(Offer.lead)).where(Offer.id.in_([r.id for r in rows]))
        )
        for offer in offers:
            events.record(
                LeadEvent.SLA_REMINDED,
                manufacturer_id=offer.manufacturer_id,
                partner_id=offer.partner_id,
                lead_id=offer.lead_id,
                offer_id=offer.id,
                data={"clock": SlaClock.CLAIM, "deadline": offer.claim_deadline.isoformat()},
            )
            announce.offer_expiring(offer.lead, offer)
        count += len(rows)
    return count


CLAIM_CLOCKS = {
    # clock -> (remind_at column, reminded_at column, deadline column, extra condition)
    SlaClock.FIRST_CONTACT: (
        Claim.first_contact_remind_at,
        Claim.first_contact_reminded_at,
        Claim.first_contact_deadline,
        Claim.first_contact_at.is_(None),
    ),
    SlaClock.UPDATE: (
        Claim.next_update_remind_at,
        Claim.update_reminded_at,
        Claim.next_update_deadline,
        sa.true(),
    ),
}


def _remind_claims(now: datetime, clock_name: SlaClock) -> int:
    remind_at, reminded_at, deadline, extra = CLAIM_CLOCKS[clock_name]
    due = (Claim.status == ClaimStatus.ACTIVE, reminded_at.is_(None), remind_at <= now, deadline > now, extra)
    count = 0
    for rows in _batches(
        lambda: (
            sa.update(Claim)
            .where(Claim.id.in_(_limited(Claim, *due)), *due)
            .values({reminded_at: now})
            .returning(Claim.id)
            .execution_options(synchronize_session=False)
        )
    ):
        claims = db.session.scalars(
            sa.select(Claim).options(selectinload(Claim.lead)).where(Claim.id.in_([r.id for r in rows]))
        )
        for claim in claims:
            events.record(
                LeadEvent.SLA_REMINDED,
                manufacturer_id=claim.manufacturer_id,
                partner_id=claim.partner_id,
                lead_id=claim.lead_id,
                claim_id=claim.id,
                data={"clock": clock_name, "deadline": getattr(claim, deadline.key).isoformat()},
            )
            announce.claim_reminder(claim.lead, claim, clock_name)
        count += len(rows)
    return count


# --- breaches -------------------------------------------------------------------------------------

BREACH_CLOCKS = {
    SlaClock.FIRST_CONTACT: (
        Claim.first_contact_deadline,
        Claim.first_contact_breached_at,
        Claim.first_contact_at.is_(None),
    ),
    SlaClock.UPDATE: (Claim.next_update_deadline, Claim.update_breached_at, sa.true()),
}


def _breaches(now: datetime, rank: waves.Ranker) -> Counter[str]:
    result: Counter[str] = Counter()
    for clock_name, (deadline, breached_at, extra) in BREACH_CLOCKS.items():
        due = (Claim.status == ClaimStatus.ACTIVE, breached_at.is_(None), deadline <= now, extra)
        for rows in _batches(
            lambda due=due, breached_at=breached_at: (
                sa.update(Claim)
                .where(Claim.id.in_(_limited(Claim, *due)), *due)
                .values({breached_at: now})
                .returning(Claim.id)
                .execution_options(synchronize_session=False)
            )
        ):
            result["breached"] += len(rows)
            result["recycled"] += _breach_batch([r.id for r in rows], clock_name, now, rank)
    return result


def _breach_batch(claim_ids: list[int], clock_name: SlaClock, now: datetime, rank: waves.Ranker) -> int:
    """Record each breach; recycle the leads whose terms say so. Returns how many were recycled."""
    claims = list(
        db.session.scalars(
            sa.select(Claim)
            .options(selectinload(Claim.lead), selectinload(Claim.offer))
            .where(Claim.id.in_(claim_ids))
            .order_by(Claim.id)
        )
    )
    to_recycle = []
    for claim in claims:
        lead = claim.lead
        recycle = clocks.lead_terms(lead).get("breach_action", "recycle") == "recycle"
        deadline = (
            claim.first_contact_deadline
            if clock_name is SlaClock.FIRST_CONTACT
            else claim.next_update_deadline
        )
        events.record(
            LeadEvent.SLA_BREACHED,
            manufacturer_id=claim.manufacturer_id,
            partner_id=claim.partner_id,
            lead_id=lead.id,
            claim_id=claim.id,
            offer_id=claim.offer_id,
            data={
                "clock": clock_name,
                "action": "recycle" if recycle else "remind",
                "deadline": deadline.isoformat(),
            },
        )
        announce.sla_breached(lead, claim, clock_name, recycled=recycle)
        if recycle:
            to_recycle.append(claim.id)
    if not to_recycle:
        return 0
    # Revoke only claims still active (a concurrent sweep, or the partner returning the lead, wins).
    revoked_ids = set(
        db.session.scalars(
            sa.update(Claim)
            .where(Claim.id.in_(to_recycle), Claim.status == ClaimStatus.ACTIVE)
            .values(status=ClaimStatus.REVOKED, ended_at=now, end_reason=f"SLA breach: {clock_name}")
            .returning(Claim.id)
            .execution_options(synchronize_session=False)
        )
    )
    recycled = [claim for claim in claims if claim.id in revoked_ids]
    leads = []
    for claim in recycled:
        lead = claim.lead
        if claim.offer is not None:
            claim.offer.state = OfferState.RECYCLED
            claim.offer.closed_at = now
        lead.claimed_partner_id = None
        webhooks.redact_deliveries(lead, claim.partner_id)
        notifications.redact_notifications(lead, claim.partner_id)
        events.record(
            LeadEvent.LEAD_RECYCLED,
            manufacturer_id=lead.manufacturer_id,
            partner_id=claim.partner_id,
            lead_id=lead.id,
            claim_id=claim.id,
            data={"clock": clock_name, "from": lead.status.value},
        )
        announce.lead_recycled(lead, claim, clock_name)
        leads.append(lead)
    db.session.flush()
    waves.advance_many(leads, rank, now, reason="recycled")

    for partner_id, manufacturer_id in sorted({(c.partner_id, c.manufacturer_id) for c in recycled}):
        jobs.enqueue("partners.responsiveness", partner_id, manufacturer_id)
    return len(recycled)


# --- lapsed claim windows ---------------------------------------------------------------------------


def _lapsed_offers(now: datetime, rank: waves.Ranker) -> Counter[str]:
    result: Counter[str] = Counter()
    due = (Offer.state == OfferState.OPEN, Offer.claim_deadline <= now)
    for rows in _batches(
        lambda: (
            sa.update(Offer)
            .where(Offer.id.in_(_limited(Offer, *due)), *due)
            .values(state=OfferState.EXPIRED, closed_at=now)
            .returning(Offer.id, Offer.lead_id)
            .execution_options(synchronize_session=False)
        )
    ):
        for outcome in advance_lapsed(sorted({row.lead_id for row in rows}), now, rank).values():
            result["returned" if outcome == "returned" else "waves_advanced"] += 1
    return result


def advance_lapsed(
    lead_ids: list[int], now: datetime, rank: waves.Ranker, *, reason: str = "lapsed"
) -> dict[int, str]:
    """Advance the leads that are still offered and have no open offer left - each exactly once: the
    leads are locked (PostgreSQL: ``FOR UPDATE``; SQLite has one writer at a time) and re-checked
    after the lock, so a concurrent sweep that advanced one first leaves it with open offers again."""
    leads = list(
        db.session.scalars(
            sa.select(Lead)
            .where(Lead.id.in_(lead_ids), Lead.status == LeadStatus.OFFERED)
            .order_by(Lead.id)
            .with_for_update()
            # the state after any concurrent sweep that held the lock committed, not what the session had
            .execution_options(populate_existing=True)
        )
    )
    if not leads:
        return {}
    busy = waves.leads_with_open_offers([lead.id for lead in leads])
    ready = [lead for lead in leads if lead.id not in busy and lead.status == LeadStatus.OFFERED]
    return waves.advance_many(ready, rank, now, reason=reason)
