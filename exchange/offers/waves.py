"""Waves: who sees a published lead, exclusively, and when it moves on.

A published lead is offered to the best K eligible partners (wave 1) for the claim window of its
temperature; when every offer of a wave has lapsed or been declined, the next K (waves 2..N); after
the last wave an open pool of every eligible partner; when the pool lapses the lead returns to the
manufacturer as unclaimed (leakage). A claim closes the lead's other offers (``exchange.offers.claims``).

Everything here works on many leads at once (the sweep moves thousands in one go) with a handful of
queries per batch; the single-lead functions are the same code with a batch of one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from exchange.leads.lifecycle import transition
from exchange.models import Lead, LeadStatus, Offer, OfferState, PartnerProfile
from exchange.models.offer import TEMPERATURE_PRIORITY
from exchange.notify import announce
from exchange.partners.availability import paused_clause
from exchange.platform import clock
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from exchange.sla import clocks

# A lead whose claim ended this way goes to the open pool again even when it came from the pool.
REOPENING_REASONS = frozenset({"recycled", "reassigned"})


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
    (``exchange.offers.matchmaking.Matchers`` is the real one; it also ranks many leads at once
    with ``rank_many``)."""

    def __call__(
        self, lead: Lead, skip: Iterable[int] = (), limit: int | None = None
    ) -> Sequence[Candidate]: ...


def wave_size(lead: Lead) -> int:
    return max(1, lead.manufacturer.program.wave_size if lead.manufacturer.program else 3)


def pool_wave(terms: dict[str, Any]) -> int:
    """The open pool comes after the last wave."""
    return int(terms.get("waves", 3)) + 1


def in_open_pool(offer: Offer) -> bool:
    """Whether the offer is part of the open pool (every eligible partner, the first claim wins)
    rather than an exclusive wave."""
    return offer.wave >= pool_wave(clocks.lead_terms(offer.lead))


def _existing_offers(lead_ids: Sequence[int]) -> dict[int, dict[int, Offer]]:
    """``{lead id: {partner id: offer}}`` for every offer of the leads."""
    existing: dict[int, dict[int, Offer]] = defaultdict(dict)
    for start in range(0, len(lead_ids), 1000):
        for offer in db.session.scalars(
            sa.select(Offer).where(Offer.lead_id.in_(lead_ids[start : start + 1000]))
        ):
            existing[offer.lead_id][offer.partner_id] = offer
    return existing


def without_paused(
    assignments: Sequence[tuple[Lead, Sequence[Candidate], int]], now: datetime
) -> list[tuple[Lead, list[Candidate], int]]:
    """The assignments without candidates paused by ``now``, and without leads left with none. The
    ranker reads availability when it loads a programme's partners (once per job run); this catches
    a pause that came in since, so no offer opens to a partner who is away."""
    assignments = [(lead, list(candidates), wave) for lead, candidates, wave in assignments]
    ids = sorted({c.partner_id for _, candidates, _ in assignments for c in candidates})
    if not ids:
        return assignments
    paused = set(
        db.session.scalars(
            sa.select(PartnerProfile.partner_id).where(PartnerProfile.partner_id.in_(ids), paused_clause(now))
        )
    )
    if not paused:
        return assignments
    kept = []
    for lead, candidates, wave in assignments:
        available = [c for c in candidates if c.partner_id not in paused]
        if available:
            kept.append((lead, available, wave))
    return kept


def open_offers_many(
    assignments: Sequence[tuple[Lead, Sequence[Candidate], int]], now: datetime | None = None
) -> list[Offer]:
    """Make each lead's candidates the open offers of its wave (creating or reopening offer rows),
    with claim deadlines in each partner's calendar."""
    now = now or clock.now()
    assignments = [(lead, list(candidates), wave) for lead, candidates, wave in assignments if candidates]
    if not assignments:
        return []
    with db.session.no_autoflush:
        partner_ids = sorted({c.partner_id for _, candidates, _ in assignments for c in candidates})
        profiles = {
            p.partner_id: p
            for p in db.session.scalars(
                sa.select(PartnerProfile).where(PartnerProfile.partner_id.in_(partner_ids))
            )
        }
        existing = _existing_offers([lead.id for lead, _, _ in assignments])
        opened: list[tuple[Lead, Offer]] = []
        for lead, candidates, wave in assignments:
            terms = clocks.lead_terms(lead)
            for rank, candidate in enumerate(candidates, start=1):
                window = clocks.claim_window(terms, profiles.get(candidate.partner_id), now)
                offer = existing[lead.id].get(candidate.partner_id)
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
                offer.temperature_priority = TEMPERATURE_PRIORITY[lead.temperature]
                offer.wave = wave
                offer.state = OfferState.OPEN
                offer.visible_from = now
                offer.claim_deadline = window.deadline
                offer.remind_at = window.remind_at
                offer.reminded_at = None
                offer.first_shown_at = None
                offer.closed_at = None
                opened.append((lead, offer))
    db.session.flush()
    for lead, offer in opened:
        announce.offer_created(lead, offer)
    return [offer for _, offer in opened]


def open_offers(
    lead: Lead, candidates: Sequence[Candidate], wave: int, now: datetime | None = None
) -> list[Offer]:
    return open_offers_many([(lead, candidates, wave)], now)


