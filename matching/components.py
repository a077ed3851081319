"""The score components, one readable function each: the definition both scorers follow.

Every function returns the component's value in [0, 1] and the explanation reasons it supports
(``Reason(code, params)``, codes in ``matching.codes``). Where a fact is unknown on the lead's side,
that part of a component does not apply (it is the same for every partner); where it is unknown on
the partner's side, the part scores ``NEUTRAL``, so saying nothing is neither rewarded nor punished.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from matching import codes
from matching.facts import (
    MAX_TIER_RANK,
    SEGMENTS,
    Area,
    LeadFacts,
    PartnerFacts,
    ProgramSettings,
    Responsiveness,
    category_key,
)

NEUTRAL = 0.5

# Specialty: the parts that apply (lead side known) are averaged with these weights.
SPECIALTY_PRODUCT_LINE = 0.5
SPECIALTY_INDUSTRY = 0.3
SPECIALTY_CERTIFICATIONS = 0.2

# Size: the lead company's segment by head count (small < 50 <= mid_market < 1000 <= enterprise).
SEGMENT_EMPLOYEE_LIMITS = (50, 1000)
ADJACENT_SEGMENT_FIT = 0.5  # the partner serves the next segment up or down, not this one
SIZE_SEGMENT = 0.6
SIZE_DEAL = 0.4
# The partner's size band by head count (micro < 10 <= small < 50 <= medium < 250 <= large).
BAND_EMPLOYEE_LIMITS = (10, 50, 250)

# Geography: the most precise covering area, or the distance when both sides have coordinates.
GEOGRAPHY_LEVELS = {"country": 0.4, "region": 0.7, "postal": 1.0}
DISTANCE_HALF_KM = 50.0  # at this distance the distance bonus above country level is half gone
EARTH_RADIUS_KM = 6371.0088

# Responsiveness: four figures, each turned into a score, smoothed toward the programme's figure.
CLAIM_HALF_MINUTES = 60.0  # a median time to claim of one hour scores 0.5
CONTACT_HALF_MINUTES = 240.0  # a median time to first contact of four hours scores 0.5
RESPONSIVENESS_CLAIM = 0.35
RESPONSIVENESS_CONTACT = 0.25
RESPONSIVENESS_SLA = 0.25
RESPONSIVENESS_DECLINE = 0.15
PRIOR_OFFERS = 10  # the programme average counts as this many offers of history
# Explanations about responsiveness need the partner's own history, not the programme's.
REASON_MIN_OFFERS = 5
FAST_CLAIM_MINUTES = 30.0
QUICK_CONTACT_MINUTES = 120.0
SLA_REASON_RATE = 0.9

HEADROOM_REASON = 0.5  # "has capacity" once at least half of it is free


class Reason(NamedTuple):
    """One explanation: a stable code and plain parameters for the sentence that renders it."""

    code: str
    params: dict[str, Any]


# --- specialty ------------------------------------------------------------------------------------


def specialty(lead: LeadFacts, partner: PartnerFacts) -> tuple[float, list[Reason]]:
    """Product line served, industry served, share of the lead's certifications held."""
    total = 0.0
    weight = 0.0
    reasons: list[Reason] = []
    if lead.product_line_id is not None:
        served = lead.product_line_id in partner.product_line_ids
        total += SPECIALTY_PRODUCT_LINE * (1.0 if served else 0.0)
        weight += SPECIALTY_PRODUCT_LINE
        if served:
            reasons.append(Reason(codes.PRODUCT_LINE_MATCH, {"product_line_id": lead.product_line_id}))
    if lead.industry_key is not None:
        if lead.industry_key in partner.industries:
            industry = 1.0
            reasons.append(Reason(codes.INDUSTRY_MATCH, {"industry": lead.industry}))
        else:
            industry = NEUTRAL if not partner.industries else 0.0
        total += SPECIALTY_INDUSTRY * industry
        weight += SPECIALTY_INDUSTRY
    if lead.certification_keys:
        held = lead.certification_keys & partner.certifications
        total += SPECIALTY_CERTIFICATIONS * (len(held) / len(lead.certification_keys))
        weight += SPECIALTY_CERTIFICATIONS
        if held:
            names = sorted({category_key(c): c for c in sorted(lead.certifications)}[key] for key in held)
            reasons.append(Reason(codes.CERTIFIED, {"certifications": names}))
    return (total / weight if weight else NEUTRAL), reasons


