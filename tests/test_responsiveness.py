"""Responsiveness: figures from a partner's own history, recomputed after transitions and nightly,
fed into matching, and shown to the partner with their effect on its ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from exchange.models import ContactChannel, DeclineReason, Enrollment, LeadStatus, Offer, Role
from exchange.offers import claims, matchmaking
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.sla import responsiveness
from tests import factories as f

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
def history(app):
    maker = f.manufacturer()
    fast, slow = f.partner(maker, "Fast", capacity=50), f.partner(maker, "Slow", capacity=50)
    reps = {fast.id: f.user(fast, Role.PARTNER_REP), slow.id: f.user(slow, Role.PARTNER_REP)}
    db.session.commit()

    def offered(partner, at):
        lead = f.lead(maker, status=LeadStatus.OFFERED, current_wave=1)
        return f.offer(lead, partner, visible_from=at, claim_deadline=at + timedelta(days=3))

    with clock.frozen(T0) as frozen:
        for i in range(8):  # Fast claims within 5 minutes and calls within 10
            start = frozen.set(T0 + timedelta(hours=i))
            offer = offered(fast, start)
            frozen.advance(minutes=5)
            claim = claims.claim_offer(reps[fast.id], offer)
            frozen.advance(minutes=10)
            claims.log_contact(reps[fast.id], claim, ContactChannel.CALL)
        for i in range(8):  # Slow takes two hours to claim, declines some, never calls
            start = frozen.set(T0 + timedelta(days=1, hours=i))
            offer = offered(slow, start)
            frozen.advance(hours=2)
            if i % 2:
                claims.decline_offer(
                    reps[slow.id],
                    offer,
                    DeclineReason.TOO_SMALL,
                    None,
                    rank=lambda lead, skip=(), limit=None: [],
                )
            else:
                claims.claim_offer(reps[slow.id], offer)
        db.session.commit()
    return {"maker": maker, "fast": fast, "slow": slow, "reps": reps}


def test_figures_come_from_the_partners_own_history(history):
    with clock.frozen(T0 + timedelta(days=10)):
        fast = responsiveness.compute(history["fast"].id, history["maker"].id)
        slow = responsiveness.compute(history["slow"].id, history["maker"].id)
    assert fast["offers"] == 8 and fast["claims"] == 8
    assert fast["claim_minutes_median"] == 5.0 and fast["contact_minutes_median"] == 10.0
    assert fast["sla_compliance"] == 1.0 and fast["decline_rate"] == 0.0 and fast["response_rate"] == 1.0
    assert slow["claim_minutes_median"] == 120.0
    assert slow["decline_rate"] == 0.5
    assert slow["sla_compliance"] == 0.0  # four claims, no first contact, deadlines long past
    assert slow["breaches"] == 4 and fast["breaches"] == 0  # each missed deadline is a breach
    assert slow["contact_minutes_median"] is None


def test_recompute_jobs_store_the_figures_on_the_enrollment(history, run_jobs):
    with clock.frozen(T0 + timedelta(days=10)):
        run_jobs()  # the transitions enqueued partners.responsiveness jobs
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == history["fast"].id))
    assert enrollment.responsiveness["claims"] == 8
    assert enrollment.responsiveness_updated_at is not None
    with clock.frozen(T0 + timedelta(days=10)):
        summary = responsiveness.recompute_all()
    assert summary == {"enrollments": 2}


def test_history_moves_the_ranking_and_the_partner_sees_how(history, client, run_jobs):
    with clock.frozen(T0 + timedelta(days=10)):
        run_jobs()  # what the transitions queued, then the nightly recompute
        responsiveness.recompute_all()
        fast = matchmaking.partner_standing(history["fast"].id, history["maker"].id)
        slow = matchmaking.partner_standing(history["slow"].id, history["maker"].id)
    assert fast["component"] > fast["programme_component"] > slow["component"]
    assert fast["points"] > 0 > slow["points"]
    assert ["fast_responder", {"minutes": 5}] in fast["reasons"]
    # a new lead both could take: the fast partner ranks first
    lead = f.lead(history["maker"], status=LeadStatus.PUBLISHED)
    db.session.commit()
    matchmaking.match_leads([lead.id])
    best = db.session.scalar(sa.select(Offer).where(Offer.lead_id == lead.id).order_by(Offer.rank))
    assert best.partner_id == history["fast"].id
    f.login(client, history["reps"][history["fast"].id])
    page = client.get("/portal/performance").get_data(as_text=True)
    # the points are relative to the programme average, not the component's share shown on an offer
    assert "points more on each lead than a partner at the programme average" in page and "5 min" in page
