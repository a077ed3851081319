"""Between the database and the matching engine: rows become ``matching`` inputs, scores become
offers. Jobs: ``leads.match`` (after publishing), ``partners.rematch`` (a partner's profile,
enrollment or capacity changed), ``offers.rerank_unshown`` (after responsiveness is recomputed).

The engine itself (``matching/``) is pure; everything that reads or writes rows is here and in
``exchange.offers.match_inputs`` (rows into the engine's inputs).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

import matching
from exchange.models import Enrollment, Lead, LeadStatus, Offer, OfferState
from exchange.offers import waves
from exchange.offers.explain import render_reasons
from exchange.offers.match_inputs import (
    excluded_partners,
    lead_facts,
    load_partners,
    program_settings,
    responsiveness_input,
)
from exchange.offers.waves import Candidate
from exchange.platform import clock, events, unit_of_work
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from matching.components import responsiveness as responsiveness_component

CHUNK = 500  # leads matched and committed together


# --- one programme's matcher ---------------------------------------------------------------------------


class ProgramMatcher:
    """One manufacturer's partners and settings, loaded once and used for many leads."""

    def __init__(self, manufacturer_id: int) -> None:
        self.manufacturer_id = manufacturer_id
        self.partners, enrollments = load_partners(manufacturer_id)
        self.by_id = {p.id: p for p in self.partners}
        self.settings = program_settings(manufacturer_id, enrollments)
        # Partner arrays built once: a single lead then scores in well under a millisecond.
        self.prepared = matching.prepare_partners(self.partners, self.settings)

    def _candidate(
        self, facts: matching.LeadFacts, partner_id: int, waive: tuple[str, ...] = ()
    ) -> Candidate:
        scored = matching.score_pair(facts, self.by_id[partner_id], self.settings, waive=waive)
        reasons = tuple((reason.code, dict(reason.params)) for reason in scored.reasons)
        return Candidate(
            partner_id, scored.score, dict(scored.components), render_reasons(list(reasons)), reasons
        )

    def best(self, leads: Sequence[Lead], k: int) -> dict[int, tuple[list[Candidate], int]]:
        """Each lead's ``k`` best eligible partners (batch scorer), with their reasons, and how many
        partners were eligible in all."""
        excluded = excluded_partners([lead.id for lead in leads])
        facts = [lead_facts(lead, excluded.get(lead.id, frozenset())) for lead in leads]
        top = matching.batch_top_k(facts, self.prepared, self.settings, k=max(1, k))
        result: dict[int, tuple[list[Candidate], int]] = {}
        for row, fact in enumerate(facts):
            chosen = [self._candidate(fact, choice.partner_id) for choice in top.choices(row)]
            result[fact.id] = (chosen, int(top.eligible_counts[row]))
        return result

    def rank_many(
        self, leads: Sequence[Lead], skips: dict[int, set[int]], limit: int
    ) -> dict[int, list[Candidate]]:
        """For each lead its ``limit`` best eligible partners outside ``skips[lead.id]`` (one batch)."""
        if not leads or not self.partners:
            return {lead.id: [] for lead in leads}
        excluded = excluded_partners([lead.id for lead in leads])
        facts = [lead_facts(lead, excluded.get(lead.id, frozenset())) for lead in leads]
        widest = max((len(skips.get(lead.id, ())) for lead in leads), default=0)
        top = matching.batch_top_k(
            facts, self.prepared, self.settings, k=max(1, min(len(self.partners), limit + widest))
        )
        result: dict[int, list[Candidate]] = {}
        for row, fact in enumerate(facts):
            skip = skips.get(fact.id, set())
            chosen = [c.partner_id for c in top.choices(row) if c.partner_id not in skip][:limit]
            result[fact.id] = [self._candidate(fact, partner_id) for partner_id in chosen]
        return result

    def rank(self, lead: Lead, skip: Iterable[int] = (), limit: int | None = None) -> list[Candidate]:
        """The lead's eligible partners best first, leaving out ``skip``, at most ``limit``."""
        skip = set(skip)
        if not self.partners:
            return []
        excluded = excluded_partners([lead.id]).get(lead.id, frozenset())
        facts = lead_facts(lead, excluded)
        k = len(self.partners) if limit is None else min(len(self.partners), limit + len(skip))
        top = matching.batch_top_k([facts], self.prepared, self.settings, k=max(1, k))
        chosen = [c.partner_id for c in top.choices(0) if c.partner_id not in skip]
        if limit is not None:
            chosen = chosen[:limit]
        return [self._candidate(facts, partner_id) for partner_id in chosen]

    def ranking(self, lead: Lead) -> matching.Ranking:
        """The reference ranking with every ineligible partner's reasons (the manufacturer's view)."""
        excluded = excluded_partners([lead.id]).get(lead.id, frozenset())
        return matching.rank_partners(lead_facts(lead, excluded), self.partners, self.settings)


