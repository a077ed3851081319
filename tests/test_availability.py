"""Availability: a partner admin pauses new offers and resumes; matching and the waves skip paused
partners, claims go on; public holidays of the partner's country and region move deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from exchange.accounts import organisations
from exchange.models import (
    Claim,
    ClaimStatus,
    DeclineReason,
    Event,
    LeadStatus,
    Offer,
    OfferState,
    PartnerProfile,
    ProductLine,
    Role,
    Tier,
)
from exchange.offers import claims, matchmaking
from exchange.partners import availability
from exchange.platform import clock
from exchange.platform.errors import DomainError, NotAllowed
from exchange.platform.extensions import db
from exchange.sla import partners as sla_partners
from exchange.sla.calendar import business_deadline
from tests import factories as f
from tests.helpers import published


@pytest.fixture
def programme(app):
    maker = f.manufacturer("Pump Maker")
    maker.program.wave_size = 2
    pumps = db.session.scalar(sa.select(ProductLine).where(ProductLine.manufacturer_id == maker.id))

    def partner(name, coverage, tier=Tier.SILVER, **profile):
        org = organisations.create_partner(
            name, coverage=coverage, capacity=5, segments=["mid_market"], **profile
        )
        organisations.enroll(maker, org, tier=tier, product_lines=[pumps])
        return org

    partners = {
        "munich": partner("Munich Pumps", [("DE", None, "80")], Tier.GOLD, industries=["Manufacturing"]),
        "bavaria": partner("Bavaria Flow", [("DE", "BY", None)]),
        "franconia": partner("Franconia Flow", [("DE", "BY", None)]),
        "germany": partner("Germany Wide", [("DE", None, None)]),
    }
    admins = {key: f.user(org, Role.PARTNER_ADMIN) for key, org in partners.items()}
    reps = {key: f.user(org, Role.PARTNER_REP) for key, org in partners.items()}
    db.session.commit()
    return {"maker": maker, "pumps": pumps, "p": partners, "admins": admins, "reps": reps}


def open_partner_ids(lead):
    return [
        offer.partner_id
        for offer in db.session.scalars(
            sa.select(Offer)
            .where(Offer.lead_id == lead.id, Offer.state == OfferState.OPEN)
            .order_by(Offer.rank)
        )
    ]


# --- pause, resume, expiry ---------------------------------------------------------------------------


def test_pause_until_a_date_then_it_ends_by_itself(programme):
    org, admin = programme["p"]["munich"], programme["admins"]["munich"]
    now = clock.now()
    until = now + timedelta(days=10)
    state = availability.pause(admin, org, until=until, reason="  Trade   fair ")
    db.session.commit()
    assert state.paused and state.paused_until == until and state.reason == "Trade fair"
    profile = org.profile
    assert availability.is_paused(profile) and now <= profile.paused_at <= clock.now()
    event = db.session.scalar(sa.select(Event).where(Event.type == "partner.paused"))
    assert event.partner_id == org.id and event.actor_user_id == admin.id
    assert event.data["until"] == until.isoformat() and event.data["reason"] == "Trade fair"
    # The same rule in SQL.
    paused_ids = set(
        db.session.scalars(sa.select(PartnerProfile.partner_id).where(availability.paused_clause()))
    )
    assert paused_ids == {org.id}
    later = until + timedelta(seconds=1)
    assert not availability.is_paused(profile, later)
    assert not db.session.scalars(
        sa.select(PartnerProfile.partner_id).where(availability.paused_clause(later))
    ).all()
    with clock.frozen(later):
        assert availability.availability(profile).paused is False


def test_pause_without_a_date_lasts_until_resumed(programme):
    org, admin = programme["p"]["munich"], programme["admins"]["munich"]
    availability.pause(admin, org, until=None, reason="Short-staffed")
    db.session.commit()
    assert availability.is_paused(org.profile, clock.now() + timedelta(days=3650))
    state = availability.resume(admin, org)
    db.session.commit()
    assert not state.paused and org.profile.paused_at is None and org.profile.pause_reason is None
    types = list(
        db.session.scalars(sa.select(Event.type).where(Event.partner_id == org.id).order_by(Event.id))
    )
    assert types[-2:] == ["partner.paused", "partner.resumed"]
    # Resuming when not paused records nothing.
    availability.resume(admin, org)
    assert db.session.scalar(sa.select(sa.func.count()).where(Event.type == "partner.resumed")) == 1


@pytest.mark.parametrize(
    ("until", "reason", "field"),
    [
        (lambda now: now - timedelta(minutes=1), "Away", "until"),
        (lambda now: now.replace(tzinfo=None) + timedelta(days=1), "Away", "until"),
        (lambda now: None, "   ", "reason"),
        (lambda now: None, "x" * 301, "reason"),
    ],
)
def test_bad_pauses_are_refused_on_their_field(programme, until, reason, field):
    org, admin = programme["p"]["munich"], programme["admins"]["munich"]
    with pytest.raises(DomainError) as refused:
        availability.pause(admin, org, until=until(clock.now()), reason=reason)
    assert refused.value.field == field
    assert not availability.is_paused(org.profile)


def test_only_the_partners_own_admin_may_pause(programme):
    org = programme["p"]["munich"]
    with pytest.raises(NotAllowed):
        availability.pause(programme["reps"]["munich"], org, until=None, reason="Away")
    with pytest.raises(NotAllowed):
        availability.pause(programme["admins"]["bavaria"], org, until=None, reason="Away")
    with pytest.raises(NotAllowed):
        availability.resume(programme["reps"]["munich"], org)


# --- matching and waves ------------------------------------------------------------------------------


def test_a_paused_partner_gets_no_offers_and_the_next_one_does(programme):
    p = programme["p"]
    availability.pause(programme["admins"]["munich"], p["munich"], until=None, reason="Away")
    db.session.commit()
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    db.session.expire_all()
    offered = open_partner_ids(lead)
    assert p["munich"].id not in offered and len(offered) == 2
    ranking = matchmaking.ProgramMatcher(programme["maker"].id).ranking(lead)
    assert ("paused",) in [i.reasons for i in ranking.ineligible if i.partner_id == p["munich"].id]


def test_when_every_partner_is_paused_the_gap_cause_is_paused(programme):
    for key, org in programme["p"].items():
        availability.pause(programme["admins"][key], org, until=None, reason="Holidays")
    db.session.commit()
    lead = published(programme)
    assert matchmaking.match_leads([lead.id])["unmatched"] == 1
    db.session.expire_all()
    assert lead.match_summary["cause"] == "paused"


def test_an_expired_pause_receives_offers_again(programme):
    p = programme["p"]
    availability.pause(
        programme["admins"]["munich"], p["munich"], until=clock.now() + timedelta(days=2), reason="Away"
    )
    db.session.commit()
    with clock.frozen(clock.now() + timedelta(days=3)):
        lead = published(programme)
        matchmaking.match_leads([lead.id])
    db.session.expire_all()
    assert open_partner_ids(lead)[0] == p["munich"].id


def test_the_next_wave_skips_a_partner_paused_since_and_takes_the_next(programme):
    p, reps = programme["p"], programme["reps"]
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    db.session.expire_all()
    first_wave = open_partner_ids(lead)
    assert set(first_wave) == {p["munich"].id, p["bavaria"].id}
    # Franconia would be next (region beats country); it pauses before the wave moves on.
    availability.pause(programme["admins"]["franconia"], p["franconia"], until=None, reason="Away")
    db.session.commit()
    for key in ("munich", "bavaria"):
        offer = db.session.scalar(
            sa.select(Offer).where(Offer.lead_id == lead.id, Offer.partner_id == p[key].id)
        )
        claims.decline_offer(reps[key], offer, DeclineReason.TOO_SMALL, None)
        db.session.commit()
    db.session.expire_all()
    assert lead.current_wave == 2
    assert open_partner_ids(lead) == [p["germany"].id]
    assert not db.session.scalar(
        sa.select(sa.func.count()).select_from(Offer).where(Offer.partner_id == p["franconia"].id)
    )


def test_a_pause_after_the_ranker_loaded_its_partners_still_opens_no_offer(programme):
    """The sweep loads each programme's partners once; a partner who pauses meanwhile gets nothing."""
    from exchange.offers import waves

    p = programme["p"]
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    db.session.commit()
    stale = matchmaking.Matchers()
    stale.for_manufacturer(programme["maker"].id)  # loaded before the pause
    availability.pause(programme["admins"]["franconia"], p["franconia"], until=None, reason="Away")
    db.session.commit()
    db.session.expire_all()
    assert waves.advance(lead, stale) == "wave"
    db.session.commit()
    db.session.expire_all()
    assert open_partner_ids(lead) == [p["germany"].id]
    # Nobody new is left: the open pool, again without the paused partner.
    assert waves.advance(lead, stale) == "pool"
    db.session.expire_all()
    assert p["franconia"].id not in open_partner_ids(lead)


