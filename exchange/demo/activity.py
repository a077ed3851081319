"""What the demo's leads went through: a track record worked to an end over the past year (through the
same services as the portal, under a frozen clock), most drafts published now, and a few claimed by
the demo partner.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from exchange.accounts import users as accounts
from exchange.demo.data import CAMPAIGNS, HISTORY_DAYS, HISTORY_SOURCE_IDS, PERSONAS, UNCLAIMED_SHARE
from exchange.leads.lifecycle import publish_leads
from exchange.models import (
    Campaign,
    Claim,
    ClaimStatus,
    ContactChannel,
    DeclineReason,
    Lead,
    LeadStatus,
    Offer,
    OfferState,
    Organisation,
    Role,
    User,
)
from exchange.offers import claims
from exchange.offers.matchmaking import match_leads
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.sla import responsiveness
from exchange.sla.sweep import run_sweep


def _drafts(maker: Organisation, source_ids: str) -> list[Lead]:
    """The maker's demo leads still in draft whose source id is LIKE ``source_ids``, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Lead)
            .where(
                Lead.manufacturer_id == maker.id,
                Lead.status == LeadStatus.DRAFT,
                Lead.source_id.like(source_ids),
            )
            .order_by(Lead.id)
        )
    )


def publish_most(makers) -> int:
    """Publish four in five demo drafts through the matching engine, so partners open full lists."""
    published = 0
    for maker in makers:
        chosen = [lead for lead in _drafts(maker, "DEMO-%") if int(lead.source_id[5:]) % 5]
        publish_leads(None, chosen, kind="cli")
        db.session.flush()
        match_leads(
            [lead.id for lead in chosen]
        )  # now, not later: the demo opens with offers (the job finds them done)
        published += len(chosen)
    return published


def _let_lapse(lead: Lead, frozen: clock.FrozenClock, now) -> None:
    """Let every wave of ``lead`` lapse, sweeping after each claim window, until it is returned."""
    for _ in range(12):
        if lead.status != LeadStatus.OFFERED:
            return
        deadline = db.session.scalar(
            sa.select(sa.func.max(Offer.claim_deadline)).where(
                Offer.lead_id == lead.id, Offer.state == OfferState.OPEN
            )
        )
        if deadline is None or deadline >= now:
            return
        frozen.set(deadline + timedelta(minutes=1))
        run_sweep()
        db.session.refresh(lead)


def _breach(claim: Claim, frozen: clock.FrozenClock, now, rng: random.Random, user: User) -> bool:
    """A bad partner lets a clock run out: no first contact by its deadline, or (after a first call) no
    update by the next one; the sweep records the breach and recycles the lead. False (nothing done)
    when the deadline would fall after today."""
    if rng.random() < 0.6:
        deadline = claim.first_contact_deadline
    else:
        frozen.set(min(claim.claimed_at + timedelta(minutes=rng.randint(10, 50)), now - timedelta(hours=1)))
        claims.log_contact(user, claim, ContactChannel.CALL)
        deadline = claim.next_update_deadline
    if deadline is None or deadline + timedelta(minutes=1) >= now - timedelta(hours=1):
        return False
    frozen.set(deadline + timedelta(minutes=1))
    run_sweep()
    db.session.refresh(claim)
    return claim.status != ClaimStatus.ACTIVE


def _persona(partner: Organisation) -> str:
    if partner.slug == "demo-partner":
        return "fast"  # the partner the demo logins belong to is one of the good ones
    roll = random.Random(f"persona-{partner.slug}").random()
    for name, (share, *_rest) in PERSONAS.items():
        if roll < share:
            return name
        roll -= share
    return "steady"