# --- size -----------------------------------------------------------------------------------------


def lead_segment(employees: int | None) -> str | None:
    """The customer segment of a company with this head count (``None`` when unknown)."""
    if employees is None:
        return None
    if employees < SEGMENT_EMPLOYEE_LIMITS[0]:
        return "small"
    if employees < SEGMENT_EMPLOYEE_LIMITS[1]:
        return "mid_market"
    return "enterprise"


def partner_band(partner: PartnerFacts) -> int | None:
    """The partner's size band as 0 micro .. 3 large: its ``size_band``, else from ``employees``."""
    if partner.size_band is not None:
        return ("micro", "small", "medium", "large").index(partner.size_band)
    if partner.employees is None:
        return None
    return sum(partner.employees >= limit for limit in BAND_EMPLOYEE_LIMITS)


def segment_fit(segment: str, served: frozenset[str]) -> float:
    """1 when the partner serves the segment, ``ADJACENT_SEGMENT_FIT`` for a neighbouring one."""
    if not served:
        return NEUTRAL
    if segment in served:
        return 1.0
    position = SEGMENTS.index(segment)
    if any(abs(SEGMENTS.index(other) - position) == 1 for other in served):
        return ADJACENT_SEGMENT_FIT
    return 0.0


def deal_fit(deal_value: float, band: int | None, program: ProgramSettings) -> float:
    """1 while the deal is within the band's ceiling, then ceiling / value."""
    if band is None:
        return NEUTRAL
    ceiling = program.deal_size_ceilings[band]
    return 1.0 if deal_value <= ceiling else ceiling / deal_value


def size(lead: LeadFacts, partner: PartnerFacts, program: ProgramSettings) -> tuple[float, list[Reason]]:
    """Company size against the segments served; deal value against the partner's size."""
    total = 0.0
    weight = 0.0
    reasons: list[Reason] = []
    segment = lead_segment(lead.employees)
    if segment is not None:
        fit = segment_fit(segment, partner.segments)
        total += SIZE_SEGMENT * fit
        weight += SIZE_SEGMENT
        if fit == 1.0 and partner.segments:
            reasons.append(Reason(codes.SEGMENT_MATCH, {"segment": segment}))
    if lead.deal_value is not None:
        band = partner_band(partner)
        fit = deal_fit(lead.deal_value, band, program)
        total += SIZE_DEAL * fit
        weight += SIZE_DEAL
        if fit == 1.0 and band is not None:
            reasons.append(Reason(codes.DEAL_SIZE_FIT, {}))
    return (total / weight if weight else NEUTRAL), reasons


# --- geography ------------------------------------------------------------------------------------


def area_contains(area: Area, lead: LeadFacts) -> bool:
    """Same country, and same region / postal code starting with the prefix where the area says so."""
    if lead.country is None or area.country != lead.country:
        return False
    if area.region is not None and area.region != lead.region:
        return False
    return area.postal_prefix is None or (
        lead.postal_code is not None and lead.postal_code.startswith(area.postal_prefix)
    )


def best_area(lead: LeadFacts, partner: PartnerFacts) -> Area | None:
    """The most precise of the partner's areas that contain the lead (first of equals)."""
    best: Area | None = None
    for area in partner.coverage:
        if area_contains(area, lead) and (
            best is None or GEOGRAPHY_LEVELS[area.level] > GEOGRAPHY_LEVELS[best.level]
        ):
            best = area
    return best


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) on a sphere of the Earth's mean radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def pair_distance_km(lead: LeadFacts, partner: PartnerFacts) -> float | None:
    if not (lead.has_coordinates and partner.has_coordinates):
        return None
    return distance_km(lead.latitude, lead.longitude, partner.latitude, partner.longitude)


def distance_score(km: float) -> float:
    """From 1 at 0 km down toward the country level, half-way at ``DISTANCE_HALF_KM``."""
    floor = GEOGRAPHY_LEVELS["country"]
    return floor + (1.0 - floor) * (DISTANCE_HALF_KM / (DISTANCE_HALF_KM + km))


def covers(lead: LeadFacts, partner: PartnerFacts) -> bool:
    """Whether one of the partner's areas, or its radius around its point, contains the lead."""
    if any(area_contains(area, lead) for area in partner.coverage):
        return True
    if partner.radius_km is None:
        return False
    km = pair_distance_km(lead, partner)
    return km is not None and km <= partner.radius_km


