"""The SLA sweep with a controlled clock: every path a lead can take, idempotence, concurrent sweeps."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from exchange.models import (
    EXCLUDING_OFFER_STATES,
    Claim,
    ClaimStatus,
    ContactChannel,
    Event,
    LeadStatus,
    Offer,
    OfferState,
    Role,
    SlaPolicy,
    Temperature,
)
from exchange.offers import claims, waves
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.sla.sweep import run_sweep
from tests import factories as f

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ranker_over(partners):
    """Rank ``partners`` in the given order, leaving out those excluded from the lead."""

    def rank(lead, skip=(), limit=None):
        excluded = set(skip) | set(
            db.session.scalars(
                sa.select(Offer.partner_id).where(
                    Offer.lead_id == lead.id, Offer.state.in_(list(EXCLUDING_OFFER_STATES))
                )
            )
        )
        ranked = [
            waves.Candidate(p.id, 0.9 - i / 100, {"geography": 1.0}, "test")
            for i, p in enumerate(partners)
            if p.id not in excluded
        ]
        return ranked if limit is None else ranked[:limit]

    return rank


@pytest.fixture
def setup(app):
    maker = f.manufacturer()
    maker.program.wave_size = 2
    # Around the clock for these tests, so the arithmetic stays obvious (business time: test_sla_*).
    for policy in db.session.scalars(sa.select(SlaPolicy).where(SlaPolicy.manufacturer_id == maker.id)):
        policy.business_time = False
    partners = [f.partner(maker, f"P{i}", capacity=5) for i in range(7)]
    reps = {p.id: f.user(p, Role.PARTNER_REP) for p in partners}
    db.session.commit()
    return {"maker": maker, "partners": partners, "reps": reps, "rank": ranker_over(partners)}


def publish(setup, temperature=Temperature.HOT):
    lead = f.lead(setup["maker"], status=LeadStatus.PUBLISHED, temperature=temperature)
    policy = db.session.scalar(
        sa.select(SlaPolicy).where(
            SlaPolicy.manufacturer_id == setup["maker"].id, SlaPolicy.temperature == temperature
        )
    )
    lead.sla_terms = policy.terms()
    waves.start_waves(lead, setup["rank"](lead))
    db.session.commit()
    return lead


def offer_to(lead, partner):
    return db.session.scalar(sa.select(Offer).where(Offer.lead_id == lead.id, Offer.partner_id == partner.id))


def claim_as_first_partner(setup, lead):
    """The first partner's rep claims its offer of ``lead``: (offer, claim)."""
    partner = setup["partners"][0]
    offer = offer_to(lead, partner)
    return offer, claims.claim_offer(setup["reps"][partner.id], offer)


def open_partner_ids(lead):
    return sorted(
        db.session.scalars(
            sa.select(Offer.partner_id).where(Offer.lead_id == lead.id, Offer.state == OfferState.OPEN)
        )
    )


def sweep(setup, at):
    with clock.frozen(at):
        summary = run_sweep(rank=setup["rank"])
        db.session.commit()
    db.session.expire_all()
    return summary


def event_count(type_, lead=None):
    query = sa.select(sa.func.count()).select_from(Event).where(Event.type == type_)
    if lead is not None:
        query = query.where(Event.lead_id == lead.id)
    return db.session.scalar(query)


def test_claimed_in_time_nothing_happens(setup):
    with clock.frozen(MONDAY_9):
        lead = publish(setup)
        offer = db.session.scalar(sa.select(Offer).where(Offer.lead_id == lead.id, Offer.rank == 1))
    with clock.frozen(MONDAY_9 + timedelta(minutes=20)):
        claims.claim_offer(setup["reps"][offer.partner_id], offer)
        db.session.commit()
    summary = sweep(setup, MONDAY_9 + timedelta(minutes=50))
    assert summary == {"reminded": 0, "breached": 0, "recycled": 0, "waves_advanced": 0, "returned": 0}
    assert lead.status == LeadStatus.CLAIMED


def test_reminder_at_75_percent_once(setup):
    with clock.frozen(MONDAY_9):
        lead = publish(setup)  # hot: a 60-minute claim window
    assert sweep(setup, MONDAY_9 + timedelta(minutes=44))["reminded"] == 0
    assert sweep(setup, MONDAY_9 + timedelta(minutes=45))["reminded"] == 2  # both wave-1 partners
    assert sweep(setup, MONDAY_9 + timedelta(minutes=46))["reminded"] == 0  # idempotent
    assert event_count("sla.reminded", lead) == 2


def test_claim_window_lapses_and_the_next_wave_gets_it(setup):
    p = setup["partners"]
    with clock.frozen(MONDAY_9):
        lead = publish(setup)
    assert open_partner_ids(lead) == sorted([p[0].id, p[1].id])
    summary = sweep(setup, MONDAY_9 + timedelta(minutes=61))
    assert summary["waves_advanced"] == 1
    assert lead.current_wave == 2
    assert open_partner_ids(lead) == sorted([p[2].id, p[3].id])
    assert sweep(setup, MONDAY_9 + timedelta(minutes=62))["waves_advanced"] == 0  # idempotent


