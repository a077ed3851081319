"""The reference scorer: one lead against one partner in plain Python, and the ranking built on it.

This is the readable definition of matching. The batch scorer (``matching.batch``) must agree with
it to 1e-9 on every pair; the property tests check that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from matching import codes, components
from matching.components import Reason
from matching.facts import LeadFacts, PartnerFacts, ProgramSettings
from matching.weights import COMPONENTS, weighted_score


class NotEligible(ValueError):
    """``score_pair`` was asked to score a pair that may not be offered; ``reasons`` says why."""

    def __init__(self, partner_id: int, reasons: tuple[str, ...]) -> None:
        super().__init__(f"partner {partner_id} is not eligible: {', '.join(reasons)}")
        self.partner_id = partner_id
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class ScoredPartner:
    """An eligible partner for a lead: its score, the component values and the reasons.

    ``components`` maps every name in ``COMPONENTS`` to a value in [0, 1] (store it with the offer).
    ``reasons`` are ordered by the contribution (weight x value) of their component, best first;
    the one-line "why" shows the first few.
    """

    partner_id: int
    score: float
    components: dict[str, float]
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class IneligiblePartner:
    """A partner that may not be offered the lead, with every reason (``matching.codes``)."""

    partner_id: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ranking:
    """One lead against many partners: the eligible best first (ties by partner id), the others by id."""

    lead_id: int
    eligible: tuple[ScoredPartner, ...]
    ineligible: tuple[IneligiblePartner, ...]

    def top(self, k: int) -> tuple[ScoredPartner, ...]:
        return self.eligible[:k]


def ineligibility_reasons(
    lead: LeadFacts, partner: PartnerFacts, program: ProgramSettings
) -> tuple[str, ...]:
    """Every hard filter the pair fails, in ``codes.INELIGIBILITY_REASONS`` order; empty = eligible."""
    reasons = []
    if not partner.enrolled:
        reasons.append(codes.NOT_ENROLLED)
    if not partner.available:
        reasons.append(codes.PAUSED)
    if not components.covers(lead, partner):
        reasons.append(codes.OUTSIDE_COVERAGE)
    if lead.product_line_id is not None and lead.product_line_id not in partner.product_line_ids:
        reasons.append(codes.PRODUCT_LINE_NOT_SERVED)
    if partner.leads_in_progress >= partner.capacity:
        reasons.append(codes.AT_CAPACITY)
    if partner.id in lead.excluded_partner_ids:
        reasons.append(codes.EXCLUDED)
    if program.is_large_deal(lead) and partner.tier_rank < program.large_deal_min_tier:
        reasons.append(codes.TIER_BELOW_MINIMUM)
    return tuple(reasons)


def score_pair(
    lead: LeadFacts, partner: PartnerFacts, program: ProgramSettings, *, waive: Iterable[str] = ()
) -> ScoredPartner:
    """Score an eligible pair: components, weighted score in [0, 1], reasons by contribution.

    Raises :class:`NotEligible` if the pair fails a hard filter other than those in ``waive``: a
    score is only defined for a partner that may be offered the lead (re-scoring an offer already
    made waives ``at_capacity``: capacity only matters when the partner claims).
    """
    waived = frozenset(waive)
    reasons = tuple(r for r in ineligibility_reasons(lead, partner, program) if r not in waived)
    if reasons:
        raise NotEligible(partner.id, reasons)
    return _score(lead, partner, program)


def _score(lead: LeadFacts, partner: PartnerFacts, program: ProgramSettings) -> ScoredPartner:
    parts = {
        "specialty": components.specialty(lead, partner),
        "size": components.size(lead, partner, program),
        "geography": components.geography(lead, partner),
        "responsiveness": components.responsiveness(partner, program),
        "capacity": components.capacity(partner),
        "tier": components.tier(partner),
    }
    values = {name: parts[name][0] for name in COMPONENTS}
    weights = program.weights
    # Best contribution first; equal contributions keep the components' order (sorted is stable).
    by_contribution = sorted(
        (name for name in COMPONENTS if weights[name] > 0), key=lambda name: -weights[name] * values[name]
    )
    reasons = tuple(reason for name in by_contribution for reason in parts[name][1])
    return ScoredPartner(partner.id, weighted_score(values, weights), values, reasons)


def rank_partners(lead: LeadFacts, partners: Iterable[PartnerFacts], program: ProgramSettings) -> Ranking:
    """All partners for one lead: the eligible ranked (score down, then partner id up) and the
    ineligible with their reasons (the manufacturer's "why not" view)."""
    eligible: list[ScoredPartner] = []
    ineligible: list[IneligiblePartner] = []
    seen: set[int] = set()
    for partner in partners:
        if partner.id in seen:
            raise ValueError(f"partner {partner.id} appears twice")
        seen.add(partner.id)
        reasons = ineligibility_reasons(lead, partner, program)
        if reasons:
            ineligible.append(IneligiblePartner(partner.id, reasons))
        else:
            eligible.append(_score(lead, partner, program))
    eligible.sort(key=lambda scored: (-scored.score, scored.partner_id))
    ineligible.sort(key=lambda item: item.partner_id)
    return Ranking(lead.id, tuple(eligible), tuple(ineligible))


def gap_cause(ranking: Ranking) -> str | None:
    """Why no partner can take the lead: ``None`` if one can, ``codes.NO_PARTNERS`` if there are none,
    else the first filter of ``codes.GAP_FUNNEL`` after which no partner is left standing
    (e.g. ``outside_coverage`` when nobody covers the location, ``at_capacity`` when those who
    cover it and serve its product line are all full)."""
    if ranking.eligible:
        return None
    standing = [set(item.reasons) for item in ranking.ineligible]
    if not standing:
        return codes.NO_PARTNERS
    for reason in codes.GAP_FUNNEL:
        standing = [reasons for reasons in standing if reason not in reasons]
        if not standing:
            return reason
    raise AssertionError("an ineligible partner without a reason")  # pragma: no cover