def geography(lead: LeadFacts, partner: PartnerFacts) -> tuple[float, list[Reason]]:
    """The best covering area's level; with coordinates on both sides, the distance if it says more."""
    area = best_area(lead, partner)
    level = GEOGRAPHY_LEVELS[area.level] if area is not None else 0.0
    km = pair_distance_km(lead, partner)
    if km is not None and distance_score(km) >= level:
        return distance_score(km), [Reason(codes.DISTANCE_KM, {"km": round(km)})]
    if area is None:
        return 0.0, []
    if area.level == "postal":
        return level, [Reason(codes.POSTAL_AREA, {"prefix": area.postal_prefix})]
    if area.level == "region":
        return level, [Reason(codes.SAME_REGION, {"region": area.region})]
    return level, [Reason(codes.SAME_COUNTRY, {"country": area.country})]


# --- responsiveness -------------------------------------------------------------------------------


def _figure_scores(history: Responsiveness) -> tuple[float | None, float | None, float | None, float | None]:
    """Each figure as a score in [0, 1] (higher is better), ``None`` where unknown."""
    claim = history.median_minutes_to_claim
    contact = history.median_minutes_to_first_contact
    return (
        None if claim is None else CLAIM_HALF_MINUTES / (CLAIM_HALF_MINUTES + claim),
        None if contact is None else CONTACT_HALF_MINUTES / (CONTACT_HALF_MINUTES + contact),
        history.sla_compliance_rate,
        None if history.decline_rate is None else 1.0 - history.decline_rate,
    )


def responsiveness(partner: PartnerFacts, program: ProgramSettings) -> tuple[float, list[Reason]]:
    """The partner's figures, each shrunk toward the programme's by ``PRIOR_OFFERS`` offers' worth.

    With no history a partner scores exactly the programme average; with ``n`` offers its own figure
    counts ``n / (n + PRIOR_OFFERS)``. A programme figure that is unknown counts as ``NEUTRAL``.
    """
    history = partner.responsiveness
    own = _figure_scores(history)
    average = _figure_scores(program.average_responsiveness)
    n = history.offers
    value = 0.0
    for weight, mine, theirs in zip(
        (RESPONSIVENESS_CLAIM, RESPONSIVENESS_CONTACT, RESPONSIVENESS_SLA, RESPONSIVENESS_DECLINE),
        own,
        average,
        strict=True,
    ):
        prior = NEUTRAL if theirs is None else theirs
        smoothed = prior if mine is None else (n * mine + PRIOR_OFFERS * prior) / (n + PRIOR_OFFERS)
        value += weight * smoothed
    reasons: list[Reason] = []
    if n >= REASON_MIN_OFFERS:
        claim = history.median_minutes_to_claim
        contact = history.median_minutes_to_first_contact
        sla = history.sla_compliance_rate
        if claim is not None and claim <= FAST_CLAIM_MINUTES:
            reasons.append(Reason(codes.FAST_RESPONDER, {"minutes": round(claim)}))
        if contact is not None and contact <= QUICK_CONTACT_MINUTES:
            reasons.append(Reason(codes.QUICK_FIRST_CONTACT, {"minutes": round(contact)}))
        if sla is not None and sla >= SLA_REASON_RATE:
            reasons.append(Reason(codes.MEETS_SLA, {"rate": round(sla, 2)}))
    return min(1.0, value), reasons


# --- capacity and tier ----------------------------------------------------------------------------


def capacity(partner: PartnerFacts) -> tuple[float, list[Reason]]:
    """The share of the partner's capacity still free."""
    if partner.capacity <= 0:
        return 0.0, []
    free = max(0, partner.capacity - partner.leads_in_progress)
    headroom = free / partner.capacity
    reasons = [Reason(codes.HAS_CAPACITY, {"free": free})] if headroom >= HEADROOM_REASON else []
    return headroom, reasons


def tier(partner: PartnerFacts) -> tuple[float, list[Reason]]:
    """The tier rank as a share of the top tier's."""
    reasons = [Reason(codes.TIER, {"rank": partner.tier_rank})] if partner.tier_rank > 0 else []
    return partner.tier_rank / MAX_TIER_RANK, reasons
