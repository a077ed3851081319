"""The engine wired to the database: publishing makes offers, gaps are recorded, partners' changes
re-match, declines move a lead on, exclusions hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from exchange.accounts import organisations
from exchange.models import (
    CoverageArea,
    DeclineReason,
    Event,
    LeadStatus,
    Offer,
    OfferState,
    ProductLine,
    Role,
    Tier,
)
from exchange.offers import claims, matchmaking
from exchange.platform import clock
from exchange.platform.extensions import db
from tests import factories as f
from tests.helpers import published


@pytest.fixture
def programme(app):
    maker = f.manufacturer("Pump Maker")
    maker.program.wave_size = 2
    pumps = db.session.scalar(sa.select(ProductLine).where(ProductLine.manufacturer_id == maker.id))
    valves = organisations.add_product_line(maker, "valves", "Valves")

    def partner(name, coverage, lines, tier=Tier.SILVER, **profile):
        org = organisations.create_partner(
            name, coverage=coverage, capacity=5, segments=["mid_market"], **profile
        )
        organisations.enroll(maker, org, tier=tier, product_lines=lines)
        return org

    partners = {
        "munich": partner(
            "Munich Pumps", [("DE", None, "80")], [pumps], Tier.GOLD, industries=["Manufacturing"]
        ),
        "bavaria": partner("Bavaria Flow", [("DE", "BY", None)], [pumps, valves]),
        "germany": partner("Germany Wide", [("DE", None, None)], [pumps]),
        "valves_only": partner("Valve Shop", [("DE", None, None)], [valves]),
        "austria": partner("Wien Pumpen", [("AT", None, None)], [pumps]),
    }
    reps = {key: f.user(org, Role.PARTNER_REP) for key, org in partners.items()}
    db.session.commit()
    return {"maker": maker, "pumps": pumps, "valves": valves, "p": partners, "reps": reps}


def open_offers(lead):
    return list(
        db.session.scalars(
            sa.select(Offer)
            .where(Offer.lead_id == lead.id, Offer.state == OfferState.OPEN)
            .order_by(Offer.rank)
        )
    )


def test_publishing_offers_the_lead_to_the_best_partners_with_reasons(programme):
    p = programme["p"]
    lead = published(programme)
    summary = matchmaking.match_leads([lead.id])
    assert summary == {"leads": 1, "offered": 1, "unmatched": 0}
    db.session.expire_all()
    offers = open_offers(lead)
    # postal area beats region beats country; the valve-only and Austrian partners are not eligible
    assert [o.partner_id for o in offers] == [p["munich"].id, p["bavaria"].id]
    assert lead.status == LeadStatus.OFFERED and lead.current_wave == 1
    assert lead.match_summary == {"eligible": 3}
    best = offers[0]
    assert 0 < best.score <= 1 and set(best.components) >= {"specialty", "geography"}
    assert best.explanation.startswith("Product line match") or "postal area" in best.explanation
    assert ["postal_area", {"prefix": "80"}] in best.reasons
    assert best.claim_deadline > clock.now()


def test_matching_twice_changes_nothing(programme):
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    matchmaking.match_leads([lead.id])
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Offer).where(Offer.lead_id == lead.id)) == 2
    )


def test_a_lead_nobody_can_take_is_recorded_as_a_gap(programme):
    lead = published(programme, country="FR", region=None, postal_code="75001")
    assert matchmaking.match_leads([lead.id])["unmatched"] == 1
    db.session.expire_all()
    assert lead.status == LeadStatus.PUBLISHED
    assert lead.match_summary["cause"] == "outside_coverage"
    assert lead.match_summary["ineligible"]["outside_coverage"] == 5
    assert (
        db.session.scalar(sa.select(Event.data).where(Event.type == "lead.unmatched"))["cause"]
        == "outside_coverage"
    )


def test_unserved_product_line_is_its_own_gap(programme):
    other_line = organisations.add_product_line(programme["maker"], "sensors", "Sensors")
    lead = published(programme, product_line_id=other_line.id)
    matchmaking.match_leads([lead.id])
    db.session.expire_all()
    assert lead.match_summary["cause"] == "product_line_not_served"


def test_a_partner_who_starts_covering_a_country_gets_waiting_leads(programme):
    lead = published(programme, country="FR", region=None, postal_code="75001")
    matchmaking.match_leads([lead.id])
    austria = programme["p"]["austria"]
    db.session.add(CoverageArea(partner_id=austria.id, country="FR"))
    db.session.commit()
    result = matchmaking.rematch_partner(austria.id)
    assert result["rematched_leads"] == 1
    db.session.expire_all()
    assert [o.partner_id for o in open_offers(lead)] == [austria.id]


def test_a_partner_who_stops_covering_loses_unseen_offers_to_the_next_best(programme):
    p = programme["p"]
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    munich = p["munich"]
    db.session.execute(sa.delete(CoverageArea).where(CoverageArea.partner_id == munich.id))
    db.session.add(CoverageArea(partner_id=munich.id, country="AT"))
    db.session.commit()
    result = matchmaking.rematch_partner(munich.id)
    assert result["withdrawn"] == 1 and result["replaced"] == 1
    db.session.expire_all()
    assert sorted(o.partner_id for o in open_offers(lead)) == sorted([p["bavaria"].id, p["germany"].id])
    assert matchmaking.rematch_partner(munich.id) == {
        "rematched_leads": 0,
        "rescored": 0,
        "withdrawn": 0,
        "replaced": 0,
    }


def test_seen_offers_are_left_alone_by_rematching(programme):
    p = programme["p"]
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    offer = open_offers(lead)[0]
    offer.first_shown_at = clock.now()
    db.session.execute(sa.delete(CoverageArea).where(CoverageArea.partner_id == p["munich"].id))
    db.session.commit()
    assert matchmaking.rematch_partner(p["munich"].id)["withdrawn"] == 0


def test_rematching_a_partner_at_capacity_keeps_and_rescores_its_unseen_offers(programme):
    """Being full is an outcome: the job does not fail (it raised NotEligible: at_capacity)."""
    from exchange.models import PartnerProfile

    munich = programme["p"]["munich"]
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    offer = next(o for o in open_offers(lead) if o.partner_id == munich.id)
    profile = db.session.scalar(sa.select(PartnerProfile).where(PartnerProfile.partner_id == munich.id))
    profile.capacity = 1
    busy = f.offer(published(programme, status=LeadStatus.OFFERED), munich, rank=1)
    f.claim(busy)
    offer.score = 0.01  # stale: the re-scoring must refresh it
    db.session.commit()

    result = matchmaking.rematch_partner(munich.id)

    assert result["withdrawn"] == 0 and result["rescored"] == 1
    db.session.expire_all()
    assert offer.state == OfferState.OPEN and offer.score > 0.01
    assert offer.components["capacity"] == 0


def test_decline_moves_the_lead_on_and_the_decliner_never_gets_it_again(programme):
    p, reps = programme["p"], programme["reps"]
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    for key in ("munich", "bavaria"):
        offer = db.session.scalar(
            sa.select(Offer).where(Offer.lead_id == lead.id, Offer.partner_id == p[key].id)
        )
        claims.decline_offer(reps[key], offer, DeclineReason.TOO_SMALL, None)
        db.session.commit()
    db.session.expire_all()
    assert lead.current_wave == 2
    assert [o.partner_id for o in open_offers(lead)] == [p["germany"].id]
    # wave 2 lapses: only Germany Wide is left and nobody new -> straight to the pool, decliners excluded
    from exchange.sla.sweep import run_sweep

    with clock.frozen(clock.now() + timedelta(days=30)):
        run_sweep()
        db.session.commit()
    db.session.expire_all()
    assert lead.current_wave == 4  # pool after the last (third) wave
    assert [o.partner_id for o in open_offers(lead)] == [p["germany"].id]


def test_rerank_refreshes_unseen_offers_after_responsiveness_changes(programme):
    p = programme["p"]
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    from exchange.models import Enrollment

    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == p["bavaria"].id))
    enrollment.responsiveness = {
        "offers": 40,
        "claim_minutes_median": 3,
        "contact_minutes_median": 10,
        "sla_compliance": 1.0,
        "decline_rate": 0.0,
    }
    before = {o.partner_id: o.score for o in open_offers(lead)}
    db.session.commit()
    assert matchmaking.rerank_unshown()["rescored"] >= 1
    db.session.expire_all()
    after = {o.partner_id: o.score for o in open_offers(lead)}
    assert after[p["bavaria"].id] > before[p["bavaria"].id]


# --- the manufacturer's pages ---------------------------------------------------------------------


def test_lead_partners_page_ranks_and_explains(client, programme):
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    admin = f.user(programme["maker"], Role.MANUFACTURER_ADMIN)
    db.session.commit()
    f.login(client, admin)
    page = client.get(f"/manage/leads/{lead.id}/partners").get_data(as_text=True)
    assert page.index("Munich Pumps") < page.index("Bavaria Flow") < page.index("Germany Wide")
    assert "does not serve the product line" in page and "Valve Shop" in page
    assert "cover the lead" in page and "Wien Pumpen" in page
    assert "In your postal area" in page
    # an eligible partner's name links to its scorecard
    assert f'href="/manage/analytics/partners/{programme["p"]["munich"].id}">Munich Pumps</a>' in page


def test_coverage_gaps_page_groups_by_cause(client, programme):
    other_line = organisations.add_product_line(programme["maker"], "sensors", "Sensors")
    leads = [
        published(programme, country="FR", region=None, postal_code="75001", company_name="Paris SA"),
        published(programme, product_line_id=other_line.id, company_name="Sensor GmbH"),
        published(programme, company_name="Fine AG"),
    ]
    matchmaking.match_leads([lead.id for lead in leads])
    manager = f.user(programme["maker"], Role.CHANNEL_MANAGER)
    db.session.commit()
    f.login(client, manager)
    page = client.get("/manage/coverage-gaps").get_data(as_text=True)
    assert "No partner covers this location" in page and "Paris SA" in page
    assert "No partner serves this product line here" in page and "Sensor GmbH" in page
    assert "Fine AG" not in page


def test_weights_are_validated_and_change_the_ranking(client, programme, run_jobs):
    p = programme["p"]
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    admin = f.user(programme["maker"], Role.MANUFACTURER_ADMIN)
    manager = f.user(programme["maker"], Role.CHANNEL_MANAGER)
    db.session.commit()
    f.login(client, manager)
    assert client.get("/manage/matching").status_code == 200
    assert client.post("/manage/matching", data={"tier": "100"}).status_code == 303
    f.login(client, admin)
    zeros = {name: "0" for name in ("specialty", "size", "geography", "responsiveness", "capacity", "tier")}
    page = client.post("/manage/matching", data=zeros).get_data(as_text=True)
    assert "The weights are not valid" in page
    negative = {**zeros, "tier": "-5"}
    assert "Number must be between" in client.post("/manage/matching", data=negative).get_data(as_text=True)
    only_tier = {**zeros, "tier": "100"}
    assert client.post("/manage/matching", data=only_tier).status_code == 302
    db.session.expire_all()
    assert programme["maker"].program.matching_weights["tier"] == 1.0
    run_jobs()  # the re-rank of unseen offers
    db.session.expire_all()
    scores = {o.partner_id: o.score for o in open_offers(lead)}
    assert scores[p["munich"].id] == pytest.approx(2 / 3)  # gold = rank 2 of 3
    changed = db.session.scalar(sa.select(Event).where(Event.type == "matching.weights_changed"))
    assert changed.data["to"]["tier"] == 1.0
