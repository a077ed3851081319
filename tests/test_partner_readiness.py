"""Readiness: why a partner cannot receive offers, for a whole programme in one query; the directory's
filters and paging in SQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from exchange.models import Enrollment, EnrollmentStatus, Role, Tier, User
from exchange.partners.directory import PartnerDetails, add_partner
from exchange.partners.directory_list import DirectoryFilters, directory_page
from exchange.partners.enrollments import accept_created_enrollments
from exchange.partners.readiness import NotReady, readiness
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.labels import READINESS
from tests import factories as f


def _enrollment(partner) -> Enrollment:
    return db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == partner.id))


def _signed_in_admin(partner):
    admin = f.user(partner, Role.PARTNER_ADMIN)
    admin.last_login_at = clock.now()
    return admin


@pytest.fixture
def programme(app):
    maker = f.manufacturer("Acme Pumps")
    ready = f.partner(maker, "Ready")
    _signed_in_admin(ready)
    never = f.partner(maker, "Never signed in")
    f.user(never, Role.PARTNER_ADMIN)  # invited by hand, no sign-in yet
    f.user(never, Role.PARTNER_REP).last_login_at = clock.now()  # a rep does not count
    nowhere = f.partner(maker, "Nowhere", coverage=[])
    _signed_in_admin(nowhere)
    radius = f.partner(maker, "Radius only", coverage=[], latitude=48.1, longitude=11.6, radius_km=50)
    _signed_in_admin(radius)
    full = f.partner(maker, "No room", capacity=0)
    _signed_in_admin(full)
    away = f.partner(maker, "Away")
    _signed_in_admin(away)
    away.profile.paused_at = clock.now() - timedelta(days=1)
    back = f.partner(maker, "Back again")
    _signed_in_admin(back)
    back.profile.paused_at = clock.now() - timedelta(days=3)
    back.profile.paused_until = clock.now() - timedelta(days=1)  # the pause is over
    suspended = f.partner(maker, "Suspended")
    _signed_in_admin(suspended)
    _enrollment(suspended).status = EnrollmentStatus.SUSPENDED
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    # An existing partner, invited: the programme knows nothing of it yet.
    stranger = f.partner(f.manufacturer("Other"), "Hidden Name", coverage=[], capacity=0)
    f.user(stranger, Role.PARTNER_ADMIN, email="boss@stranger.test")
    invited = add_partner(
        admin,
        maker,
        PartnerDetails(company="Invited", admin_email="boss@stranger.test"),
        base_url="http://x/",
    ).enrollment
    db.session.commit()
    return maker, {
        "ready": ready,
        "never": never,
        "nowhere": nowhere,
        "radius": radius,
        "full": full,
        "away": away,
        "back": back,
        "suspended": suspended,
        "invited": invited,
    }


def test_readiness_gives_each_reason(programme):
    maker, partners = programme
    invited = partners.pop("invited")
    by_enrollment = readiness(maker)
    got = {name: by_enrollment[_enrollment(partner).id] for name, partner in partners.items()}
    assert got == {
        "ready": [],
        "never": [NotReady.ADMIN_NOT_SIGNED_IN],
        "nowhere": [NotReady.NO_COVERAGE],
        "radius": [],
        "full": [NotReady.NO_CAPACITY],
        "away": [NotReady.PAUSED],
        "back": [],
        "suspended": [NotReady.NOT_ACTIVE],
    }
    # Before it accepts, nothing of an existing partner's own data shows through.
    assert by_enrollment[invited.id] == [NotReady.NOT_ACTIVE]
    assert readiness(maker, [invited.id]) == {invited.id: [NotReady.NOT_ACTIVE]}
    assert set(READINESS) == {reason.value for reason in NotReady}


def test_readiness_of_a_whole_programme_is_one_query(programme, app):
    maker, _partners = programme
    statements = []
    me = threading.get_ident()

    def count(*args, **kwargs):
        if threading.get_ident() == me:  # not the job runner's thread
            statements.append(args[2])

    engine = db.engine
    assert maker.id  # loaded before counting (the commit expired it)
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        result = readiness(maker)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(result) == 9 and len(statements) == 1, statements


def test_a_created_partner_says_no_more_than_an_existing_one_until_it_accepts(programme):
    maker, _partners = programme
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    created = add_partner(
        admin, maker, PartnerDetails(company="Fresh", admin_email="a@fresh.test"), base_url="http://x/"
    ).enrollment
    invited = db.session.scalar(sa.select(Enrollment).where(Enrollment.invited_email == "boss@stranger.test"))
    result = readiness(maker, [created.id, invited.id])
    assert result[created.id] == result[invited.id] == [NotReady.NOT_ACTIVE]
    accept_created_enrollments(db.session.get(User, created.partner.users[0].id))
    assert readiness(maker, [created.id])[created.id] == [
        NotReady.ADMIN_NOT_SIGNED_IN,
        NotReady.NO_COVERAGE,
        NotReady.NO_CAPACITY,
    ]


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        (DirectoryFilters(readiness="ready"), ["Back again", "Radius only", "Ready"]),
        (DirectoryFilters(readiness="paused"), ["Away"]),
        (DirectoryFilters(status=EnrollmentStatus.INVITED), ["Invited"]),
        (DirectoryFilters(search="stranger"), ["Invited"]),  # by its e-mail, not its real name
        (DirectoryFilters(search="Hidden"), []),  # its own name is not the programme's to know
        (DirectoryFilters(tier=Tier.REGISTERED), ["Invited"]),
    ],
)
def test_directory_filters(programme, filters, names):
    maker, _partners = programme
    page = directory_page(maker, filters, per_page=50)
    assert [row.name for row in page["items"]] == names


def test_directory_pages_in_sql_and_hides_an_invited_partners_own_data(programme):
    maker, _partners = programme
    first = directory_page(maker, DirectoryFilters(), page=1, per_page=4)
    last = directory_page(maker, DirectoryFilters(), page=99, per_page=4)
    assert first["total"] == 9 and first["pages"] == 3 and last["page"] == 3
    assert [row.name for row in first["items"]] == ["Away", "Back again", "Invited", "Never signed in"]
    assert [row.name for row in last["items"]] == ["Suspended"]
    away = first["items"][0]
    assert away.paused and away.paused_until is None and away.profile.coverage == [("DE", None, None)]
    invited = first["items"][2]
    assert invited.name == "Invited" and not invited.known and invited.profile is None
    assert invited.enrollment.invited_email == "boss@stranger.test"
