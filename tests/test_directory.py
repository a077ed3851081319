"""The partner directory's service: adding partners (new, existing, refused), idempotency, invitations,
tier and product-line changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from exchange.accounts import organisations
from exchange.models import (
    Enrollment,
    EnrollmentStatus,
    Event,
    Notification,
    OutboxJob,
    Role,
    SizeBand,
    Tier,
    User,
)
from exchange.partners.directory import (
    AddOutcome,
    PartnerDetails,
    add_partner,
    change_programme,
    send_invitation,
)
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError, NotAllowed
from exchange.platform.event_types import AuditEvent
from exchange.platform.extensions import db
from tests import factories as f

BASE = "http://portal.test/"


@pytest.fixture
def programme(app):
    maker = f.manufacturer("Acme Pumps")
    organisations.add_product_line(maker, "valves", "Valves")
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    db.session.commit()
    return maker, admin


def _details(**values) -> PartnerDetails:
    return PartnerDetails(**({"company": "Bavaria Systems", "admin_email": "anna@bavaria.test"} | values))


def _jobs(name: str) -> list[OutboxJob]:
    return list(db.session.scalars(sa.select(OutboxJob).where(OutboxJob.task == name)))


def _events(type_: str) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.type == type_).order_by(Event.id)))


def test_a_new_partner_gets_an_organisation_profile_admin_and_account_invitation(programme):
    maker, admin = programme
    result = add_partner(
        admin,
        maker,
        _details(
            admin_name="Anna Admin",
            external_id="001A",
            country="de",
            region="by",
            postal_code="80331",
            website="bavaria.example",
            employees=40,
            annual_revenue=Decimal("1200000"),
            industries=["Manufacturing"],
            tier=Tier.GOLD,
            product_lines=["pumps", "Valves"],
            coverage=[("DE", "BY", None), ("AT", None, None)],
            capacity=8,
        ),
        base_url=BASE,
    )
    assert result.outcome is AddOutcome.CREATED and result.invited
    enrollment = result.enrollment
    assert enrollment.status == EnrollmentStatus.INVITED and enrollment.created_partner
    assert enrollment.tier == Tier.GOLD and sorted(line.code for line in enrollment.product_lines) == [
        "pumps",
        "valves",
    ]
    assert (enrollment.invited_name, enrollment.invited_email, enrollment.external_id) == (
        "Bavaria Systems",
        "anna@bavaria.test",
        "001A",
    )
    assert enrollment.invited_by_id == admin.id and enrollment.invited_at is not None
    partner = enrollment.partner
    profile = partner.profile
    assert partner.name == "Bavaria Systems" and partner.is_partner
    assert (profile.country, profile.region, profile.postal_code) == ("DE", "BY", "80331")
    assert profile.employees == 40 and profile.size_band == SizeBand.SMALL and profile.capacity == 8
    assert profile.annual_revenue == Decimal("1200000") and profile.industries == ["Manufacturing"]
    assert [(a.country, a.region) for a in profile.coverage] == [("DE", "BY"), ("AT", None)]
    assert profile.timezone == "Europe/Berlin"
    [user] = partner.users
    assert (user.email, user.name, user.role, user.password_hash) == (
        "anna@bavaria.test",
        "Anna Admin",
        Role.PARTNER_ADMIN,
        None,
    )
    [job] = _jobs("accounts.send_password_link")
    assert job.args[:2] == [user.id, "invite"]
    [added] = _events(AuditEvent.PARTNER_ADDED)
    [invited] = _events(AuditEvent.ENROLLMENT_INVITED)
    assert added.manufacturer_id == invited.manufacturer_id == maker.id
    assert added.partner_id == invited.partner_id == partner.id


def test_without_invite_nothing_is_sent_until_asked(programme):
    maker, admin = programme
    result = add_partner(admin, maker, _details(), invite=False, base_url=BASE)
    assert not result.invited and result.enrollment.invited_at is None
    assert result.enrollment.partner.profile.capacity == 0  # no capacity given: not ready yet
    assert _jobs("accounts.send_password_link") == []
    again = add_partner(admin, maker, _details(), invite=True, base_url=BASE)
    assert again.outcome is AddOutcome.UPDATED and again.invited
    assert len(_jobs("accounts.send_password_link")) == 1


def test_an_existing_partner_is_invited_by_its_admins_email_and_its_profile_stays(programme, run_jobs):
    maker, admin = programme
    other = f.manufacturer("Other Maker")
    existing = f.partner(other, "Existing Reseller", coverage=[("FR", None, None)], employees=300)
    partner_admin = f.user(existing, Role.PARTNER_ADMIN, email="boss@existing.test")
    db.session.commit()

    result = add_partner(
        admin,
        maker,
        _details(company="What we call them", admin_email="Boss@Existing.test", employees=3, country="DE"),
        base_url=BASE,
    )
    assert result.outcome is AddOutcome.CREATED and result.invited
    enrollment = result.enrollment
    assert enrollment.partner_id == existing.id and not enrollment.created_partner
    assert enrollment.status == EnrollmentStatus.INVITED
    assert enrollment.invited_name == "What we call them"
    profile = existing.profile
    assert existing.name == "Existing Reseller" and profile.employees == 300 and profile.country is None
    assert [a.country for a in profile.coverage] == ["FR"]
    assert _jobs("accounts.send_password_link") == []  # no account invitation: it has an account
    assert _events(AuditEvent.PARTNER_ADDED) == []
    [notification] = db.session.scalars(sa.select(Notification)).all()
    assert notification.user_id == partner_admin.id and notification.link == "/portal/programmes"
    assert "Acme Pumps invites you" in notification.title
    assert notification.email_due_at is not None  # a service notice: e-mailed now


@pytest.mark.parametrize("role", [Role.MANUFACTURER_ADMIN, Role.CHANNEL_MANAGER])
def test_a_manufacturer_users_email_is_refused(programme, role):
    maker, admin = programme
    other_user = f.user(f.manufacturer(), role, email="someone@maker.test")
    with pytest.raises(DomainError) as refused:
        add_partner(admin, maker, _details(admin_email=other_user.email), base_url=BASE)
    assert refused.value.field == "admin_email" and "manufacturer" in refused.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == 0


def test_a_partner_reps_email_is_refused(programme):
    maker, admin = programme
    rep = f.user(f.partner(None, "Somewhere"), Role.PARTNER_REP, email="rep@somewhere.test")
    with pytest.raises(DomainError) as refused:
        add_partner(admin, maker, _details(admin_email=rep.email), base_url=BASE)
    assert refused.value.field == "admin_email" and "not its active admin" in refused.value.message


def test_the_external_id_makes_adding_idempotent(programme):
    maker, admin = programme
    first = add_partner(admin, maker, _details(external_id="CRM-1", tier=Tier.SILVER), base_url=BASE)
    same = add_partner(admin, maker, _details(external_id="CRM-1", tier=Tier.SILVER), base_url=BASE)
    assert same.outcome is AddOutcome.DUPLICATE and not same.invited
    assert same.enrollment.id == first.enrollment.id
    changed = add_partner(
        admin,
        maker,
        _details(external_id="CRM-1", tier=Tier.GOLD, product_lines=["valves"], company="Bavaria Systems AG"),
        base_url=BASE,
    )
    assert changed.outcome is AddOutcome.UPDATED and changed.enrollment.id == first.enrollment.id
    enrollment = changed.enrollment
    assert enrollment.tier == Tier.GOLD and [line.code for line in enrollment.product_lines] == ["valves"]
    assert enrollment.invited_name == "Bavaria Systems AG"
    # Its admin has not signed in yet: the manufacturer's data still fill the profile.
    assert enrollment.partner.name == "Bavaria Systems AG"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == 1
    assert len(_jobs("accounts.send_password_link")) == 1


def test_once_its_admin_signed_in_the_partner_owns_its_profile(programme):
    maker, admin = programme
    first = add_partner(admin, maker, _details(external_id="CRM-1", employees=5), base_url=BASE)
    [user] = first.enrollment.partner.users
    user.last_login_at = clock.now()
    again = add_partner(
        admin, maker, _details(external_id="CRM-1", employees=500, company="Renamed"), base_url=BASE
    )
    assert again.outcome is AddOutcome.UPDATED  # the invited name changed
    assert (
        again.enrollment.partner.profile.employees == 5 and again.enrollment.partner.name == "Bavaria Systems"
    )


def test_the_same_email_twice_makes_one_enrollment(programme):
    maker, admin = programme
    first = add_partner(admin, maker, _details(), base_url=BASE)
    second = add_partner(admin, maker, _details(admin_email=" ANNA@bavaria.test "), base_url=BASE)
    assert second.enrollment.id == first.enrollment.id and second.outcome is AddOutcome.DUPLICATE
    # With an external id the first had not: it is recorded, still one enrollment.
    third = add_partner(admin, maker, _details(external_id="X9"), base_url=BASE)
    assert third.enrollment.id == first.enrollment.id and third.outcome is AddOutcome.UPDATED
    assert third.enrollment.external_id == "X9"
    with pytest.raises(Conflict) as refused:
        add_partner(admin, maker, _details(external_id="OTHER"), base_url=BASE)
    assert refused.value.field == "external_id"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)) == 1


def test_an_enrolled_partners_admin_email_is_a_duplicate(programme):
    maker, admin = programme
    partner = f.partner(maker, "Enrolled", tier=Tier.SILVER)
    boss = f.user(partner, Role.PARTNER_ADMIN, email="boss@enrolled.test")
    result = add_partner(admin, maker, _details(admin_email=boss.email), base_url=BASE)
    assert result.outcome is AddOutcome.DUPLICATE and result.enrollment.partner_id == partner.id
    assert result.enrollment.invited_name is None  # active: the partner's own name counts


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"company": "  "}, "company"),
        ({"admin_email": "not an address"}, "admin_email"),
        ({"country": "XX"}, "country"),
        ({"product_lines": ["pumps", "nonsense"]}, "product_lines"),
        ({"tier": "diamond"}, "tier"),
        ({"employees": -3}, "employees"),
        ({"capacity": 0}, "capacity"),
        ({"coverage": [("ZZ", None, None)]}, "coverage"),
        ({"website": "not a site"}, "website"),
        ({"external_id": "x" * 101}, "external_id"),
    ],
)
def test_bad_details_are_refused_on_their_field(programme, values, field):
    maker, admin = programme
    with pytest.raises(DomainError) as refused:
        add_partner(admin, maker, _details(**values), base_url=BASE)
    assert refused.value.field == field
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email.like("%bavaria%")))
        == 0
    )


def test_only_the_manufacturers_admin_may_add(programme):
    maker, _admin = programme
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    stranger = f.user(f.manufacturer(), Role.MANUFACTURER_ADMIN)
    for actor in (manager, stranger):
        with pytest.raises(NotAllowed):
            add_partner(actor, maker, _details(), base_url=BASE)
    # The system (an import from the shell) needs no actor.
    assert add_partner(None, maker, _details(), base_url=BASE).outcome is AddOutcome.CREATED


def test_tier_and_product_line_changes_are_recorded(programme):
    maker, admin = programme
    partner = f.partner(maker, "Enrolled", tier=Tier.SILVER)
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == partner.id))
    valves = db.session.scalar(
        sa.select(organisations.ProductLine).where(organisations.ProductLine.code == "valves")
    )
    assert change_programme(admin, enrollment, tier=Tier.PLATINUM, product_lines=[valves])
    assert not change_programme(admin, enrollment, tier=Tier.PLATINUM, product_lines=[valves])
    [tier_event] = _events(AuditEvent.ENROLLMENT_TIER_CHANGED)
    assert tier_event.data["from"] == "silver" and tier_event.data["to"] == "platinum"
    assert (tier_event.manufacturer_id, tier_event.partner_id) == (maker.id, partner.id)
    [lines_event] = _events(AuditEvent.ENROLLMENT_PRODUCT_LINES_CHANGED)
    assert lines_event.data["from"] == [] and lines_event.data["to"] == ["valves"]
    assert _jobs("offers.rerank_unshown")


def test_resend_sends_the_account_invitation_again_then_refuses_once_answered(programme):
    maker, admin = programme
    enrollment = add_partner(admin, maker, _details(), base_url=BASE).enrollment
    send_invitation(admin, enrollment, BASE)
    assert len(_jobs("accounts.send_password_link")) == 2
    assert len(_events(AuditEvent.ENROLLMENT_INVITATION_RESENT)) == 1
    enrollment.status = EnrollmentStatus.ACTIVE
    with pytest.raises(Conflict):
        send_invitation(admin, enrollment, BASE)


def test_resend_to_an_existing_partner_is_an_enrollment_invitation(programme):
    maker, admin = programme
    existing = f.partner(None, "Existing")
    f.user(existing, Role.PARTNER_ADMIN, email="boss@existing.test")
    enrollment = add_partner(
        admin, maker, _details(admin_email="boss@existing.test"), base_url=BASE
    ).enrollment
    send_invitation(admin, enrollment, BASE)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2
    assert _jobs("accounts.send_password_link") == []


def test_an_ended_partner_added_again_is_invited_again(programme):
    maker, admin = programme
    enrollment = add_partner(admin, maker, _details(), base_url=BASE).enrollment
    enrollment.status = EnrollmentStatus.ENDED
    again = add_partner(admin, maker, _details(), base_url=BASE)
    assert again.outcome is AddOutcome.UPDATED and again.enrollment.status == EnrollmentStatus.INVITED
    assert len(_events(AuditEvent.ENROLLMENT_INVITED)) == 2


def test_an_existing_partners_admin_without_a_password_gets_the_account_invitation(programme):
    maker, admin = programme
    other = f.manufacturer("Other Maker")
    first = add_partner(admin_of(other), other, _details(admin_email="new@shared.test"), base_url=BASE)
    assert first.enrollment.created_partner
    second = add_partner(admin, maker, _details(admin_email="new@shared.test"), base_url=BASE)
    assert second.outcome is AddOutcome.CREATED and not second.enrollment.created_partner
    assert second.enrollment.partner_id == first.enrollment.partner_id
    assert len(_jobs("accounts.send_password_link")) == 2  # no bell for someone who cannot sign in yet
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def admin_of(maker):
    return f.user(maker, Role.MANUFACTURER_ADMIN)


def test_a_retired_product_line_stays_for_the_partners_that_serve_it(programme):
    maker, admin = programme
    first = add_partner(admin, maker, _details(external_id="R1", product_lines=["valves"]), base_url=BASE)
    [valves] = first.enrollment.product_lines
    valves.is_active = False
    same = add_partner(admin, maker, _details(external_id="R1", product_lines=["valves"]), base_url=BASE)
    assert same.outcome is AddOutcome.DUPLICATE
    with pytest.raises(DomainError) as refused:
        add_partner(
            admin, maker, _details(admin_email="b@other.test", product_lines=["valves"]), base_url=BASE
        )
    assert refused.value.field == "product_lines"


def test_a_created_partners_invitation_names_the_manufacturers_programme(programme, run_jobs, smtp_server):
    """Added from the shell (no one acting), the e-mail still says whose programme invites: not
    "Bavaria Systems has invited you to join Bavaria Systems"."""
    maker, _ = programme
    add_partner(None, maker, _details(admin_name="Anna Admin"), base_url=BASE)
    db.session.commit()
    run_jobs()
    [mail] = [m for m in smtp_server.messages if m.recipients == ["anna@bavaria.test"]]
    text = mail.message.get_body(("plain",)).get_content()
    assert mail.message["Subject"] == "Acme Pumps invites Bavaria Systems to its partner programme"
    assert "Acme Pumps has invited Bavaria Systems to the partner programme of Acme Pumps" in text
    assert "http://portal.test/invite/" in text


def test_a_corrected_admin_email_under_the_same_external_id_invites_the_new_address(programme):
    """A typo fixed in the CRM and imported again: the invitation to the wrong address is withdrawn
    (its link dies) and the right address is invited, under the same external id."""
    maker, admin = programme
    first = add_partner(
        admin, maker, _details(external_id="E1", admin_email="wrong@typo.test"), base_url=BASE
    )
    [pending] = first.enrollment.partner.users
    fixed = add_partner(
        admin, maker, _details(external_id="E1", admin_email="right@typo.test"), base_url=BASE
    )
    assert fixed.outcome is AddOutcome.CREATED and fixed.invited
    assert fixed.enrollment.id != first.enrollment.id
    assert (fixed.enrollment.external_id, fixed.enrollment.invited_email) == ("E1", "right@typo.test")
    assert first.enrollment.status == EnrollmentStatus.ENDED and first.enrollment.external_id is None
    assert not pending.is_active_user  # the link to the wrong address no longer works
    assert len(_jobs("accounts.send_password_link")) == 2


def _withdrawn_answer(programme, external_id: str, old_email: str, new_email: str) -> tuple:
    maker, admin = programme
    add_partner(admin, maker, _details(external_id=external_id, admin_email=old_email), base_url=BASE)
    moved = add_partner(admin, maker, _details(external_id=external_id, admin_email=new_email), base_url=BASE)
    ended = db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.invited_email == old_email, Enrollment.manufacturer_id == maker.id
        )
    )
    return (
        moved.outcome,
        moved.invited,
        moved.enrollment.invited_email == new_email,
        moved.enrollment.external_id == external_id,
        ended.status,
        ended.external_id,
    )


def test_a_changed_address_answers_the_same_for_a_new_and_an_existing_partner(programme):
    """Whether the old address was new to the installation or an existing partner's admin, the
    manufacturer gets the same answer: nothing tells it that the partner existed."""
    f.user(f.partner(None, "Existing"), Role.PARTNER_ADMIN, email="boss@existing.test")
    existing = _withdrawn_answer(programme, "E2", "boss@existing.test", "first@else.test")
    new = _withdrawn_answer(programme, "E3", "typo@new.test", "second@else.test")
    assert existing == new == (AddOutcome.CREATED, True, True, True, EnrollmentStatus.ENDED, None)


def test_a_changed_address_of_a_partner_already_here_updates_that_partner(programme):
    maker, admin = programme
    here = add_partner(admin, maker, _details(admin_email="here@partner.test", company="Here"), base_url=BASE)
    add_partner(admin, maker, _details(external_id="E4", admin_email="typo@x.test"), base_url=BASE)
    moved = add_partner(
        admin, maker, _details(external_id="E4", admin_email="here@partner.test"), base_url=BASE
    )
    assert moved.outcome is AddOutcome.UPDATED and moved.enrollment.id == here.enrollment.id
    assert moved.enrollment.external_id == "E4"


def test_an_accepted_partner_ended_and_added_again_keeps_its_own_admin_address(programme):
    """Re-adding an ended partner that had accepted, with another company's admin e-mail, invites
    the same partner again and never points its enrollment at that address."""
    maker, admin = programme
    partner = f.partner(None, "Typo Co")
    f.user(partner, Role.PARTNER_ADMIN, email="typo@co.test")
    enrollment = add_partner(
        admin, maker, _details(external_id="E3", admin_email="typo@co.test"), base_url=BASE
    ).enrollment
    enrollment.status, enrollment.accepted_at = EnrollmentStatus.ENDED, clock.now()
    f.user(f.partner(None, "Existing"), Role.PARTNER_ADMIN, email="boss@existing.test")
    again = add_partner(
        admin, maker, _details(external_id="E3", admin_email="boss@existing.test"), base_url=BASE
    )
    assert again.enrollment.id == enrollment.id and again.enrollment.partner_id == partner.id
    assert enrollment.invited_email == "typo@co.test" and enrollment.status == EnrollmentStatus.INVITED
