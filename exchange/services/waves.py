"""Waves: who sees a published lead, exclusively, and when it moves on.

A published lead is offered to the best K eligible partners (wave 1) for the claim window of its
temperature; when every offer of a wave has lapsed or been declined, the next K (waves 2..N); after
the last wave an open pool of every eligible partner; when the pool lapses the lead returns to the
manufacturer as unclaimed (leakage). A claim closes the lead's other offers (``exchange.services.claims``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from exchange import clock
from exchange.extensions import db
from exchange.models import Lead, LeadStatus, Offer, OfferState, PartnerProfile
from exchange.services import announce, clocks
from exchange.services.leads import transition


@dataclass(frozen=True)
class Candidate:
    """One eligible partner for a lead, as ranked by the matching engine."""

    partner_id: int
    score: float
    components: dict[str, float] = field(default_factory=dict)
    explanation: str = ""
    reasons: tuple[tuple[str, dict[str, Any]], ...] = ()


class Ranker(Protocol):
    """The lead's eligible partners, best first, leaving out ``skip``, at most ``limit`` of them
    (``exchange.services.matchmaking.Matchers`` is the real one)."""

    def __call__(
        self, lead: Lead, skip: Iterable[int] = (), limit: int | None = None
    ) -> Sequence[Candidate]: ...


def wave_size(lead: Lead) -> int:
    return max(1, lead.manufacturer.program.wave_size if lead.manufacturer.program else 3)


def pool_wave(terms: dict[str, Any]) -> int:
    """The open pool comes after the last wave."""
    return int(terms.get("waves", 3)) + 1


def _profiles(partner_ids: Sequence[int]) -> dict[int, PartnerProfile]:
    if not partner_ids:
        return {}
    rows = db.session.scalars(sa.select(PartnerProfile).where(PartnerProfile.partner_id.in_(partner_ids)))
    return {profile.partner_id: profile for profile in rows}


def _existing_offers(lead: Lead) -> dict[int, Offer]:
    return {o.partner_id: o for o in db.session.scalars(sa.select(Offer).where(Offer.lead_id == lead.id))}


def open_offers(
    lead: Lead, candidates: Sequence[Candidate], wave: int, now: datetime | None = None
) -> list[Offer]:
    """Make ``candidates`` the open offers of ``wave`` (creating or reopening offer rows)."""
    now = now or clock.now()
    terms = clocks.lead_terms(lead)
    profiles = _profiles([c.partner_id for c in candidates])
    existing = _existing_offers(lead)
    opened: list[Offer] = []
    for rank, candidate in enumerate(candidates, start=1):
        window = clocks.claim_window(terms, profiles.get(candidate.partner_id), now)
        offer = existing.get(candidate.partner_id)
        if offer is None:
            offer = Offer(
                lead_id=lead.id, partner_id=candidate.partner_id, manufacturer_id=lead.manufacturer_id
            )
            db.session.add(offer)
        offer.score = round(min(1.0, max(0.0, candidate.score)), 12)
        offer.components = dict(candidate.components)
        offer.reasons = [[code, params] for code, params in candidate.reasons]
        offer.explanation = candidate.explanation[:300] or None
        offer.rank = rank
        offer.wave = wave
        offer.state = OfferState.OPEN
        offer.visible_from = now
        offer.claim_deadline = window.deadline
        offer.remind_at = window.remind_at
        offer.reminded_at = None
        offer.first_shown_at = None
        offer.closed_at = None
        opened.append(offer)
    db.session.flush()
    for offer in opened:
        announce.offer_created(lead, offer)
    return opened


def start_waves(lead: Lead, ranked: Sequence[Candidate], now: datetime | None = None) -> list[Offer]:
    """Offer a freshly published lead to its first wave (or the pool if waves are disabled)."""
    now = now or clock.now()
    terms = clocks.lead_terms(lead)
    if not ranked:
        return []
    waves = int(terms.get("waves", 3))
    chosen = list(ranked[: wave_size(lead)]) if waves >= 1 else list(ranked)
    wave = 1 if waves >= 1 else pool_wave(terms)
    offers = open_offers(lead, chosen, wave, now)
    lead.current_wave = wave
    transition(
        lead, LeadStatus.OFFERED, None, "lead.offered", wave=wave, partners=[c.partner_id for c in chosen]
    )
    return offers


def advance(lead: Lead, rank: Ranker, now: datetime | None = None, *, reason: str = "lapsed") -> str:
    """Move a lead whose current wave has no open offer left to its next wave, the pool, or back to the
    manufacturer. Returns what happened: ``"wave"``, ``"pool"`` or ``"returned"``. The caller has made
    sure (with a row lock or a conditional update) that it alone advances this lead."""
    now = now or clock.now()
    terms = clocks.lead_terms(lead)
    _close(lead, [OfferState.OPEN], OfferState.EXPIRED, now)
    pool = pool_wave(terms)
    next_wave = lead.current_wave + 1
    if next_wave < pool:
        # A wave goes to partners who have not had this lead yet.
        fresh = list(rank(lead, skip=set(_existing_offers(lead)), limit=wave_size(lead)))
        if fresh:
            open_offers(lead, fresh, next_wave, now)
            previous, lead.current_wave = lead.current_wave, next_wave
            transition(
                lead,
                LeadStatus.OFFERED,
                None,
                "lead.wave_advanced",
                wave=next_wave,
                previous_wave=previous,
                reason=reason,
                partners=[c.partner_id for c in fresh],
            )
            return "wave"
        next_wave = pool  # nobody new is left: straight to the open pool
    if next_wave == pool or (reason == "recycled" and lead.current_wave == pool):
        # The open pool: every eligible partner, including earlier waves' (the ranker leaves out
        # those who declined, returned or were recycled away).
        available = list(rank(lead))
        if available:
            open_offers(lead, available, pool, now)
            previous, lead.current_wave = lead.current_wave, pool
            transition(
                lead,
                LeadStatus.OFFERED,
                None,
                "lead.pool_opened",
                wave=pool,
                previous_wave=previous,
                reason=reason,
                partners=[c.partner_id for c in available],
            )
            return "pool"
    return_unclaimed(lead, now)
    return "returned"


def return_unclaimed(lead: Lead, now: datetime | None = None) -> None:
    """No partner claimed the lead in any wave: it goes back to the manufacturer, counted as leakage."""
    now = now or clock.now()
    _close(lead, [OfferState.OPEN, OfferState.PENDING], OfferState.EXPIRED, now)
    transition(lead, LeadStatus.UNCLAIMED, None, "lead.unclaimed", waves=lead.current_wave)


def _close(lead: Lead, states: list[OfferState], to_state: OfferState, now: datetime) -> int:
    return db.session.execute(
        sa.update(Offer)
        .where(Offer.lead_id == lead.id, Offer.state.in_(states))
        .values(state=to_state, closed_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount


def close_other_offers(lead: Lead, keep_offer_id: int, now: datetime) -> int:
    """After a claim: every other open or pending offer of the lead is taken."""
    return db.session.execute(
        sa.update(Offer)
        .where(
            Offer.lead_id == lead.id,
            Offer.id != keep_offer_id,
            Offer.state.in_([OfferState.OPEN, OfferState.PENDING]),
        )
        .values(state=OfferState.TAKEN, closed_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount


def wave_is_over(lead: Lead) -> bool:
    """True when the lead's current wave has no open offer left."""
    return not db.session.scalar(
        sa.select(sa.exists().where(Offer.lead_id == lead.id, Offer.state == OfferState.OPEN))
    )
