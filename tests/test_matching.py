"""The matching engine, by example: inputs, weights, eligibility, components, explanations, ranking,
coverage-gap causes and the batch scorer. Property tests live in test_matching_properties.py."""

from __future__ import annotations

import ast
import math
import re
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import matching
from matching import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    Area,
    InvalidWeights,
    LeadFacts,
    NotEligible,
    PartnerFacts,
    ProgramSettings,
    Responsiveness,
    batch_top_k,
    codes,
    gap_cause,
    ineligibility_reasons,
    rank_partners,
    score_pair,
    validate_weights,
    weighted_score,
)
from matching import components as c

ROOT = Path(__file__).resolve().parent.parent
PUMPS, VALVES, SENSORS = 1, 2, 3
PROGRAM = ProgramSettings()


def lead(**overrides) -> LeadFacts:
    values = {"id": 1, "country": "DE", "region": "BY", "postal_code": "80331", "product_line_id": PUMPS}
    return LeadFacts(**(values | overrides))


def partner(**overrides) -> PartnerFacts:
    values = {"id": 10, "product_line_ids": {PUMPS}, "coverage": [("DE", None, None)]}
    return PartnerFacts(**(values | overrides))


# --- a ranking a person can check -----------------------------------------------------------------


def test_hand_built_partners_rank_as_a_channel_manager_would_expect():
    """A chemicals company in Munich (300 staff, a 60k pump deal) and seven partners.

    1. Munich pump specialist: covers postal area 80, serves chemicals and mid-market, medium-sized,
       answers fast, has room, gold. Best on every count -> first.
    2. Bavarian generalist: covers the region (not the postal area), pumps but not chemicals, no
       history yet (scored at the programme average), plenty of room, silver -> second.
    3. Germany-wide platinum house: fits the industry and size, but covers the whole country only,
       is almost full (2 of 50 free) and answers slowly. Tier alone does not carry it -> third.
    Not eligible: an Austrian partner (outside coverage), a valves-only dealer (product line), a full
    one (capacity) and one that declined this lead before (excluded).
    """
    munich = LeadFacts(
        1, "DE", region="BY", postal_code="80331", product_line_id=PUMPS, industry="Chemicals",
        employees=300, deal_value=60_000, excluded_partner_ids={7},
    )  # fmt: skip
    partners = [
        PartnerFacts(
            1, tier_rank=2, product_line_ids={PUMPS}, industries=["Chemicals"], segments=["mid_market"],
            employees=60, coverage=[("DE", None, "80")], capacity=10, leads_in_progress=2,
            responsiveness=Responsiveness(40, 20, 90, 0.95, 0.05),
        ),
        PartnerFacts(
            2, tier_rank=1, product_line_ids={PUMPS, VALVES}, industries=["Manufacturing"],
            segments=["small", "mid_market"], employees=30, coverage=[("DE", "BY", None)], capacity=20,
            leads_in_progress=5,
        ),
        PartnerFacts(
            3, tier_rank=3, product_line_ids={PUMPS}, industries=["Chemicals"],
            segments=["mid_market", "enterprise"], employees=400, coverage=[("DE", None, None)],
            capacity=50, leads_in_progress=48, responsiveness=Responsiveness(60, 600, 2880, 0.5, 0.4),
        ),
        PartnerFacts(4, tier_rank=3, product_line_ids={PUMPS}, coverage=[("AT", None, None)]),
        PartnerFacts(5, product_line_ids={VALVES}, coverage=[("DE", None, "80")]),
        PartnerFacts(
            6, product_line_ids={PUMPS}, coverage=[("DE", "BY", None)], capacity=5, leads_in_progress=5
        ),
        PartnerFacts(7, product_line_ids={PUMPS}, coverage=[("DE", None, None)]),
    ]  # fmt: skip

    ranking = rank_partners(munich, partners, PROGRAM)

    assert [s.partner_id for s in ranking.eligible] == [1, 2, 3]
    assert [(i.partner_id, i.reasons) for i in ranking.ineligible] == [
        (4, ("outside_coverage",)),
        (5, ("product_line_not_served",)),
        (6, ("at_capacity",)),
        (7, ("excluded",)),
    ]
    best = ranking.eligible[0]
    assert [code for code, _ in best.reasons[:3]] == ["product_line_match", "industry_match", "postal_area"]
    assert best.components["geography"] == 1.0 and best.components["specialty"] == 1.0
    # The new partner is scored exactly at the programme average for responsiveness.
    assert ranking.eligible[1].components["responsiveness"] == pytest.approx(0.5)
    # The batch scorer picks the same three, in the same order, with the same scores.
    (chosen,) = batch_top_k([munich], partners, PROGRAM, k=3).by_lead().values()
    assert [ch.partner_id for ch in chosen] == [1, 2, 3]
    assert [ch.score for ch in chosen] == pytest.approx([s.score for s in ranking.eligible], abs=1e-12)