def start_waves_many(ranked: Sequence[tuple[Lead, Sequence[Candidate]]], now: datetime | None = None) -> None:
    """Offer freshly published leads to their first wave (K best each)."""
    now = now or clock.now()
    assignments = []
    for lead, candidates in ranked:
        if candidates:
            assignments.append((lead, list(candidates)[: wave_size(lead)], 1))
    assignments = without_paused(assignments, now)
    open_offers_many(assignments, now)
    for lead, chosen, wave in assignments:
        lead.current_wave = wave
        transition(
            lead,
            LeadStatus.OFFERED,
            None,
            LeadEvent.LEAD_OFFERED,
            wave=wave,
            partners=[c.partner_id for c in chosen],
        )


def start_waves(lead: Lead, ranked: Sequence[Candidate], now: datetime | None = None) -> None:
    start_waves_many([(lead, ranked)], now)


def _rank_many(
    rank: Ranker, leads: Sequence[Lead], skips: dict[int, set[int]], limit: int | None
) -> dict[int, list[Candidate]]:
    rank_many = getattr(rank, "rank_many", None)
    if rank_many is not None and limit is not None:
        return rank_many(leads, skips, limit)
    return {lead.id: list(rank(lead, skip=skips.get(lead.id, set()), limit=limit)) for lead in leads}


def advance_many(
    leads: Sequence[Lead], rank: Ranker, now: datetime | None = None, *, reason: str = "lapsed"
) -> dict[int, str]:
    """Move leads whose current wave has no open offer left to their next wave, the pool, or back to
    the manufacturer. Returns ``{lead id: "wave" | "pool" | "returned"}``. The caller makes sure (row
    locks or conditional updates) that it alone advances these leads."""
    now = now or clock.now()
    leads = list(leads)
    if not leads:
        return {}
    ids = [lead.id for lead in leads]
    db.session.execute(
        sa.update(Offer)
        .where(Offer.lead_id.in_(ids), Offer.state == OfferState.OPEN)
        .values(state=OfferState.EXPIRED, closed_at=now)
        .execution_options(synchronize_session="fetch")
    )
    existing = _existing_offers(ids)
    outcome: dict[int, str] = {}
    # Waves go to partners who have not had the lead yet.
    to_wave = [lead for lead in leads if lead.current_wave + 1 < pool_wave(clocks.lead_terms(lead))]
    fresh = (
        _rank_many(
            rank,
            to_wave,
            {lead.id: set(existing[lead.id]) for lead in to_wave},
            max((wave_size(lead) for lead in to_wave), default=1),
        )
        if to_wave
        else {}
    )
    waves_opened = []
    for lead in to_wave:
        chosen = fresh.get(lead.id, [])[: wave_size(lead)]
        if chosen:
            waves_opened.append((lead, chosen, lead.current_wave + 1))
    waves_opened = without_paused(waves_opened, now)
    open_offers_many(waves_opened, now)
    for lead, chosen, wave in waves_opened:
        previous, lead.current_wave = lead.current_wave, wave
        transition(
            lead,
            LeadStatus.OFFERED,
            None,
            LeadEvent.LEAD_WAVE_ADVANCED,
            wave=wave,
            previous_wave=previous,
            reason=reason,
            partners=[c.partner_id for c in chosen],
        )
        outcome[lead.id] = "wave"
    # The open pool: every eligible partner, earlier waves' included (the ranker leaves out those who
    # declined, returned or were recycled away). Reached when nobody new is left for a wave, after the
    # last wave, or again when a claim from the pool is recycled.
    for lead in leads:
        if lead.id in outcome:
            continue
        pool = pool_wave(clocks.lead_terms(lead))
        if lead.current_wave < pool or (reason in REOPENING_REASONS and lead.current_wave == pool):
            available = [
                c for _, found, _ in without_paused([(lead, list(rank(lead)), pool)], now) for c in found
            ]
            if available:
                open_offers_many([(lead, available, pool)], now)
                previous, lead.current_wave = lead.current_wave, pool
                transition(
                    lead,
                    LeadStatus.OFFERED,
                    None,
                    LeadEvent.LEAD_POOL_OPENED,
                    wave=pool,
                    previous_wave=previous,
                    reason=reason,
                    partners=[c.partner_id for c in available],
                )
                outcome[lead.id] = "pool"
                continue
        return_unclaimed(lead, now)
        outcome[lead.id] = "returned"
    return outcome


def advance(lead: Lead, rank: Ranker, now: datetime | None = None, *, reason: str = "lapsed") -> str:
    return advance_many([lead], rank, now, reason=reason)[lead.id]


def return_unclaimed(lead: Lead, now: datetime | None = None) -> None:
    """No partner claimed the lead in any wave: it goes back to the manufacturer, counted as leakage."""
    now = now or clock.now()
    db.session.execute(
        sa.update(Offer)
        .where(Offer.lead_id == lead.id, Offer.state.in_([OfferState.OPEN, OfferState.PENDING]))
        .values(state=OfferState.EXPIRED, closed_at=now)
        .execution_options(synchronize_session="fetch")
    )
    transition(lead, LeadStatus.UNCLAIMED, None, LeadEvent.LEAD_UNCLAIMED, waves=lead.current_wave)


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


def leads_with_open_offers(lead_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(lead_ids), 1000):
        found.update(
            db.session.scalars(
                sa.select(Offer.lead_id)
                .where(Offer.lead_id.in_(lead_ids[start : start + 1000]), Offer.state == OfferState.OPEN)
                .distinct()
            )
        )
    return found


def wave_is_over(lead: Lead) -> bool:
    """True when the lead's current wave has no open offer left."""
    return lead.id not in leads_with_open_offers([lead.id])
