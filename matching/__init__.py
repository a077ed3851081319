"""The matching engine: which partners may be offered a lead, how well each fits, and why.

Pure: plain data in, scores and reasons out. No Flask, SQLAlchemy, app config or ``exchange``
imports; the caller turns its rows into these inputs (docs/matching.md has the formulas).

Inputs (frozen dataclasses; construction normalises and validates, raising ``ValueError``):

- :class:`LeadFacts` - one lead: location, product line, industry, size, deal value, certifications
  that qualify for it, and the partners excluded from it (declined / returned / recycled).
- :class:`PartnerFacts` - one partner in one programme: enrollment, tier, specialties, segments,
  size, coverage (:class:`Area` list, optional point + radius), capacity, :class:`Responsiveness`.
- :class:`ProgramSettings` - one manufacturer's weights, large-deal rule, programme averages.

Weights: ``COMPONENTS``, ``DEFAULT_WEIGHTS``, :func:`validate_weights` (normalised weights or
:class:`InvalidWeights` with ``errors`` per key), :func:`weighted_score`.

Scoring, one contract in two implementations:

- :func:`ineligibility_reasons` - every hard filter a pair fails (``codes.INELIGIBILITY_REASONS``).
- :func:`score_pair` - the reference scorer for one eligible pair -> :class:`ScoredPartner`
  (score, components, reasons ordered by contribution); :class:`NotEligible` otherwise.
- :func:`rank_partners` - one lead, many partners -> :class:`Ranking` (eligible ranked, ineligible
  with reasons); :func:`gap_cause` says why a lead has no eligible partner.
- :func:`batch_top_k` - many leads x many partners with numpy -> :class:`TopK` (ids, scores,
  components of each lead's best ``k``), chunked so memory stays bounded. Partners may be given
  ready-made by :func:`prepare_partners` when the same programme scores many batches or single leads.

Ties are broken by partner id (lower first) everywhere. Reason codes live in :mod:`matching.codes`.
"""

from __future__ import annotations

from matching import codes
from matching.batch import DEFAULT_CHUNK_PAIRS, Choice, PreparedPartners, TopK, batch_top_k, prepare_partners
from matching.components import Reason
from matching.facts import (
    DEFAULT_DEAL_SIZE_CEILINGS,
    SEGMENTS,
    SIZE_BANDS,
    Area,
    LeadFacts,
    PartnerFacts,
    ProgramSettings,
    Responsiveness,
)
from matching.reference import (
    IneligiblePartner,
    NotEligible,
    Ranking,
    ScoredPartner,
    gap_cause,
    ineligibility_reasons,
    rank_partners,
    score_pair,
)
from matching.weights import COMPONENTS, DEFAULT_WEIGHTS, InvalidWeights, validate_weights, weighted_score

__all__ = [
    "COMPONENTS",
    "DEFAULT_CHUNK_PAIRS",
    "DEFAULT_DEAL_SIZE_CEILINGS",
    "DEFAULT_WEIGHTS",
    "SEGMENTS",
    "SIZE_BANDS",
    "Area",
    "Choice",
    "IneligiblePartner",
    "InvalidWeights",
    "LeadFacts",
    "NotEligible",
    "PreparedPartners",
    "PartnerFacts",
    "ProgramSettings",
    "Ranking",
    "Reason",
    "Responsiveness",
    "ScoredPartner",
    "TopK",
    "batch_top_k",
    "prepare_partners",
    "codes",
    "gap_cause",
    "ineligibility_reasons",
    "rank_partners",
    "score_pair",
    "validate_weights",
    "weighted_score",
]