def test_pausing_hands_unseen_offers_on_and_keeps_claims(programme):
    p, reps = programme["p"], programme["reps"]
    claimed_lead = published(programme, status=LeadStatus.OFFERED)
    claim = f.claim(f.offer(claimed_lead, p["munich"], rank=1))
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    db.session.commit()
    availability.pause(programme["admins"]["munich"], p["munich"], until=None, reason="Away")
    db.session.commit()
    result = matchmaking.rematch_partner(p["munich"].id)  # the job pausing enqueued
    db.session.commit()
    assert result["withdrawn"] == 1 and result["replaced"] == 1
    db.session.expire_all()
    assert p["munich"].id not in open_partner_ids(lead)
    assert db.session.get(Claim, claim.id).status == ClaimStatus.ACTIVE
    assert reps  # the claim's rep keeps working the lead


# --- public holidays ---------------------------------------------------------------------------------


def _profile(**values):
    defaults = {
        "partner_id": 1,
        "timezone": "Europe/Berlin",
        "working_days": [1, 2, 3, 4, 5],
        "work_start": time(9),
        "work_end": time(17),
        "holidays": [],
        "public_holidays": True,
        "country": "DE",
        "region": "BY",
    }
    return PartnerProfile(**(defaults | values))


BERLIN_9AM_UTC = 8  # Europe/Berlin is UTC+1 in winter, UTC+2 in summer


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # Thursday 24 Dec 2026 16:00 + 2 business hours: Christmas (Fri 25) -> Monday 28, 10:00.
        ({}, datetime(2026, 12, 28, 9, tzinfo=UTC)),
        ({"region": "HH"}, datetime(2026, 12, 28, 9, tzinfo=UTC)),
        ({"region": None}, datetime(2026, 12, 28, 9, tzinfo=UTC)),
        ({"public_holidays": False}, datetime(2026, 12, 25, 9, tzinfo=UTC)),
        ({"country": None}, datetime(2026, 12, 25, 9, tzinfo=UTC)),
    ],
)
def test_christmas_moves_a_deadline(app, values, expected):
    start = datetime(2026, 12, 24, 15, tzinfo=UTC)  # 16:00 in Berlin
    with clock.frozen(start):
        calendar = sla_partners.partner_calendar(_profile(**values))
    assert business_deadline(start, 120, calendar) == expected