def play_history(makers) -> int:
    """Publish the history leads in the past (a frozen clock), let the offered partners claim or
    decline as their persona says, make first contact and close each lead won or lost. Acts through the
    same services as the portal, as each partner's (inactive, password-less) sales desk user."""
    desks: dict[int, User] = {}

    def desk(partner: Organisation) -> User:
        if partner.id not in desks:
            # The demo partner's own history is its rep's; every other partner's is a sales desk's.
            email = (
                "partner.rep@demo.test"
                if partner.slug == "demo-partner"
                else f"sales@{partner.slug}.demo.test"
            )
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                user = accounts.create_user(partner, email=email, name="Sales desk", role=Role.PARTNER_REP)
                user.is_active_user = False  # history only: no sign-in, no notifications
            desks[partner.id] = user
        return desks[partner.id]

    worked = 0
    now = clock.now()
    win_factor = {name: factor for name, *_rest, factor in CAMPAIGNS}
    for maker in makers:
        leads = _drafts(maker, HISTORY_SOURCE_IDS)
        if not leads:
            continue
        factors = {
            campaign.id: win_factor.get(campaign.name, 1.0)
            for campaign in db.session.scalars(
                sa.select(Campaign).where(Campaign.manufacturer_id == maker.id)
            )
        }
        first, last = HISTORY_DAYS
        step = (first - last) * 24 * 60 / len(leads)
        for index, lead in enumerate(leads):
            rng = random.Random(f"history-{lead.source_id}-{maker.slug}")
            at = now - timedelta(days=first) + timedelta(minutes=index * step + rng.randint(0, 60))
            lead.created_at = min(lead.created_at, at - timedelta(hours=rng.randint(1, 48)))
            with clock.frozen(at) as frozen:
                publish_leads(None, [lead], kind="cli")
                db.session.flush()
                match_leads([lead.id])
                offers = list(
                    db.session.scalars(
                        sa.select(Offer)
                        .where(Offer.lead_id == lead.id, Offer.state == OfferState.OPEN)
                        .order_by(Offer.score.desc())
                    )
                )
                if offers and rng.random() < UNCLAIMED_SHARE:
                    _let_lapse(lead, frozen, now)  # nobody wanted it: every wave lapses, leakage
                    db.session.flush()
                    continue
                for position, offer in enumerate(offers):
                    partner = offer.partner
                    _share, to_claim, to_contact, decline, win, neglect, give_back = PERSONAS[
                        _persona(partner)
                    ]
                    user = desk(partner)
                    if position < len(offers) - 1 and rng.random() < decline:
                        frozen.set(at + timedelta(minutes=rng.randint(5, 90)))
                        claims.decline_offer(user, offer, rng.choice(list(DeclineReason)[:6]), None)
                        continue
                    # Within the claim window (a slow partner claims near its end), never after today.
                    claimed_at = at + timedelta(minutes=rng.randint(*to_claim))
                    if offer.claim_deadline is not None:
                        claimed_at = min(
                            claimed_at, offer.claim_deadline - timedelta(minutes=rng.randint(1, 30))
                        )
                    frozen.set(min(max(claimed_at, at), now - timedelta(hours=2)))
                    claim = claims.claim_offer(user, offer)
                    if rng.random() < neglect and _breach(claim, frozen, now, rng, user):
                        _let_lapse(lead, frozen, now)  # recycled: the next waves lapse too
                        break
                    contacted = claim.claimed_at + timedelta(minutes=rng.randint(*to_contact))
                    frozen.set(min(contacted, now - timedelta(hours=1)))
                    claims.log_contact(user, claim, rng.choice(list(ContactChannel)))
                    frozen.set(
                        min(clock.now() + timedelta(days=rng.randint(2, 20)), now - timedelta(minutes=5))
                    )
                    if rng.random() < give_back:
                        claims.return_lead(
                            user, claim, rng.choice(["Not our kind of project", "Too far away"])
                        )
                    elif rng.random() < win * factors.get(lead.campaign_id, 1.0):
                        value = lead.estimated_value or Decimal(20000)
                        amount = Decimal(
                            max(1000, int(value * Decimal(str(round(rng.uniform(0.6, 1.2), 2)))))
                        )
                        claims.update_status(
                            user, claim, LeadStatus.WON, amount=amount, currency=lead.currency
                        )
                    else:
                        reason = rng.choice(["Price", "Went with a rival", "No budget"])
                        claims.update_status(user, claim, LeadStatus.LOST, reason=reason)
                    worked += 1
                    break
                db.session.flush()
    if worked:
        responsiveness.recompute_all()
    return worked


def work_some(partner: Organisation) -> int:
    """A little history for the demo partner: a few claimed leads, contacted, one won."""
    current = sa.select(Claim.id).join(Lead, Lead.id == Claim.lead_id)
    current = current.where(Claim.partner_id == partner.id, sa.not_(Lead.source_id.like(HISTORY_SOURCE_IDS)))
    if db.session.scalar(current.limit(1)):  # the history's claims do not count
        return 0
    rep = db.session.scalar(sa.select(User).where(User.email == "partner.rep@demo.test"))
    offers = list(
        db.session.scalars(
            sa.select(Offer)
            .where(Offer.partner_id == partner.id, Offer.state == OfferState.OPEN)
            .order_by(Offer.score.desc(), Offer.id)
            .limit(4)
        )
    )
    for index, offer in enumerate(offers):
        claim = claims.claim_offer(rep, offer)
        if index < 3:
            claims.log_contact(rep, claim, ContactChannel.CALL, note="Demo: first call")
        if index == 0:
            claims.update_status(rep, claim, LeadStatus.WON, amount=Decimal("42000"), currency="EUR")
        db.session.flush()
    return len(offers)