class Matchers:
    """A ``waves.Ranker`` backed by one loaded ``ProgramMatcher`` per manufacturer (per job run)."""

    def __init__(self) -> None:
        self._matchers: dict[int, ProgramMatcher] = {}

    def for_manufacturer(self, manufacturer_id: int) -> ProgramMatcher:
        if manufacturer_id not in self._matchers:
            self._matchers[manufacturer_id] = ProgramMatcher(manufacturer_id)
        return self._matchers[manufacturer_id]

    def __call__(self, lead: Lead, skip: Iterable[int] = (), limit: int | None = None) -> list[Candidate]:
        return self.for_manufacturer(lead.manufacturer_id).rank(lead, skip, limit)

    def rank_many(
        self, leads: Sequence[Lead], skips: dict[int, set[int]], limit: int
    ) -> dict[int, list[Candidate]]:
        by_maker: dict[int, list[Lead]] = defaultdict(list)
        for lead in leads:
            by_maker[lead.manufacturer_id].append(lead)
        result: dict[int, list[Candidate]] = {}
        for manufacturer_id, group in by_maker.items():
            result.update(self.for_manufacturer(manufacturer_id).rank_many(group, skips, limit))
        return result


def rank_lead(lead: Lead, skip: Iterable[int] = (), limit: int | None = None) -> list[Candidate]:
    """Rank one lead (loads the manufacturer's partners; use ``Matchers`` for many leads)."""
    return ProgramMatcher(lead.manufacturer_id).rank(lead, skip, limit)


# --- jobs ---------------------------------------------------------------------------------------------


def match_leads(lead_ids: list[int]) -> dict[str, int]:
    """Job after publishing: offer each still-published lead to its first wave, or record why no
    partner can take it (the coverage-gaps page). Safe to run twice, and while another run works on
    the same leads: each chunk is claimed with a conditional UPDATE first (row locks on PostgreSQL,
    the write lock on SQLite), so a lead another run has offered in the meantime is skipped."""
    summary = Counter({"leads": 0, "offered": 0, "unmatched": 0})
    ids = sorted(set(lead_ids))
    matchers = Matchers()
    for start in range(0, len(ids), CHUNK):
        claimed = list(
            db.session.scalars(
                sa.update(Lead)
                .where(Lead.id.in_(ids[start : start + CHUNK]), Lead.status == LeadStatus.PUBLISHED)
                .values(matched_at=clock.now())
                .returning(Lead.id)
                .execution_options(synchronize_session=False)
            )
        )
        leads = list(
            db.session.scalars(
                sa.select(Lead)
                .where(Lead.id.in_(claimed))
                .order_by(Lead.id)
                .execution_options(populate_existing=True)
            )
        )
        by_maker: dict[int, list[Lead]] = defaultdict(list)
        for lead in leads:
            by_maker[lead.manufacturer_id].append(lead)
        for manufacturer_id, group in by_maker.items():
            matcher = matchers.for_manufacturer(manufacturer_id)
            k = waves.wave_size(group[0])
            best = matcher.best(group, k)
            now = clock.now()
            offered = []
            for lead in group:
                chosen, eligible = best[lead.id]
                lead.matched_at = now
                if chosen:
                    lead.match_summary = {"eligible": eligible}
                    offered.append((lead, chosen))
                else:
                    _record_gap(lead, matcher)
                summary["offered" if chosen else "unmatched"] += 1
            waves.start_waves_many(offered, now)
        summary["leads"] += len(leads)
        # Each chunk's claim (row locks; SQLite's write lock) is held for that chunk only.
        unit_of_work.checkpoint()
    return dict(summary)


def _record_gap(lead: Lead, matcher: ProgramMatcher) -> None:
    """No partner can take the lead: remember why (the coverage-gaps page groups by it)."""
    ranking = matcher.ranking(lead)
    reasons = Counter(reason for partner in ranking.ineligible for reason in partner.reasons)
    cause = matching.gap_cause(ranking)
    lead.match_summary = {"eligible": 0, "cause": cause, "ineligible": dict(reasons)}
    events.record(
        LeadEvent.LEAD_UNMATCHED,
        manufacturer_id=lead.manufacturer_id,
        lead_id=lead.id,
        data={"cause": cause, "partners": len(matcher.partners)},
    )


def unmatched_leads(manufacturer_id: int) -> sa.Select:
    """Published leads no partner could take at their last matching."""
    return sa.select(Lead).where(
        Lead.manufacturer_id == manufacturer_id,
        Lead.status == LeadStatus.PUBLISHED,
        Lead.matched_at.is_not(None),
    )


