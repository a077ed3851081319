"""Issue 12's rule: a manufacturer sees nothing of a partner organisation, nor whether it existed,
until the partner accepts its invitation (``Enrollment.accepted_at``). A withdrawn invitation stays
anonymous; a partner this programme created looks the same as one that existed until it accepts;
the partner's offer filters list only the programmes it accepted."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange.accounts.tokens import issue_token
from exchange.models import Enrollment, EnrollmentStatus, Role, TokenScope, User
from exchange.partners import enrollments
from exchange.partners.directory import PartnerDetails, add_partner
from exchange.partners.directory_list import DirectoryFilters, directory_page, directory_row
from exchange.partners.readiness import NotReady, readiness
from exchange.platform import clock
from exchange.platform.extensions import db
from portal.offers import partner_product_lines, partner_programmes
from tests import factories as f

SECRET = "Secret Real Name"


@pytest.fixture
def world(app, client):
    maker = f.manufacturer("Acme Pumps")
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    active = f.partner(maker, "Active Reseller")
    f.user(active, Role.PARTNER_ADMIN).last_login_at = clock.now()
    existing = f.partner(f.manufacturer("Other Maker"), SECRET, coverage=[("FR", None, None)], capacity=7)
    existing.profile.website = "https://secret.example"
    boss = f.user(existing, Role.PARTNER_ADMIN, email="boss@existing.test")
    boss.last_login_at = clock.now()
    token = issue_token(admin, "t", TokenScope.READ_WRITE).plaintext
    db.session.commit()

    def api(method: str, path: str, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    return {"maker": maker, "admin": admin, "existing": existing, "boss": boss, "api": api}


def _add(world, company: str, email: str) -> Enrollment:
    enrollment = add_partner(
        world["admin"],
        world["maker"],
        PartnerDetails(company=company, admin_email=email, country="DE", capacity=3),
        base_url="http://x/",
    ).enrollment
    db.session.commit()
    return enrollment


def _withdraw(world, enrollment: Enrollment) -> None:
    enrollments.mark_ended(world["admin"], enrollment, "Not now")
    db.session.commit()


def test_a_withdrawn_invitation_to_an_existing_partner_stays_anonymous(world, client):
    enrollment = _add(world, "Our name for them", "boss@existing.test")
    _withdraw(world, enrollment)
    assert enrollment.status == EnrollmentStatus.ENDED and enrollment.accepted_at is None
    assert not enrollments.partner_visible(enrollment)

    f.login(client, world["admin"])
    pages = [
        client.get("/manage/partners").get_data(as_text=True),
        client.get(f"/manage/partners/{enrollment.id}").get_data(as_text=True),
        client.get("/manage/analytics/partners").get_data(as_text=True),
    ]
    for html in pages:
        assert SECRET not in html and "secret.example" not in html
    assert "Our name for them" in pages[0] and "Our name for them" in pages[1]
    assert 'data-testid="profile"' not in pages[1]
    assert "Our name for them" not in client.get("/manage/partners?q=Secret").get_data(as_text=True)
    assert "Active Reseller" in pages[2]

    read = world["api"]("GET", f"/api/v1/partners/{enrollment.id}").get_json()
    assert read["accepted"] is False and read["name"] is None and read["profile"] is None
    assert read["paused"] is None and read["not_ready"] == ["not_active"]
    assert world["api"]("GET", "/api/v1/partners?q=Secret").get_json()["total"] == 0
    assert SECRET not in str(world["api"]("GET", "/api/v1/partners").get_json())
    seen = world["api"]("GET", f"/api/v1/enrollments/{enrollment.id}").get_json()
    assert seen["partner"] is None and SECRET not in str(seen)

    row = directory_row(world["maker"], enrollment.id)
    assert not row.known and row.profile is None and row.name == "Our name for them"
    assert directory_page(world["maker"], DirectoryFilters(search="Secret"))["total"] == 0


def test_created_and_existing_partners_look_the_same_until_they_accept(world, client):
    created = _add(world, "Brand New", "anna@new.test")
    existing = _add(world, "Known Elsewhere", "boss@existing.test")
    assert created.created_partner and not existing.created_partner

    def answers():
        one = world["api"]("GET", f"/api/v1/partners/{created.id}").get_json()
        two = world["api"]("GET", f"/api/v1/partners/{existing.id}").get_json()
        assert "created_partner" not in one and sorted(one) == sorted(two)
        same = ("accepted", "name", "profile", "paused", "not_ready", "ready", "status")
        assert {key: one[key] for key in same} == {key: two[key] for key in same}
        return one

    assert answers()["not_ready"] == ["not_active"]
    reasons = readiness(world["maker"], [created.id, existing.id])
    assert reasons[created.id] == reasons[existing.id] == [NotReady.NOT_ACTIVE]
    f.login(client, world["admin"])
    for enrollment in (created, existing):
        page = client.get(f"/manage/partners/{enrollment.id}").get_data(as_text=True)
        assert "Its admin has not signed in" not in page and 'data-testid="profile"' not in page
        assert "Partner added" not in page  # only a created partner has that event
    for filters in (
        DirectoryFilters(readiness="admin_not_signed_in"),
        DirectoryFilters(readiness="no_capacity"),
    ):
        names = [row.name for row in directory_page(world["maker"], filters)["items"]]
        assert "Brand New" not in names and "Known Elsewhere" not in names

    _withdraw(world, created)
    _withdraw(world, existing)
    assert answers()["accepted"] is False
    assert not enrollments.partner_visible(created) and not enrollments.partner_visible(existing)


def test_an_accepted_partner_is_visible_and_stays_so_when_it_ends(world, client):
    enrollment = _add(world, "Our name for them", "boss@existing.test")
    enrollments.accept(world["boss"], enrollment)
    db.session.commit()
    assert enrollment.accepted_at is not None and enrollments.partner_visible(enrollment)
    read = world["api"]("GET", f"/api/v1/partners/{enrollment.id}").get_json()
    assert read["accepted"] is True and read["name"] == SECRET and read["profile"]["capacity"] == 7
    assert world["api"]("GET", "/api/v1/partners?q=Secret").get_json()["total"] == 1

    _withdraw(world, enrollment)  # an accepted enrollment that ended
    f.login(client, world["admin"])
    assert SECRET in client.get(f"/manage/partners/{enrollment.id}").get_data(as_text=True)
    assert SECRET in client.get("/manage/analytics/partners").get_data(as_text=True)
    assert world["api"]("GET", f"/api/v1/enrollments/{enrollment.id}").get_json()["partner"]["name"] == SECRET


def test_a_created_partner_is_visible_once_its_admin_accepts(world):
    created = _add(world, "Brand New", "anna@new.test")
    admin = db.session.scalar(sa.select(User).where(User.email == "anna@new.test"))
    assert enrollments.accept_created_enrollments(admin) == [created]
    db.session.commit()
    assert created.accepted_at is not None
    row = directory_row(world["maker"], created.id)
    assert row.known and row.profile is not None and row.profile.capacity == 3
    assert NotReady.ADMIN_NOT_SIGNED_IN in row.reasons  # it accepted, it has not signed in yet


def test_the_offer_filters_list_only_programmes_the_partner_accepted(world):
    existing, boss = world["existing"], world["boss"]
    other_maker = db.session.scalar(
        sa.select(Enrollment.manufacturer_id).where(Enrollment.partner_id == existing.id)
    )
    invited = _add(world, "Ours", "boss@existing.test")  # open invitation from Acme Pumps
    declining = f.manufacturer("Declined Maker")
    declined = add_partner(
        f.user(declining, Role.MANUFACTURER_ADMIN),
        declining,
        PartnerDetails(company="X", admin_email="boss@existing.test"),
        base_url="http://x/",
    ).enrollment
    enrollments.decline(boss, declined)
    db.session.commit()
    assert [id_ for id_, _name in partner_programmes(existing.id)] == [other_maker]
    assert {line.manufacturer_id for line in partner_product_lines(existing.id)} == {other_maker}

    enrollments.accept(boss, invited)
    _withdraw(world, invited)  # accepted, then ended: it was a programme of the partner's
    assert {id_ for id_, _name in partner_programmes(existing.id)} == {other_maker, world["maker"].id}


def test_a_leads_partner_list_names_an_invited_partner_only_as_typed_and_not_enrolled(world, client):
    """The lead's "partners" page ranks every enrollment; an invited partner shows under its invited
    name as not enrolled, never with the reasons its own profile gives (coverage, capacity)."""
    _add(world, "Our name for them", "boss@existing.test")
    lead = f.lead(world["maker"], country="DE", postal_code="80331")
    db.session.commit()
    f.login(client, world["admin"])
    html = client.get(f"/manage/leads/{lead.id}/partners").get_data(as_text=True)
    assert SECRET not in html
    assert html.count("Our name for them") == 1