def test_a_regional_holiday_counts_only_in_its_region(app):
    """Corpus Christi (Thursday 4 June 2026) is a holiday in Bavaria, not in Hamburg."""
    start = datetime(2026, 6, 3, 14, tzinfo=UTC)  # Wednesday 16:00 in Berlin (UTC+2)
    with clock.frozen(start):
        bavaria = sla_partners.partner_calendar(_profile(region="BY"))
        hamburg = sla_partners.partner_calendar(_profile(region="HH"))
        iso_written = sla_partners.partner_calendar(_profile(region="DE-BY"))
    assert date(2026, 6, 4) in bavaria.holidays and date(2026, 6, 4) not in hamburg.holidays
    assert business_deadline(start, 120, bavaria) == datetime(2026, 6, 5, 8, tzinfo=UTC)
    assert business_deadline(start, 120, hamburg) == datetime(2026, 6, 4, 8, tzinfo=UTC)
    assert iso_written.holidays == bavaria.holidays


def test_public_holidays_add_to_the_partners_own_dates(app):
    with clock.frozen(datetime(2026, 3, 1, tzinfo=UTC)):
        calendar = sla_partners.partner_calendar(_profile(holidays=["2026-08-14"]))
    assert {date(2026, 8, 14), date(2026, 12, 25), date(2027, 1, 6)} <= calendar.holidays


def test_an_unknown_country_is_ignored_with_a_warning(app, caplog):
    with clock.frozen(datetime(2026, 3, 1, tzinfo=UTC)):
        calendar = sla_partners.partner_calendar(_profile(holidays=["2026-08-14"], country="ZZ", region=None))
    assert calendar.holidays == frozenset({date(2026, 8, 14)})
    assert "public holidays of ZZ unknown" in caplog.text


@pytest.mark.parametrize(
    ("country", "region", "national"),
    [
        ("DE", "XX", date(2026, 10, 3)),  # Tag der Deutschen Einheit
        ("FR", "Île-de-France", date(2026, 7, 14)),  # Bastille Day
        ("IT", "Lombardia", date(2026, 6, 2)),  # Festa della Repubblica
        ("BE", "Flanders", date(2026, 7, 21)),  # National Day
    ],
)
def test_an_unknown_region_keeps_its_countrys_national_holidays(app, caplog, country, region, national):
    with clock.frozen(datetime(2026, 3, 1, tzinfo=UTC)):
        calendar = sla_partners.partner_calendar(
            _profile(holidays=["2026-08-14"], country=country, region=region)
        )
    assert date(2026, 8, 14) in calendar.holidays and national in calendar.holidays
    assert f"public holidays of region {country}/" in caplog.text


def test_a_pause_whose_date_passed_is_cleared_and_waiting_leads_are_offered(programme, run_jobs):
    from exchange.platform.jobs import registry

    for key, org in programme["p"].items():
        availability.pause(
            programme["admins"][key], org, until=clock.now() + timedelta(days=2), reason="Christmas"
        )
    db.session.commit()
    lead = published(programme)
    matchmaking.match_leads([lead.id])
    db.session.commit()
    assert availability.end_expired_pauses() == {"ended": 0}
    with clock.frozen(clock.now() + timedelta(days=3)):
        assert registry.resolve_task("partners.end_pauses")() == {"ended": 4}
        db.session.commit()
        run_jobs()
    db.session.expire_all()
    assert programme["p"]["munich"].profile.paused_at is None
    assert len(open_partner_ids(lead)) == 2
    resumed = db.session.scalars(sa.select(Event).where(Event.type == "partner.resumed")).all()
    assert len(resumed) == 4 and all(e.actor_kind == "system" for e in resumed)