def rematch_partner(partner_id: int) -> dict[str, int]:
    """Job after a partner's profile, enrollment or capacity changed: try unmatched leads again, and
    re-rank the partner's open offers it has not seen yet (withdrawing those it no longer qualifies
    for, with a replacement from the same wave). Idempotent."""
    summary = Counter({"rematched_leads": 0, "rescored": 0, "withdrawn": 0, "replaced": 0})
    manufacturer_ids = list(
        db.session.scalars(sa.select(Enrollment.manufacturer_id).where(Enrollment.partner_id == partner_id))
    )
    for manufacturer_id in manufacturer_ids:
        waiting = list(db.session.scalars(unmatched_leads(manufacturer_id).with_only_columns(Lead.id)))
        if waiting:
            summary["rematched_leads"] += match_leads(waiting)["offered"]
        offers = list(
            db.session.scalars(
                sa.select(Offer).where(
                    Offer.partner_id == partner_id,
                    Offer.manufacturer_id == manufacturer_id,
                    Offer.state == OfferState.OPEN,
                    Offer.first_shown_at.is_(None),
                )
            )
        )
        summary.update(_rescore(offers, ProgramMatcher(manufacturer_id)))
    return dict(summary)


def rerank_unshown() -> dict[str, int]:
    """Job after responsiveness is recomputed: refresh the scores and "why" of every open offer no
    partner has seen yet (the order of their lists follows). Idempotent."""
    summary: Counter[str] = Counter()
    matchers = Matchers()
    offers = list(
        db.session.scalars(
            sa.select(Offer)
            .where(Offer.state == OfferState.OPEN, Offer.first_shown_at.is_(None))
            .order_by(Offer.manufacturer_id, Offer.id)
        )
    )
    by_maker: dict[int, list[Offer]] = defaultdict(list)
    for offer in offers:
        by_maker[offer.manufacturer_id].append(offer)
    for manufacturer_id, group in by_maker.items():
        summary.update(_rescore(group, matchers.for_manufacturer(manufacturer_id)))
        unit_of_work.checkpoint()  # one programme's offers at a time: their locks are not held for all
    return dict(summary)


def _rescore(offers: Sequence[Offer], matcher: ProgramMatcher, now: datetime | None = None) -> Counter[str]:
    now = now or clock.now()
    result: Counter[str] = Counter()
    excluded = excluded_partners([o.lead_id for o in offers])
    for offer in offers:
        lead = offer.lead
        facts = lead_facts(lead, excluded.get(lead.id, frozenset()))
        partner = matcher.by_id.get(offer.partner_id)
        reasons = (
            matching.ineligibility_reasons(facts, partner, matcher.settings) if partner else ("not_enrolled",)
        )
        # Capacity only matters when a partner claims; an offer already made is not taken back for it
        # (and is scored as it stands: a full partner is an outcome, not an error).
        kept = (matching.codes.AT_CAPACITY,)
        reasons = tuple(r for r in reasons if r not in kept)
        if not reasons:
            candidate = matcher._candidate(facts, offer.partner_id, waive=kept)
            if abs(candidate.score - offer.score) > 1e-12 or offer.reasons != [
                list(r) for r in candidate.reasons
            ]:
                offer.score = round(candidate.score, 12)
                offer.components = candidate.components
                offer.reasons = [[code, params] for code, params in candidate.reasons]
                offer.explanation = candidate.explanation or None
                result["rescored"] += 1
            continue
        offer.state = OfferState.WITHDRAWN
        offer.closed_at = now
        events.record(
            LeadEvent.OFFER_WITHDRAWN,
            manufacturer_id=offer.manufacturer_id,
            partner_id=offer.partner_id,
            lead_id=lead.id,
            offer_id=offer.id,
            data={"reason": "no_longer_eligible", "why": list(reasons)},
        )
        result["withdrawn"] += 1
        offered = set(db.session.scalars(sa.select(Offer.partner_id).where(Offer.lead_id == lead.id)))
        replacement = matcher.rank(lead, skip=offered, limit=1)
        if replacement:
            waves.open_offers(lead, replacement, offer.wave, now)
            result["replaced"] += 1
    db.session.flush()
    return result


def partner_standing(partner_id: int, manufacturer_id: int) -> dict[str, Any]:
    """What a partner may know about its own responsiveness in one programme: its figures, the
    responsiveness component matching gives it (smoothed toward the programme average), the
    programme average's component, and how much the component weighs in the score."""
    enrollments = list(
        db.session.scalars(sa.select(Enrollment).where(Enrollment.manufacturer_id == manufacturer_id))
    )
    settings = program_settings(manufacturer_id, enrollments)
    mine = next((e for e in enrollments if e.partner_id == partner_id), None)
    figures = dict(mine.responsiveness or {}) if mine else {}
    own = matching.PartnerFacts(id=partner_id, responsiveness=responsiveness_input(figures))
    average = matching.PartnerFacts(id=partner_id, responsiveness=matching.Responsiveness())
    value, reasons = responsiveness_component(own, settings)
    baseline, _ = responsiveness_component(average, settings)
    weight = settings.weights["responsiveness"]
    return {
        "figures": figures,
        "updated_at": mine.responsiveness_updated_at if mine else None,
        "component": value,
        "programme_component": baseline,
        "weight": weight,
        "points": round((value - baseline) * weight * 100, 1),  # score points (of 100) above or below average
        "reasons": [[r.code, dict(r.params)] for r in reasons],
    }
