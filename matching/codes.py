"""Stable reason codes. ``exchange`` renders them into (translated) text; never rename one.

Ineligibility reasons say why a partner may not be offered a lead; a pair gets every reason that
applies, in the order of ``INELIGIBILITY_REASONS``. Explanation codes say why an eligible partner
scored as it did; each comes with a dict of plain parameters (see docs/matching.md).
"""

from __future__ import annotations

# Ineligibility (hard filters)
NOT_ENROLLED = "not_enrolled"  # the enrollment with the manufacturer is not active
PAUSED = "paused"  # the partner paused new offers (away)
OUTSIDE_COVERAGE = "outside_coverage"  # no coverage area or radius contains the lead's location
PRODUCT_LINE_NOT_SERVED = (
    "product_line_not_served"  # the lead names a product line the partner does not serve
)
AT_CAPACITY = "at_capacity"  # leads in progress >= capacity
EXCLUDED = "excluded"  # the partner declined, returned or was recycled away from this lead
TIER_BELOW_MINIMUM = "tier_below_minimum"  # a large deal needs a higher tier

INELIGIBILITY_REASONS = (
    NOT_ENROLLED,
    PAUSED,
    OUTSIDE_COVERAGE,
    PRODUCT_LINE_NOT_SERVED,
    AT_CAPACITY,
    EXCLUDED,
    TIER_BELOW_MINIMUM,
)

# Why a lead has no eligible partner at all (``gap_cause``): the first filter, in this order, that
# leaves no partner standing. Structural causes come first (recruit or enroll partners), temporary
# ones last (capacity frees up).
NO_PARTNERS = "no_partners"  # the programme has no partners at all
GAP_FUNNEL = (
    NOT_ENROLLED,
    PAUSED,
    OUTSIDE_COVERAGE,
    PRODUCT_LINE_NOT_SERVED,
    TIER_BELOW_MINIMUM,
    EXCLUDED,
    AT_CAPACITY,
)

# Explanation codes, by component. Parameters in brackets.
PRODUCT_LINE_MATCH = "product_line_match"  # serves the lead's product line {product_line_id}
INDUSTRY_MATCH = "industry_match"  # serves the lead's industry {industry}
CERTIFIED = "certified"  # holds certifications that qualify for the lead {certifications: [names]}
SEGMENT_MATCH = "segment_match"  # serves the lead's customer segment {segment}
DEAL_SIZE_FIT = "deal_size_fit"  # the deal value is within the partner's comfortable range {}
POSTAL_AREA = "postal_area"  # covers the lead's postal area {prefix}
SAME_REGION = "same_region"  # covers the lead's region {region}
SAME_COUNTRY = "same_country"  # covers the lead's whole country {country}
DISTANCE_KM = "distance_km"  # the partner is this far from the lead {km: int}
FAST_RESPONDER = "fast_responder"  # claims offers fast {minutes: median minutes to claim}
QUICK_FIRST_CONTACT = "quick_first_contact"  # contacts claimed leads fast {minutes: median}
MEETS_SLA = "meets_sla"  # keeps its SLA deadlines {rate: 0..1, two decimals}
HAS_CAPACITY = "has_capacity"  # has room for more leads {free: leads it can still take}
TIER = "tier"  # its programme tier {rank: 1 silver, 2 gold, 3 platinum}

EXPLANATION_CODES = {
    "specialty": (PRODUCT_LINE_MATCH, INDUSTRY_MATCH, CERTIFIED),
    "size": (SEGMENT_MATCH, DEAL_SIZE_FIT),
    "geography": (POSTAL_AREA, SAME_REGION, SAME_COUNTRY, DISTANCE_KM),
    "responsiveness": (FAST_RESPONDER, QUICK_FIRST_CONTACT, MEETS_SLA),
    "capacity": (HAS_CAPACITY,),
    "tier": (TIER,),
}