# --- inputs ---------------------------------------------------------------------------------------


def test_facts_normalise_codes_and_categories():
    facts = LeadFacts(1, " de ", region="by", postal_code="sw1a 1aa", industry="  Food   & Beverage ")
    assert (facts.country, facts.region, facts.postal_code) == ("DE", "BY", "SW1A1AA")
    assert facts.industry == "Food & Beverage" and facts.industry_key == "food & beverage"
    p = PartnerFacts(
        1, industries=["FOOD & beverage", ""], segments=["Mid_Market"], coverage=[("at", "w", "1 0")]
    )
    assert p.industries == {"food & beverage"} and p.segments == {"mid_market"}
    assert p.coverage == (Area("AT", "W", "10"),)
    assert PartnerFacts(2, industries="Retail").industries == {"retail"}  # a bare string is one item


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PartnerFacts(1, tier_rank=4), "tier_rank must be 0-3"),
        (lambda: PartnerFacts(1, enrolled="suspended"), "enrolled must be True or False"),
        (lambda: PartnerFacts(1, available="paused"), "available must be True or False"),
        (lambda: PartnerFacts(1, capacity=-1), "capacity must be a whole number"),
        (lambda: PartnerFacts(1, leads_in_progress=1.5), "leads_in_progress must be a whole number"),
        (lambda: PartnerFacts(1, segments=["huge"]), "unknown segments ['huge']"),
        (lambda: PartnerFacts(1, size_band="giant"), "unknown size_band"),
        (lambda: PartnerFacts(1, latitude=48.0), "latitude and longitude must be given together"),
        (lambda: PartnerFacts(1, radius_km=20), "radius_km needs latitude and longitude"),
        (lambda: PartnerFacts(1, latitude=91, longitude=0), "latitude must be at most 90"),
        (lambda: PartnerFacts(1, coverage=[("Germany", None, None)]), "country must be an ISO 3166-1"),
        (lambda: LeadFacts(1, "DE", deal_value=-5), "deal_value must be at least 0"),
        (lambda: LeadFacts(1, "DE", deal_value=math.nan), "deal_value must be finite"),
        (lambda: LeadFacts(1, "DE", deal_value="100"), "deal_value must be a number"),
        (lambda: LeadFacts(1, "DEU"), "country must be an ISO 3166-1"),
        (lambda: LeadFacts(1, "DE", excluded_partner_ids={"a"}), "excluded_partner_ids must hold integer"),
        (lambda: Responsiveness(3, sla_compliance_rate=1.2), "sla_compliance_rate must be at most 1"),
        (lambda: Responsiveness(-1), "offers must be a whole number"),
        (lambda: ProgramSettings(large_deal_min_tier=5), "large_deal_min_tier must be 0-3"),
        (lambda: ProgramSettings(deal_size_ceilings=(5, 4, 3, 2)), "deal_size_ceilings"),
        (lambda: ProgramSettings(weights={"tier": -1}), "tier: must not be negative"),
    ],
)
def test_bad_facts_are_refused_with_the_field_named(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_decimal_values_are_accepted():
    assert LeadFacts(1, "DE", deal_value=Decimal("1234.50")).deal_value == 1234.5


# --- weights --------------------------------------------------------------------------------------


def test_default_weights_sum_to_one_and_cover_every_component():
    assert tuple(DEFAULT_WEIGHTS) == COMPONENTS
    assert math.isclose(sum(DEFAULT_WEIGHTS.values()), 1.0)
    assert validate_weights(None) == pytest.approx(dict(DEFAULT_WEIGHTS))
    assert validate_weights({}) == pytest.approx(dict(DEFAULT_WEIGHTS))


def test_validate_weights_normalises_and_fills_missing_keys_with_defaults():
    weights = validate_weights({"specialty": 3, "size": 0, "geography": 1, "responsiveness": Decimal("1")}
                               | {"capacity": 0, "tier": 0.0})  # fmt: skip
    assert weights == {"specialty": 0.6, "size": 0.0, "geography": 0.2, "responsiveness": 0.2,
                       "capacity": 0.0, "tier": 0.0}  # fmt: skip
    partial = validate_weights({"tier": 0})
    assert partial["tier"] == 0 and math.isclose(sum(partial.values()), 1.0)
    assert partial["specialty"] / partial["size"] == pytest.approx(0.30 / 0.15)


def test_validate_weights_names_every_bad_key():
    with pytest.raises(InvalidWeights) as caught:
        validate_weights({"speed": 1, "tier": -0.5, "size": "high", "capacity": True, "geography": math.inf})
    assert caught.value.errors == {
        "speed": "unknown component; known: specialty, size, geography, responsiveness, capacity, tier",
        "size": "must be a number, got 'high'",
        "geography": "must be finite, got inf",
        "capacity": "must be a number, got True",
        "tier": "must not be negative, got -0.5",
    }
    with pytest.raises(InvalidWeights) as caught:
        validate_weights(dict.fromkeys(COMPONENTS, 0))
    assert caught.value.errors == {"_schema": "at least one weight must be above zero"}
    with pytest.raises(InvalidWeights, match="must be a mapping"):
        validate_weights([("tier", 1)])


def test_weighted_score_is_the_weighted_sum_of_components():
    weights = validate_weights({"specialty": 1, "size": 1, "geography": 0, "responsiveness": 0,
                                "capacity": 0, "tier": 2})  # fmt: skip
    values = dict.fromkeys(COMPONENTS, 0.0) | {"specialty": 1.0, "size": 0.5, "tier": 0.25}
    assert weighted_score(values, weights) == pytest.approx(0.25 * 1.0 + 0.25 * 0.5 + 0.5 * 0.25)


# --- eligibility ----------------------------------------------------------------------------------


def test_an_eligible_pair_has_no_reasons():
    assert ineligibility_reasons(lead(), partner(), PROGRAM) == ()


@pytest.mark.parametrize(
    ("the_lead", "the_partner", "program", "reasons"),
    [
        (lead(), partner(enrolled=False), PROGRAM, ("not_enrolled",)),
        (lead(), partner(available=False), PROGRAM, ("paused",)),
        (lead(), partner(coverage=[("AT", None, None)]), PROGRAM, ("outside_coverage",)),
        (lead(), partner(coverage=[("DE", "BW", None)]), PROGRAM, ("outside_coverage",)),
        (lead(), partner(coverage=[("DE", None, "81")]), PROGRAM, ("outside_coverage",)),
        (lead(), partner(coverage=[("DE", "BW", "80")]), PROGRAM, ("outside_coverage",)),
        (lead(region=None), partner(coverage=[("DE", "BY", None)]), PROGRAM, ("outside_coverage",)),
        (lead(postal_code=None), partner(coverage=[("DE", None, "80")]), PROGRAM, ("outside_coverage",)),
        (lead(country=None), partner(), PROGRAM, ("outside_coverage",)),
        (lead(), partner(coverage=[]), PROGRAM, ("outside_coverage",)),
        (lead(), partner(product_line_ids={VALVES}), PROGRAM, ("product_line_not_served",)),
        (lead(), partner(capacity=3, leads_in_progress=3), PROGRAM, ("at_capacity",)),
        (lead(), partner(capacity=0), PROGRAM, ("at_capacity",)),
        (lead(excluded_partner_ids={10}), partner(), PROGRAM, ("excluded",)),
        (
            lead(deal_value=300_000),
            partner(tier_rank=1),
            ProgramSettings(large_deal_threshold=250_000, large_deal_min_tier=2),
            ("tier_below_minimum",),
        ),
    ],
)
def test_each_hard_filter_has_its_reason(the_lead, the_partner, program, reasons):
    assert ineligibility_reasons(the_lead, the_partner, program) == reasons
    with pytest.raises(NotEligible) as caught:
        score_pair(the_lead, the_partner, program)
    assert caught.value.reasons == reasons


def test_every_failing_filter_is_reported_in_a_fixed_order():
    program = ProgramSettings(large_deal_threshold=1000, large_deal_min_tier=3)
    the_lead = lead(deal_value=5000, excluded_partner_ids={10})
    the_partner = partner(
        enrolled=False,
        available=False,
        coverage=[("FR", None, None)],
        product_line_ids={VALVES},
        capacity=1,
        leads_in_progress=1,
    )
    assert ineligibility_reasons(the_lead, the_partner, program) == codes.INELIGIBILITY_REASONS


def test_matching_also_passes_where_the_partner_restricts_itself():
    assert ineligibility_reasons(lead(), partner(coverage=[("DE", "BY", None)]), PROGRAM) == ()
    assert ineligibility_reasons(lead(), partner(coverage=[("DE", None, "803")]), PROGRAM) == ()
    assert ineligibility_reasons(lead(), partner(coverage=[("DE", "BY", "80")]), PROGRAM) == ()
    assert ineligibility_reasons(lead(region="by"), partner(coverage=[("de", "By", None)]), PROGRAM) == ()


def test_a_radius_adds_to_the_areas():
    munich = lead(latitude=48.137, longitude=11.575)
    # Augsburg, ~57 km from Munich, with a 60 km radius and no area in Germany.
    augsburg = partner(coverage=[("AT", None, None)], latitude=48.371, longitude=10.898, radius_km=60)
    assert ineligibility_reasons(munich, augsburg, PROGRAM) == ()
    assert ineligibility_reasons(munich, replace(augsburg, radius_km=50), PROGRAM) == ("outside_coverage",)
    # Without the lead's coordinates only the areas count.
    assert ineligibility_reasons(lead(), augsburg, PROGRAM) == ("outside_coverage",)
    # A point without a radius covers nothing by itself.
    assert ineligibility_reasons(munich, replace(augsburg, radius_km=None), PROGRAM) == ("outside_coverage",)


def test_the_large_deal_rule_applies_only_above_the_threshold_and_when_fully_set():
    program = ProgramSettings(large_deal_threshold=250_000, large_deal_min_tier=2)
    silver = partner(tier_rank=1)
    assert ineligibility_reasons(lead(deal_value=250_000), silver, program) == ()
    assert ineligibility_reasons(lead(deal_value=None), silver, program) == ()
    assert ineligibility_reasons(lead(deal_value=250_001), partner(tier_rank=2), program) == ()
    assert (
        ineligibility_reasons(lead(deal_value=10**9), silver, ProgramSettings(large_deal_threshold=1)) == ()
    )


# --- components -----------------------------------------------------------------------------------


def test_specialty_averages_the_parts_the_lead_names():
    the_lead = lead(industry="Chemicals", certifications=["Pump Specialist", "ATEX"])
    full = partner(industries=["chemicals"], certifications=["pump specialist", "atex"])
    assert c.specialty(the_lead, full)[0] == 1.0
    half_certs = partner(industries=["Retail"], certifications=["ATEX"])
    assert c.specialty(the_lead, half_certs)[0] == pytest.approx((0.5 * 1 + 0.3 * 0 + 0.2 * 0.5) / 1.0)
    silent = partner()  # says nothing about industries: neutral, not punished
    assert c.specialty(the_lead, silent)[0] == pytest.approx((0.5 + 0.3 * 0.5 + 0) / 1.0)
    # Only the product line is known about the lead: only it counts.
    assert c.specialty(lead(), partner(industries=["Retail"]))[0] == 1.0
    # Nothing known about the lead: the same neutral value for everyone.
    assert c.specialty(lead(product_line_id=None), partner())[0] == 0.5


def test_size_compares_segment_and_deal_with_the_partner():
    mid = lead(employees=300, deal_value=60_000)  # mid_market
    assert c.size(mid, partner(segments=["mid_market"], employees=60), PROGRAM)[0] == 1.0
    # Adjacent segment half; a micro partner (ceiling 25k) gets 25/60 of the deal fit.
    small_micro = partner(segments=["small"], employees=5)
    assert c.size(mid, small_micro, PROGRAM)[0] == pytest.approx(0.6 * 0.5 + 0.4 * 25_000 / 60_000)
    assert c.size(lead(employees=5000), partner(segments=["small"]), PROGRAM)[0] == 0.0 + 0.0
    # An explicit size band wins over the head count.
    assert c.partner_band(partner(employees=5, size_band="large")) == 3
    assert c.partner_band(partner(employees=250)) == 3 and c.partner_band(partner(employees=249)) == 2
    assert (
        c.lead_segment(49) == "small"
        and c.lead_segment(50) == "mid_market"
        and c.lead_segment(1000) == "enterprise"
    )
    assert c.size(lead(), partner(), PROGRAM)[0] == 0.5  # nothing known about the lead's size


def test_geography_prefers_the_most_precise_area_or_the_distance():
    covering = [("DE", None, None), ("DE", "BY", None), ("DE", None, "80")]
    assert c.geography(lead(), partner(coverage=covering[:1]))[0] == 0.4
    assert c.geography(lead(), partner(coverage=covering[:2]))[0] == 0.7
    assert c.geography(lead(), partner(coverage=covering))[0] == 1.0
    near = lead(latitude=48.137, longitude=11.575)
    forty_km = partner(latitude=48.137 + 40 / 111.2, longitude=11.575)  # ~40 km north
    value, reasons = c.geography(near, forty_km)
    assert reasons == [("distance_km", {"km": 40})]
    assert value == pytest.approx(0.4 + 0.6 * 50 / 90, abs=1e-3)
    # A far partner never scores below the area it covers.
    far = partner(coverage=covering[1:2], latitude=53.55, longitude=9.99)
    assert c.geography(near, far) == (0.7, [("same_region", {"region": "BY"})])


def test_distance_is_the_great_circle_distance():
    assert c.distance_km(48.137, 11.575, 52.520, 13.405) == pytest.approx(504, abs=2)  # Munich-Berlin
    assert c.distance_km(0, 179.5, 0, -179.5) == pytest.approx(111.2, abs=0.2)  # across the date line
    assert c.distance_km(10, 10, 10, 10) == 0.0


def test_a_new_partner_scores_the_programme_average_for_responsiveness():
    average = Responsiveness(500, 30, 120, 0.9, 0.1)
    program = ProgramSettings(average_responsiveness=average)
    newcomer = partner(responsiveness=Responsiveness())
    veteran_like_average = partner(responsiveness=average)
    assert c.responsiveness(newcomer, program)[0] == pytest.approx(
        c.responsiveness(veteran_like_average, program)[0]
    )
    # With little history the own figures move the score only a little; with much, a lot.
    slow = Responsiveness(2, 600, 2000, 0.5, 0.5)
    slow_long = Responsiveness(200, 600, 2000, 0.5, 0.5)
    base = c.responsiveness(newcomer, program)[0]
    a_bit = c.responsiveness(partner(responsiveness=slow), program)[0]
    a_lot = c.responsiveness(partner(responsiveness=slow_long), program)[0]
    assert a_lot < a_bit < base
    assert base - a_bit < (base - a_lot) / 4
    # No programme figures at all: everything neutral.
    assert c.responsiveness(newcomer, PROGRAM)[0] == pytest.approx(0.5)


def test_capacity_headroom_and_tier():
    assert c.capacity(partner(capacity=10, leads_in_progress=3)) == (0.7, [("has_capacity", {"free": 7})])
    assert c.capacity(partner(capacity=10, leads_in_progress=6)) == (0.4, [])
    assert c.tier(partner(tier_rank=3)) == (1.0, [("tier", {"rank": 3})])
    assert c.tier(partner(tier_rank=0)) == (0.0, [])


# --- explanations ---------------------------------------------------------------------------------


def test_reasons_come_ordered_by_the_contribution_of_their_component():
    program = ProgramSettings(weights={"specialty": 0.1, "size": 0, "geography": 0.6, "responsiveness": 0,
                                       "capacity": 0.3, "tier": 0})  # fmt: skip
    scored = score_pair(lead(), partner(coverage=[("DE", None, "80")], capacity=4, tier_rank=3), program)
    # geography 0.6 * 1.0 > capacity 0.3 * 1.0 > specialty 0.1 * 1.0; tier has weight 0: no reason.
    assert scored.reasons == (
        ("postal_area", {"prefix": "80"}),
        ("has_capacity", {"free": 4}),
        ("product_line_match", {"product_line_id": PUMPS}),
    )


def test_responsiveness_reasons_need_the_partners_own_history():
    fast = Responsiveness(12, 9.6, 45, 0.974, 0.0)
    assert c.responsiveness(partner(responsiveness=fast), PROGRAM)[1] == [
        ("fast_responder", {"minutes": 10}),
        ("quick_first_contact", {"minutes": 45}),
        ("meets_sla", {"rate": 0.97}),
    ]
    too_new = Responsiveness(4, 9.6, 45, 0.974, 0.0)
    program = ProgramSettings(average_responsiveness=fast)
    assert c.responsiveness(partner(responsiveness=too_new), program)[1] == []
    assert c.responsiveness(partner(), program)[1] == []  # a fast programme does not make a newcomer fast


def test_every_code_is_documented():
    documented = (ROOT / "docs" / "matching.md").read_text()
    explanation = [code for group in codes.EXPLANATION_CODES.values() for code in group]
    for code in (*codes.INELIGIBILITY_REASONS, codes.NO_PARTNERS, *explanation):
        assert f"`{code}`" in documented, code
    for name in COMPONENTS:
        assert f"`{name}`" in documented, name
    assert set(codes.EXPLANATION_CODES) == set(COMPONENTS)


# --- coverage gaps --------------------------------------------------------------------------------


def test_gap_cause_names_the_filter_that_leaves_nobody():
    austrian = partner(id=1, coverage=[("AT", None, None)])
    valves = partner(id=2, product_line_ids={VALVES})
    full = partner(id=3, capacity=1, leads_in_progress=1)
    assert gap_cause(rank_partners(lead(), [], PROGRAM)) == "no_partners"
    assert gap_cause(rank_partners(lead(), [austrian], PROGRAM)) == "outside_coverage"
    assert gap_cause(rank_partners(lead(), [austrian, valves], PROGRAM)) == "product_line_not_served"
    assert gap_cause(rank_partners(lead(), [austrian, valves, full], PROGRAM)) == "at_capacity"
    declined = partner(id=4)
    assert (
        gap_cause(rank_partners(lead(excluded_partner_ids={4}), [full, declined], PROGRAM)) == "at_capacity"
    )
    assert gap_cause(rank_partners(lead(excluded_partner_ids={4}), [declined], PROGRAM)) == "excluded"
    assert gap_cause(rank_partners(lead(), [austrian, partner(id=5)], PROGRAM)) is None


# --- ranking and batch ----------------------------------------------------------------------------


def test_ties_are_broken_by_partner_id_in_both_scorers():
    twins = [partner(id=i) for i in (30, 10, 20)]
    assert [s.partner_id for s in rank_partners(lead(), twins, PROGRAM).eligible] == [10, 20, 30]
    for k in (2, 40):  # the argmax path and the sorting path
        top = batch_top_k([lead()], twins, PROGRAM, k=k)
        assert [ch.partner_id for ch in top.choices(0)] == [10, 20, 30][:k]


def test_batch_pads_leads_with_fewer_eligible_partners_than_k():
    leads = [lead(id=1), lead(id=2, country="FR"), lead(id=3, product_line_id=SENSORS)]
    partners = [partner(id=10), partner(id=11, coverage=[("FR", None, None)]), partner(id=12, enrolled=False)]
    top = batch_top_k(leads, partners, PROGRAM, k=2)
    assert top.lead_ids.tolist() == [1, 2, 3]
    assert top.partner_ids.tolist() == [[10, -1], [11, -1], [-1, -1]]
    assert top.eligible_counts.tolist() == [1, 1, 0]
    assert np.isnan(top.scores[0, 1]) and np.isnan(top.components[2]).all()
    assert top.by_lead()[3] == []
    assert set(top.by_lead()[1][0].components) == set(COMPONENTS)


def test_paused_partners_are_skipped_by_both_scorers():
    partners = [partner(id=10, available=False), partner(id=11), partner(id=12, available=False)]
    ranking = rank_partners(lead(), partners, PROGRAM)
    assert [s.partner_id for s in ranking.eligible] == [11]
    assert [(i.partner_id, i.reasons) for i in ranking.ineligible] == [(10, ("paused",)), (12, ("paused",))]
    top = batch_top_k([lead()], partners, PROGRAM, k=3)
    assert [ch.partner_id for ch in top.choices(0)] == [11]
    assert top.eligible_counts.tolist() == [1]


def test_a_lead_whose_only_partners_are_paused_has_the_gap_cause_paused():
    partners = [partner(id=10, available=False), partner(id=11, available=False, capacity=0)]
    ranking = rank_partners(lead(), partners, PROGRAM)
    assert gap_cause(ranking) == "paused"
    # Not enrolled comes first: recruiting is the structural cause.
    assert gap_cause(rank_partners(lead(), [partner(id=10, enrolled=False, available=False)], PROGRAM)) == (
        "not_enrolled"
    )


def test_batch_handles_radius_partners_leads_without_country_and_exclusions():
    munich = lead(id=1, latitude=48.137, longitude=11.575)
    nowhere = lead(id=2, country=None, latitude=48.2, longitude=11.6)
    excluded = lead(id=3, excluded_partner_ids={20, 999})
    radius = partner(id=20, coverage=[], latitude=48.371, longitude=10.898, radius_km=60)
    country = partner(id=21)
    top = batch_top_k([munich, nowhere, excluded], [radius, country], PROGRAM, k=3)
    # 57 km away scores above a country-wide match; without a country only the radius can cover.
    assert [[ch.partner_id for ch in top.choices(i)] for i in range(3)] == [[20, 21], [20], [21]]
    for row, the_lead in enumerate([munich, nowhere, excluded]):
        expected = rank_partners(the_lead, [radius, country], PROGRAM).eligible
        assert [ch.score for ch in top.choices(row)] == pytest.approx([s.score for s in expected], abs=1e-12)


def test_batch_chunking_does_not_change_the_result():
    leads = [lead(id=i, postal_code=f"{80 + i % 3}123", employees=10 * i) for i in range(1, 30)]
    partners = [
        partner(
            id=j,
            coverage=[("DE", None, f"{80 + j % 4}")],
            tier_rank=j % 4,
            capacity=5 + j,
            leads_in_progress=j % 5,
        )
        for j in range(1, 25)
    ]
    whole = batch_top_k(leads, partners, PROGRAM, k=4)
    tiny = batch_top_k(leads, partners, PROGRAM, k=4, chunk_pairs=1)
    assert np.array_equal(whole.partner_ids, tiny.partner_ids)
    assert np.allclose(whole.scores, tiny.scores, equal_nan=True, rtol=0, atol=0)


def test_batch_refuses_bad_arguments():
    with pytest.raises(ValueError, match="k must be"):
        batch_top_k([lead()], [partner()], PROGRAM, k=0)
    with pytest.raises(ValueError, match="chunk_pairs must be"):
        batch_top_k([lead()], [partner()], PROGRAM, chunk_pairs=0)
    with pytest.raises(ValueError, match=r"partner ids appear more than once: \[10\]"):
        batch_top_k([lead()], [partner(), partner()], PROGRAM)
    with pytest.raises(ValueError, match=r"lead ids appear more than once: \[1\]"):
        batch_top_k([lead(), lead()], [partner()], PROGRAM)
    with pytest.raises(ValueError, match="appears twice"):
        rank_partners(lead(), [partner(), partner()], PROGRAM)
    empty = batch_top_k([], [partner()], PROGRAM)
    assert empty.partner_ids.shape == (0, 3)


# --- purity ---------------------------------------------------------------------------------------


def test_matching_imports_only_the_standard_library_and_numpy():
    allowed = set(sys.stdlib_module_names) | {"numpy", "matching"}
    imported = set()
    for path in (ROOT / "matching").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert imported - allowed == set()
    assert set(matching.__all__) <= set(dir(matching))


def test_prepared_partners_score_exactly_like_plain_ones():
    """``prepare_partners`` is an optimisation only: same choices, same scores, and it refuses
    settings other than the ones it was prepared for."""
    import random

    import numpy as np

    import bench.matching as generated

    rng = random.Random(7)
    geo = generated.Geography(rng)
    partners = generated.make_partners(rng, geo, 300)
    leads = generated.make_leads(rng, geo, 60, partners)
    program = generated.make_program()
    prepared = matching.prepare_partners(partners, program)
    plain = matching.batch_top_k(leads, partners, program, k=5)
    together = matching.batch_top_k(leads, prepared, program, k=5)
    one_by_one = [matching.batch_top_k([lead], prepared, program, k=5) for lead in leads]
    assert np.array_equal(plain.partner_ids, together.partner_ids)
    assert np.array_equal(plain.partner_ids, np.vstack([top.partner_ids for top in one_by_one]))
    assert np.allclose(plain.scores, together.scores, equal_nan=True, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="other programme settings"):
        matching.batch_top_k(leads, prepared, generated.make_program(), k=5)
