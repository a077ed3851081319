"""Rows become ``matching`` inputs: a programme's settings, its enrolled partners' facts (coverage,
product lines, capacity, availability at load time, responsiveness), a lead's facts and the partners
excluded from it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

import matching
from exchange.models import (
    EXCLUDING_OFFER_STATES,
    Claim,
    ClaimStatus,
    CoverageArea,
    Enrollment,
    EnrollmentStatus,
    Lead,
    ManufacturerProgram,
    Offer,
    PartnerProfile,
    enrollment_product_lines,
)
from exchange.partners.availability import is_paused
from exchange.platform import clock
from exchange.platform.extensions import db

log = logging.getLogger(__name__)


def responsiveness_input(figures: dict[str, Any] | None) -> matching.Responsiveness:
    figures = figures or {}
    return matching.Responsiveness(
        offers=int(figures.get("offers") or 0),
        median_minutes_to_claim=figures.get("claim_minutes_median"),
        median_minutes_to_first_contact=figures.get("contact_minutes_median"),
        sla_compliance_rate=figures.get("sla_compliance"),
        decline_rate=figures.get("decline_rate"),
    )


def _average(values: Iterable[tuple[float | None, int]]) -> float | None:
    """Offer-weighted mean of the known values."""
    known = [(v, n) for v, n in values if v is not None and n > 0]
    total = sum(n for _, n in known)
    return sum(v * n for v, n in known) / total if total else None


def program_settings(
    manufacturer_id: int, enrollments: Sequence[Enrollment] = ()
) -> matching.ProgramSettings:
    program = db.session.get(ManufacturerProgram, manufacturer_id)
    history = [responsiveness_input(e.responsiveness) for e in enrollments]
    average = matching.Responsiveness(
        offers=sum(h.offers for h in history),
        median_minutes_to_claim=_average((h.median_minutes_to_claim, h.offers) for h in history),
        median_minutes_to_first_contact=_average(
            (h.median_minutes_to_first_contact, h.offers) for h in history
        ),
        sla_compliance_rate=_average((h.sla_compliance_rate, h.offers) for h in history),
        decline_rate=_average((h.decline_rate, h.offers) for h in history),
    )
    weights = program.matching_weights if program and program.matching_weights else None
    return matching.ProgramSettings(
        weights=matching.validate_weights(weights),
        large_deal_threshold=float(program.large_deal_threshold)
        if program and program.large_deal_threshold is not None
        else None,
        large_deal_min_tier=program.large_deal_min_tier.rank
        if program and program.large_deal_min_tier
        else None,
        average_responsiveness=average,
    )


def load_partners(manufacturer_id: int) -> tuple[list[matching.PartnerFacts], list[Enrollment]]:
    """Every partner enrolled (in any status) with the manufacturer, as matching inputs."""
    enrollments = list(
        db.session.scalars(sa.select(Enrollment).where(Enrollment.manufacturer_id == manufacturer_id))
    )
    if not enrollments:
        return [], []
    partner_ids = [e.partner_id for e in enrollments]
    profiles = {
        p.partner_id: p
        for p in db.session.scalars(
            sa.select(PartnerProfile).where(PartnerProfile.partner_id.in_(partner_ids))
        )
    }
    areas: dict[int, list[matching.Area]] = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            CoverageArea.partner_id, CoverageArea.country, CoverageArea.region, CoverageArea.postal_prefix
        ).where(CoverageArea.partner_id.in_(partner_ids))
    ):
        try:
            areas[row.partner_id].append(matching.Area(row.country, row.region, row.postal_prefix))
        except ValueError as error:
            log.warning("partner %s: coverage area ignored: %s", row.partner_id, error)
    served: dict[int, set[int]] = defaultdict(set)
    for enrollment_id, line_id in db.session.execute(
        sa.select(enrollment_product_lines.c.enrollment_id, enrollment_product_lines.c.product_line_id).where(
            enrollment_product_lines.c.enrollment_id.in_([e.id for e in enrollments])
        )
    ):
        served[enrollment_id].add(line_id)
    in_progress = dict(
        db.session.execute(
            sa.select(Claim.partner_id, sa.func.count())
            .where(Claim.partner_id.in_(partner_ids), Claim.status == ClaimStatus.ACTIVE)
            .group_by(Claim.partner_id)
        ).all()
    )
    facts = []
    now = clock.now()
    for enrollment in enrollments:
        profile = profiles.get(enrollment.partner_id)
        if profile is None:
            continue
        try:
            facts.append(
                matching.PartnerFacts(
                    id=enrollment.partner_id,
                    enrolled=enrollment.status == EnrollmentStatus.ACTIVE,
                    available=not is_paused(profile, now),
                    tier_rank=enrollment.tier.rank,
                    product_line_ids=frozenset(served[enrollment.id]),
                    industries=frozenset(profile.industries or ()),
                    certifications=frozenset(profile.certifications or ()),
                    segments=frozenset(profile.segments or ()),
                    employees=profile.employees,
                    size_band=profile.size_band.value if profile.size_band else None,
                    coverage=tuple(areas[enrollment.partner_id]),
                    latitude=profile.latitude,
                    longitude=profile.longitude,
                    radius_km=profile.radius_km,
                    capacity=profile.capacity,
                    leads_in_progress=int(in_progress.get(enrollment.partner_id, 0)),
                    responsiveness=responsiveness_input(enrollment.responsiveness),
                )
            )
        except ValueError as error:  # a profile the editor would refuse: leave the partner out, loudly
            log.warning("partner %s left out of matching: %s", enrollment.partner_id, error)
    return facts, enrollments


def excluded_partners(lead_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """Partners that declined, returned or were recycled away from each lead."""
    excluded: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(lead_ids), 1000):
        for lead_id, partner_id in db.session.execute(
            sa.select(Offer.lead_id, Offer.partner_id).where(
                Offer.lead_id.in_(lead_ids[start : start + 1000]),
                Offer.state.in_(list(EXCLUDING_OFFER_STATES)),
            )
        ):
            excluded[lead_id].add(partner_id)
    return {lead_id: frozenset(ids) for lead_id, ids in excluded.items()}


def lead_facts(lead: Lead, excluded: frozenset[int] = frozenset()) -> matching.LeadFacts:
    return matching.LeadFacts(
        id=lead.id,
        country=lead.country,
        region=lead.region,
        postal_code=lead.postal_code,
        latitude=lead.latitude,
        longitude=lead.longitude,
        product_line_id=lead.product_line_id,
        industry=lead.industry,
        employees=lead.employees,
        deal_value=float(lead.estimated_value) if lead.estimated_value is not None else None,
        excluded_partner_ids=excluded,
    )
