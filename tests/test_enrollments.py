"""The enrollment lifecycle: accept, decline, suspend, end, reactivate, reassign claims; what each
change does to offers and claims, and who may make it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange.accounts import organisations
from exchange.models import (
    Claim,
    ClaimStatus,
    Enrollment,
    EnrollmentStatus,
    Event,
    LeadStatus,
    Offer,
    OfferState,
    OutboxJob,
    Role,
)
from exchange.offers import claims, enrollment_effects, matchmaking
from exchange.partners import enrollments
from exchange.platform.errors import Conflict, DomainError, NotAllowed
from exchange.platform.extensions import db
from tests import factories as f

S = EnrollmentStatus


@pytest.fixture
def programme(app):
    """One manufacturer (waves of one partner), three partners covering Germany."""
    maker = f.manufacturer("Pump Maker")
    maker.program.wave_size = 1
    partners = [f.partner(maker, name) for name in ("Alpha", "Beta", "Gamma")]
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    reps = [f.user(p, Role.PARTNER_REP) for p in partners]
    db.session.commit()
    return {"maker": maker, "p": partners, "admin": admin, "manager": manager, "reps": reps}


def enrollment_of(maker, partner) -> Enrollment:
    return db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.manufacturer_id == maker.id, Enrollment.partner_id == partner.id
        )
    )


def offered(maker):
    lead = f.lead(maker, status=LeadStatus.PUBLISHED)
    db.session.commit()
    matchmaking.match_leads([lead.id])
    db.session.commit()
    return lead


def open_partners(lead) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Offer.partner_id).where(Offer.lead_id == lead.id, Offer.state == OfferState.OPEN)
        )
    )


def events_of(type_: str) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.type == type_).order_by(Event.id)))


# --- suspend, end, reactivate ---------------------------------------------------------------------


def test_suspend_closes_open_offers_and_the_lead_moves_on_to_another_partner(programme):
    maker, admin = programme["maker"], programme["admin"]
    lead = offered(maker)
    [first] = open_partners(lead)
    partner = next(p for p in programme["p"] if p.id == first)
    enrollment = enrollment_of(maker, partner)

    closed = enrollment_effects.suspend(admin, enrollment, "Overdue certification")
    db.session.commit()
    db.session.expire_all()

    assert closed == 1
    assert enrollment.status == S.SUSPENDED and enrollment.status_reason == "Overdue certification"
    assert enrollment.status_changed_at is not None
    mine = db.session.scalar(sa.select(Offer).where(Offer.lead_id == lead.id, Offer.partner_id == first))
    assert mine.state == OfferState.WITHDRAWN and mine.closed_at is not None
    now_open = open_partners(lead)
    assert len(now_open) == 1 and now_open != [first]
    assert lead.status == LeadStatus.OFFERED and lead.current_wave == 2
    [event] = events_of("enrollment.suspended")
    assert event.manufacturer_id == maker.id and event.partner_id == partner.id
    assert event.actor_user_id == admin.id
    assert event.data["reason"] == "Overdue certification" and event.data["from"] == "active"
    [withdrawn] = events_of("offer.withdrawn")
    assert withdrawn.data["reason"] == "enrollment_suspended" and withdrawn.partner_id == partner.id


def test_a_suspended_partner_gets_no_new_offers(programme):
    maker, admin = programme["maker"], programme["admin"]
    maker.program.wave_size = 3
    alpha = programme["p"][0]
    enrollment_effects.suspend(admin, enrollment_of(maker, alpha), "Paused by us")
    db.session.commit()
    lead = offered(maker)
    assert alpha.id not in open_partners(lead) and len(open_partners(lead)) == 2


@pytest.mark.parametrize("status", [S.INVITED, S.DECLINED, S.ENDED, S.PENDING])
def test_partners_not_active_get_no_offers(app, status):
    maker = f.manufacturer()
    maker.program.wave_size = 3
    active = f.partner(maker)
    other = f.partner(None)
    organisations.enroll(maker, other, status=status)
    db.session.commit()
    lead = offered(maker)
    assert open_partners(lead) == [active.id]


def test_end_closes_offers_and_keeps_the_claims_with_the_partner(programme):
    maker, admin, (alpha, beta, _) = programme["maker"], programme["admin"], programme["p"]
    claimed = f.lead(maker)
    claim = f.claim(f.offer(claimed, alpha))
    waiting = f.lead(maker, status=LeadStatus.OFFERED, current_wave=1)
    f.offer(waiting, alpha)
    f.offer(waiting, beta, rank=2)
    db.session.commit()

    enrollment = enrollment_of(maker, alpha)
    enrollment_effects.end(admin, enrollment, "Contract over")
    db.session.commit()
    db.session.expire_all()

    assert enrollment.status == S.ENDED
    assert claim.status == ClaimStatus.ACTIVE and claimed.claimed_partner_id == alpha.id
    assert open_partners(waiting) == [beta.id]  # beta is still in the wave: the lead stays
    assert waiting.current_wave == 1
    assert events_of("enrollment.ended")[0].data["to"] == "ended"


def test_ending_an_invitation_withdraws_it(programme):
    maker, admin = programme["maker"], programme["admin"]
    newcomer = f.partner(None)
    enrollment = organisations.enroll(maker, newcomer, status=S.INVITED)
    enrollment_effects.end(admin, enrollment, "Sent by mistake")
    assert enrollment.status == S.ENDED
    assert events_of("enrollment.ended")[0].data["invitation_withdrawn"] is True


def test_reactivate_a_suspended_partner(programme):
    maker, admin, alpha = programme["maker"], programme["admin"], programme["p"][0]
    enrollment = enrollment_of(maker, alpha)
    enrollment_effects.suspend(admin, enrollment, "Audit")
    enrollments.reactivate(admin, enrollment, "Audit passed")
    db.session.commit()
    assert enrollment.status == S.ACTIVE and enrollment.status_reason == "Audit passed"
    assert events_of("enrollment.reactivated")[0].data == {
        "enrollment_id": enrollment.id,
        "from": "suspended",
        "to": "active",
        "reason": "Audit passed",
    }
    maker.program.wave_size = 3
    assert alpha.id in open_partners(offered(maker))


@pytest.mark.parametrize("status", [S.ENDED, S.DECLINED])
def test_reactivating_an_ended_or_declined_enrollment_invites_again(programme, status):
    maker, admin = programme["maker"], programme["admin"]
    enrollment = organisations.enroll(maker, f.partner(None), status=status)
    enrollments.reactivate(admin, enrollment, None)
    assert enrollment.status == S.INVITED and enrollment.invited_by_id == admin.id
    assert events_of("enrollment.invited")[0].data["again"] is True


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.INVITED, "suspend"),
        (S.SUSPENDED, "suspend"),
        (S.ENDED, "suspend"),
        (S.ENDED, "end"),
        (S.DECLINED, "end"),
        (S.ACTIVE, "reactivate"),
        (S.INVITED, "reactivate"),
    ],
)
def test_invalid_transitions_conflict_with_a_clear_message(programme, status, action):
    maker, admin = programme["maker"], programme["admin"]
    enrollment = organisations.enroll(maker, f.partner(None), status=status)
    with pytest.raises(Conflict, match="The enrollment is"):
        if action == "reactivate":
            enrollments.reactivate(admin, enrollment, "why")
        else:
            getattr(enrollment_effects, action)(admin, enrollment, "why")
    assert enrollment.status == status


def test_suspend_and_end_need_a_reason(programme):
    enrollment = enrollment_of(programme["maker"], programme["p"][0])
    with pytest.raises(DomainError, match="Say why") as error:
        enrollment_effects.suspend(programme["admin"], enrollment, "  ")
    assert error.value.field == "reason"


def test_only_the_manufacturers_admin_changes_an_enrollment(programme):
    maker, alpha = programme["maker"], programme["p"][0]
    enrollment = enrollment_of(maker, alpha)
    with pytest.raises(NotAllowed):
        enrollment_effects.suspend(programme["manager"], enrollment, "why")
    with pytest.raises(NotAllowed):
        enrollment_effects.suspend(f.user(f.manufacturer()), enrollment, "why")
    with pytest.raises(NotAllowed):
        enrollment_effects.end(programme["reps"][0], enrollment, "why")
    assert enrollment.status == S.ACTIVE


# --- accept and decline ---------------------------------------------------------------------------


@pytest.fixture
def invitation(programme):
    newcomer = f.partner(None, "Newcomer")
    admin = f.user(newcomer, Role.PARTNER_ADMIN)
    rep = f.user(newcomer, Role.PARTNER_REP)
    enrollment = organisations.enroll(programme["maker"], newcomer, status=S.INVITED)
    db.session.commit()
    return {"partner": newcomer, "admin": admin, "rep": rep, "enrollment": enrollment}


def test_the_partners_admin_accepts(programme, invitation):
    enrollment = invitation["enrollment"]
    enrollments.accept(invitation["admin"], enrollment)
    db.session.commit()
    assert enrollment.status == S.ACTIVE and enrollment.responded_at is not None
    [event] = events_of("enrollment.accepted")
    assert (event.manufacturer_id, event.partner_id) == (programme["maker"].id, invitation["partner"].id)
    # Leads no partner could take are tried again with the new partner.
    rematch = db.session.scalars(sa.select(OutboxJob.args).where(OutboxJob.task == "partners.rematch")).all()
    assert [invitation["partner"].id] in rematch
    programme["maker"].program.wave_size = 4
    assert invitation["partner"].id in open_partners(offered(programme["maker"]))


def test_the_partners_admin_declines_with_a_reason(invitation):
    enrollment = invitation["enrollment"]
    enrollments.decline(invitation["admin"], enrollment, "Not our market")
    assert enrollment.status == S.DECLINED and enrollment.status_reason == "Not our market"
    assert enrollment.responded_at is not None
    with pytest.raises(Conflict, match="no open invitation"):
        enrollments.accept(invitation["admin"], enrollment)


def test_a_rep_cannot_accept_nor_decline(invitation):
    with pytest.raises(NotAllowed, match="admin"):
        enrollments.accept(invitation["rep"], invitation["enrollment"])
    with pytest.raises(NotAllowed):
        enrollments.decline(invitation["rep"], invitation["enrollment"], None)
    assert invitation["enrollment"].status == S.INVITED


def test_another_partner_cannot_accept(programme, invitation):
    with pytest.raises(NotAllowed):
        enrollments.accept(f.user(programme["p"][0], Role.PARTNER_ADMIN), invitation["enrollment"])


def test_accepting_the_account_invitation_accepts_the_created_partners_enrollment(programme):
    created = f.partner(None, "Created by the programme")
    enrollment = organisations.enroll(programme["maker"], created, status=S.INVITED)
    enrollment.created_partner = True
    elsewhere = organisations.enroll(f.manufacturer(), created, status=S.INVITED)  # not created there
    rep = f.user(created, Role.PARTNER_REP)
    admin = f.user(created, Role.PARTNER_ADMIN)
    assert enrollments.accept_created_enrollments(rep) == []
    assert enrollments.accept_created_enrollments(admin) == [enrollment]
    assert enrollment.status == S.ACTIVE and elsewhere.status == S.INVITED


# --- reassigning claims ---------------------------------------------------------------------------


def test_reassign_ends_the_claim_and_the_lead_is_matched_again_without_that_partner(programme):
    maker, admin, (alpha, beta, gamma) = programme["maker"], programme["admin"], programme["p"]
    lead = offered(maker)
    [first] = open_partners(lead)
    holder = next(p for p in (alpha, beta, gamma) if p.id == first)
    rep = programme["reps"][[alpha, beta, gamma].index(holder)]
    offer = db.session.scalar(sa.select(Offer).where(Offer.lead_id == lead.id, Offer.partner_id == first))
    claim = claims.claim_offer(rep, offer)
    db.session.commit()
    enrollment = enrollment_of(maker, holder)
    with pytest.raises(Conflict, match="suspended or ended"):
        enrollment_effects.reassign_claims(admin, enrollment)
    enrollment_effects.suspend(admin, enrollment, "Quality issues")
    assert claim.status == ClaimStatus.ACTIVE  # the claim stays the partner's until reassigned

    [taken] = enrollment_effects.reassign_claims(admin, enrollment, reason="Customer waiting")
    db.session.commit()
    db.session.expire_all()

    assert taken.id == claim.id and claim.status == ClaimStatus.REVOKED and claim.ended_at
    assert claim.next_update_deadline is None and claim.next_update_remind_at is None
    assert offer.state == OfferState.RECYCLED
    assert lead.status == LeadStatus.OFFERED and lead.claimed_partner_id is None
    others = open_partners(lead)
    assert others and holder.id not in others
    [event] = events_of("lead.reassigned")
    assert event.actor_user_id == admin.id and event.partner_id == holder.id
    assert event.claim_id == claim.id and event.data["reason"] == "Customer waiting"
    # Reactivated, the partner does not get that lead back.
    enrollments.reactivate(admin, enrollment, "Better now")
    from exchange.offers.matchmaking import rank_lead

    assert holder.id not in [c.partner_id for c in rank_lead(lead)]


def test_reassign_only_the_chosen_claims(programme):
    maker, admin, alpha = programme["maker"], programme["admin"], programme["p"][0]
    one = f.claim(f.offer(f.lead(maker), alpha))
    two = f.claim(f.offer(f.lead(maker), alpha))
    enrollment = enrollment_of(maker, alpha)
    enrollment_effects.end(admin, enrollment, "Over")
    assert enrollment_effects.reassign_claims(admin, enrollment, [two.id]) == [two]
    assert one.status == ClaimStatus.ACTIVE and two.status == ClaimStatus.REVOKED
    elsewhere = f.claim(f.offer(f.lead(f.manufacturer()), alpha))
    with pytest.raises(DomainError, match="not this partner"):
        enrollment_effects.reassign_claims(admin, enrollment, [elsewhere.id])
    assert db.session.get(Claim, elsewhere.id).status == ClaimStatus.ACTIVE


def test_an_offer_left_open_for_a_suspended_partner_cannot_be_claimed(programme):
    maker, alpha = programme["maker"], programme["p"][0]
    lead = f.lead(maker, status=LeadStatus.OFFERED, current_wave=1)
    offer = f.offer(lead, alpha)
    enrollment_of(maker, alpha).status = S.SUSPENDED  # as if the offer had opened after the suspension
    db.session.commit()
    with pytest.raises(Conflict, match="not active"):
        claims.claim_offer(programme["reps"][0], offer)