def test_never_claimed_goes_through_the_pool_and_back_as_leakage(setup):
    p = setup["partners"]
    with clock.frozen(MONDAY_9):
        lead = publish(setup)
    at = MONDAY_9
    for expected_wave in (2, 3):
        at += timedelta(minutes=61)
        sweep(setup, at)
        assert lead.current_wave == expected_wave
    at += timedelta(minutes=61)
    sweep(setup, at)
    assert lead.current_wave == 4  # the open pool: everyone eligible
    assert open_partner_ids(lead) == sorted(x.id for x in p)
    at += timedelta(minutes=61)
    summary = sweep(setup, at)
    assert summary["returned"] == 1
    assert lead.status == LeadStatus.UNCLAIMED
    assert open_partner_ids(lead) == []
    assert event_count("lead.unclaimed", lead) == 1


def test_claimed_but_not_contacted_is_recycled(setup):
    p = setup["partners"]
    with clock.frozen(MONDAY_9):
        lead = publish(setup)
        offer, claim = claim_as_first_partner(setup, lead)
        db.session.commit()
    # hot: first contact within 60 minutes; reminder at 45
    assert sweep(setup, MONDAY_9 + timedelta(minutes=45))["reminded"] == 1
    summary = sweep(setup, MONDAY_9 + timedelta(minutes=61))
    assert summary["breached"] == 1 and summary["recycled"] == 1
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.REVOKED
    assert db.session.get(Offer, offer.id).state == OfferState.RECYCLED
    assert lead.status == LeadStatus.OFFERED and lead.current_wave == 2
    assert p[0].id not in open_partner_ids(lead)  # the breaching partner is excluded
    assert event_count("sla.breached", lead) == 1 and event_count("lead.recycled", lead) == 1
    again = sweep(setup, MONDAY_9 + timedelta(minutes=62))
    assert again["breached"] == 0 and again["recycled"] == 0


def test_after_a_revoke_the_partners_notifications_stop_naming_the_company(setup):
    from exchange.models import Notification
    from exchange.notify.notifications import publish_event

    p = setup["partners"]
    with clock.frozen(MONDAY_9):
        lead = publish(setup)
        lead.company_name = "Secret Buyer GmbH"
        offer, claim = claim_as_first_partner(setup, lead)
        publish_event("lead.claimed", offer=offer)
        db.session.commit()
    rep = setup["reps"][p[0].id]

    def titles():
        return db.session.scalars(sa.select(Notification.title).where(Notification.user_id == rep.id)).all()

    assert any("Secret Buyer GmbH" in title for title in titles())
    assert sweep(setup, MONDAY_9 + timedelta(minutes=61))["recycled"] == 1
    assert titles() and not any("Secret Buyer GmbH" in title for title in titles())


def test_status_update_cadence_breach(setup):
    p = setup["partners"]
    with clock.frozen(MONDAY_9):
        lead = publish(setup)
        offer, claim = claim_as_first_partner(setup, lead)
        claims.log_contact(setup["reps"][p[0].id], claim, ContactChannel.CALL)
        db.session.commit()
    # hot: an update every 3 days
    assert sweep(setup, MONDAY_9 + timedelta(days=2, hours=6))["reminded"] == 1
    summary = sweep(setup, MONDAY_9 + timedelta(days=3, minutes=1))
    assert summary["breached"] == 1 and summary["recycled"] == 1
    breach = db.session.scalar(sa.select(Event).where(Event.type == "sla.breached", Event.lead_id == lead.id))
    assert breach.data["clock"] == "next_update"


def test_remind_only_policy_keeps_the_claim(setup):
    with clock.frozen(MONDAY_9):
        lead = publish(setup)
        lead.sla_terms = {**lead.sla_terms, "breach_action": "remind"}
        offer, claim = claim_as_first_partner(setup, lead)
        db.session.commit()
    summary = sweep(setup, MONDAY_9 + timedelta(minutes=61))
    assert summary["breached"] == 1 and summary["recycled"] == 0
    assert sweep(setup, MONDAY_9 + timedelta(minutes=90))["breached"] == 0  # recorded once
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.ACTIVE and lead.status == LeadStatus.CLAIMED


def test_the_lead_keeps_the_terms_it_was_published_under(setup):
    with clock.frozen(MONDAY_9):
        lead = publish(setup)
    policy = db.session.scalar(
        sa.select(SlaPolicy).where(
            SlaPolicy.manufacturer_id == setup["maker"].id, SlaPolicy.temperature == Temperature.HOT
        )
    )
    policy.claim_window_minutes = 600  # a later change does not move this lead's clocks
    db.session.commit()
    assert sweep(setup, MONDAY_9 + timedelta(minutes=61))["waves_advanced"] == 1
    assert lead.sla_terms["claim_window_minutes"] == 60


def test_two_sweeps_at_once_act_exactly_once(setup, app):
    """Many leads due at once; two sweeps in two threads (two connections, on PostgreSQL two
    transactions competing for the same rows): every action happens exactly once."""
    for partner in setup["partners"]:
        partner.profile.capacity = 20
    with clock.frozen(MONDAY_9):
        leads = [publish(setup) for _ in range(12)]
        for lead in leads[:6]:  # half claimed and never contacted
            offer = db.session.scalar(sa.select(Offer).where(Offer.lead_id == lead.id, Offer.rank == 1))
            claims.claim_offer(setup["reps"][offer.partner_id], offer)
        db.session.commit()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def one_sweep():
        try:
            with app.app_context(), clock.frozen(MONDAY_9 + timedelta(minutes=61)):
                barrier.wait()
                results.append(run_sweep(rank=setup["rank"]))
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    total = {key: sum(r[key] for r in results) for key in results[0]}
    assert total["breached"] == 6 and total["recycled"] == 6
    assert total["waves_advanced"] == 6  # the lapsed waves (recycled leads move on as "recycled")
    db.session.expire_all()
    assert event_count("sla.breached") == 6
    assert event_count("lead.recycled") == 6
    assert event_count("lead.wave_advanced") == 12  # both kinds of move are recorded
    for lead in leads:
        db.session.refresh(lead)
        assert lead.current_wave == 2
        assert len(open_partner_ids(lead)) == 2
    revoked = db.session.scalar(
        sa.select(sa.func.count()).select_from(Claim).where(Claim.status == ClaimStatus.REVOKED)
    )
    assert revoked == 6


def test_business_time_across_a_weekend_and_a_daylight_saving_change(setup):
    """A warm lead (4 business hours to claim) offered on Friday 27 March 2026 at 15:00 in Berlin:
    two working hours on Friday, the weekend (clocks go forward on Sunday night), two on Monday -
    the window closes Monday 11:00 CEST = 09:00 UTC, the reminder (75 %) is due at 10:00 CEST."""
    for policy in db.session.scalars(
        sa.select(SlaPolicy).where(SlaPolicy.manufacturer_id == setup["maker"].id)
    ):
        policy.business_time = True
    for partner in setup["partners"]:
        partner.profile.timezone = "Europe/Berlin"
        partner.profile.working_days = [1, 2, 3, 4, 5]
    db.session.commit()
    friday_15_berlin = datetime(2026, 3, 27, 14, 0, tzinfo=UTC)
    with clock.frozen(friday_15_berlin):
        lead = publish(setup, Temperature.WARM)
    offer = db.session.scalar(sa.select(Offer).where(Offer.lead_id == lead.id, Offer.rank == 1))
    assert offer.claim_deadline == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert offer.remind_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert sweep(setup, saturday) == {
        "reminded": 0,
        "breached": 0,
        "recycled": 0,
        "waves_advanced": 0,
        "returned": 0,
    }
    assert sweep(setup, datetime(2026, 3, 30, 8, 0, tzinfo=UTC))["reminded"] == 2
    assert sweep(setup, datetime(2026, 3, 30, 8, 59, tzinfo=UTC))["waves_advanced"] == 0
    assert sweep(setup, datetime(2026, 3, 30, 9, 0, tzinfo=UTC))["waves_advanced"] == 1
    assert lead.current_wave == 2


def slow_responsiveness(*args):
    import time

    from exchange.sla.responsiveness import recompute

    time.sleep(0.3)
    responsiveness_calls.append(args)
    return recompute(*args)


responsiveness_calls: list[tuple] = []


def test_sla_sweep_command_runs_its_jobs_before_it_exits(setup, app, monkeypatch):
    """Embedded default: the jobs a breach queues (the partner's figures, notifications) run before
    `flask sla sweep` returns, not when some web server's relay finds them ten minutes later."""
    from exchange.models import JobStatus, OutboxJob
    from exchange.platform.jobs import registry
    from exchange.platform.jobs.backends import InProcessBackend

    monkeypatch.setattr(app.extensions["exchange.platform.jobs"], "backend", InProcessBackend(app))
    monkeypatch.setitem(registry.TASKS, "partners.responsiveness", f"{__name__}:slow_responsiveness")
    responsiveness_calls.clear()
    p = setup["partners"]
    lead = publish(setup)
    offer, claim = claim_as_first_partner(setup, lead)
    db.session.commit()
    claim.first_contact_deadline = clock.now() - timedelta(minutes=1)
    claim.first_contact_remind_at = clock.now() - timedelta(minutes=2)
    db.session.commit()
    from exchange.platform import jobs

    jobs.drain()  # what the claim queued
    responsiveness_calls.clear()
    before = db.session.scalar(sa.select(sa.func.max(OutboxJob.id))) or 0
    result = app.test_cli_runner().invoke(args=["sla", "sweep"])
    assert result.exit_code == 0, result.output
    assert '"breached": 1' in result.output
    assert responsiveness_calls == [(p[0].id, setup["maker"].id)]
    statuses = db.session.scalars(sa.select(OutboxJob.status).where(OutboxJob.id > before)).all()
    assert statuses and set(statuses) == {JobStatus.DONE}
