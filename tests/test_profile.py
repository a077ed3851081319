"""The partner profile: the domain service, the portal form and the API."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.accounts import organisations
from exchange.models import (
    Enrollment,
    Event,
    JobStatus,
    Organisation,
    OutboxJob,
    PartnerProfile,
    Role,
    SizeBand,
    Tier,
    TokenScope,
)
from exchange.partners.profiles import ProfileInvalid, profile_version, update_profile
from exchange.platform import clock
from exchange.platform.errors import Conflict, NotAllowed
from exchange.platform.extensions import db
from exchange.platform.jobs import registry
from tests import factories as f

rematched: list[int] = []


def record_rematch(partner_id: int) -> None:
    rematched.append(partner_id)


@pytest.fixture(autouse=True)
def rematch_stub(monkeypatch):
    """The rematch job belongs to matchmaking (another branch); here it only records its calls."""
    rematched.clear()
    monkeypatch.setitem(registry.TASKS, "partners.rematch", f"{__name__}:record_rematch")


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    organisations.add_product_line(maker, "valves", "Valves")
    legacy = organisations.add_product_line(maker, "legacy", "Legacy line")
    legacy.is_active = False
    other_maker = f.manufacturer("Other Maker")
    partner = f.partner(maker, "Bavaria Systems", tier=Tier.GOLD, employees=30, coverage=[("DE", "BY", None)])
    other_partner = f.partner(other_maker, "Elsewhere Ltd")
    admin = f.user(partner, Role.PARTNER_ADMIN, email="admin@bavaria.test")
    rep = f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test")
    other_admin = f.user(other_partner, Role.PARTNER_ADMIN)
    db.session.commit()
    return {
        "maker": maker,
        "other_maker": other_maker,
        "partner": partner,
        "other_partner": other_partner,
        "admin": admin,
        "rep": rep,
        "other_admin": other_admin,
    }


def _profile(partner_id: int) -> PartnerProfile:
    db.session.expire_all()
    return db.session.get(PartnerProfile, partner_id)


def _events(partner_id: int, type_: str = "partner.profile_changed") -> list[Event]:
    return list(
        db.session.scalars(
            sa.select(Event).where(Event.partner_id == partner_id, Event.type == type_).order_by(Event.id)
        )
    )


def _rematch_jobs() -> list[OutboxJob]:
    return list(db.session.scalars(sa.select(OutboxJob).where(OutboxJob.task == "partners.rematch")))


# --- the domain service --------------------------------------------------------------------------


def test_matching_change_is_saved_recorded_and_rematched(app, world, run_jobs):
    partner, admin = world["partner"], world["admin"]
    before = partner.profile.matching_changed_at
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    with clock.frozen(moment):
        changes = update_profile(
            admin,
            partner,
            {
                "employees": 120,
                "capacity": 25,
                "coverage": [
                    {"country": "de", "region": " by ", "postal_prefix": None},
                    {"country": "AT", "region": "", "postal_prefix": "10"},
                ],
                "programmes": {str(world["maker"].id): ["valves", "pumps"]},
            },
        )
        db.session.commit()
    assert set(changes) == {"employees", "size_band", "capacity", "coverage", "programmes"}
    profile = _profile(partner.id)
    assert (profile.employees, profile.size_band, profile.capacity) == (120, SizeBand.MEDIUM, 25)
    assert [(a.country, a.region, a.postal_prefix) for a in profile.coverage] == [
        ("DE", "BY", None),
        ("AT", None, "10"),
    ]
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == partner.id))
    assert sorted(line.code for line in enrollment.product_lines) == ["pumps", "valves"]
    assert enrollment.tier == Tier.GOLD  # untouched
    assert profile.matching_changed_at == moment != before

    [event] = _events(partner.id)
    assert event.actor_user_id == admin.id
    assert event.data["matching"] is True
    assert event.data["changes"]["capacity"] == {"from": 10, "to": 25}
    assert event.data["changes"]["size_band"] == {"from": "small", "to": "medium"}
    assert event.data["changes"]["programmes"]["to"] == {str(world["maker"].id): ["pumps", "valves"]}

    [job] = _rematch_jobs()
    assert job.args == [partner.id]
    assert job.queue == registry.QUEUE_MATCHING
    run_jobs()
    assert rematched == [partner.id]
    assert db.session.get(OutboxJob, job.id).status == JobStatus.DONE


def test_business_hours_change_is_recorded_without_rematching(app, world):
    partner = world["partner"]
    before = partner.profile.matching_changed_at
    changes = update_profile(
        world["admin"],
        partner,
        {
            "timezone": "Europe/Berlin",
            "working_days": [5, 1, 2, 2],
            "work_start": "08:00",
            "work_end": time(16, 30),
            "holidays": ["2026-12-25", "2026-12-24", "2026-12-25"],
            "languages": ["DE", "en-GB"],
        },
    )
    db.session.commit()
    assert set(changes) == {"timezone", "working_days", "work_start", "work_end", "holidays", "languages"}
    profile = _profile(partner.id)
    assert profile.working_days == [1, 2, 5]
    assert (profile.work_start, profile.work_end) == (time(8, 0), time(16, 30))
    assert profile.holidays == ["2026-12-24", "2026-12-25"]
    assert profile.languages == ["de", "en"]
    assert profile.matching_changed_at == before
    [event] = _events(partner.id)
    assert event.data["matching"] is False
    assert _rematch_jobs() == []


def test_saving_the_same_values_changes_nothing(app, world):
    partner = world["partner"]
    changes = update_profile(
        world["admin"], partner, {"capacity": 10, "coverage": [{"country": "DE", "region": "BY"}]}
    )
    db.session.commit()
    assert changes == {}
    assert _events(partner.id) == []
    assert _rematch_jobs() == []


def test_every_problem_is_reported_with_its_field_and_row_and_nothing_is_saved(app, world):
    partner = world["partner"]
    with pytest.raises(ProfileInvalid) as caught:
        update_profile(
            world["admin"],
            partner,
            {
                "capacity": 0,
                "coverage": [
                    {"country": "DE"},
                    {"country": "AT", "region": "W"},
                    {"country": "XX"},
                    {"country": ""},
                    {"country": "DE"},
                    {"country": "FR", "postal_prefix": "75<script>"},
                    {"country": "FR", "region": "IDF", "postal_prefix": "75"},
                ],
                "timezone": "Mars/Olympus",
                "work_start": "18:00",
                "work_end": "09:00",
                "holidays": ["2026-13-01", "tomorrow"],
                "languages": ["xx"],
                "segments": [],
                "latitude": 48.1,
                "radius_km": None,
                "industries": ["x" * 81],
                "programmes": {
                    str(world["maker"].id): ["pumps", "nope"],
                    str(world["other_maker"].id): ["pumps"],
                },
            },
        )
    errors = caught.value.errors
    assert errors["capacity"] == ["Capacity: a whole number from 1 to 1000."]
    assert errors["coverage"] == [
        "Coverage row 3: unknown country 'XX'.",
        "Coverage row 4: the country is missing.",
        "Coverage row 5: repeats row 1.",
        "Coverage row 6: '75<SCRIPT>' is not a postal code prefix (up to 16 letters and digits, e.g. 80).",
        "Coverage row 7: give a region or a postal code prefix, not both (use two rows).",
    ]
    assert caught.value.coverage_rows == {3, 4, 5, 6, 7}
    assert errors["timezone"] == [
        "Time zone: unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)."
    ]
    assert errors["work_end"] == ["Business hours: closing (09:00) must be after opening (18:00)."]
    assert errors["holidays"] == [
        "Holidays: '2026-13-01' is not a date (YYYY-MM-DD).",
        "Holidays: 'tomorrow' is not a date (YYYY-MM-DD).",
    ]
    assert errors["languages"] == ["Languages: unknown language code 'xx'."]
    assert errors["segments"] == ["Customer segments: choose at least one."]
    assert errors["radius_km"] == [
        "Point coverage: give latitude, longitude and radius together (or none of them)."
    ]
    assert errors["industries"][0].startswith("Industries: 'xxxx")
    assert errors["programmes"] == [
        "Product lines for Acme Pumps: unknown product line 'nope'.",
        f"Product lines: you are not enrolled with manufacturer {world['other_maker'].id}.",
    ]
    db.session.rollback()
    profile = _profile(partner.id)
    assert profile.capacity == 10
    assert [a.country for a in profile.coverage] == ["DE"]
    assert _events(partner.id) == []


def test_inactive_product_lines_cannot_be_picked_but_served_ones_stay(app, world):
    partner, maker = world["partner"], world["maker"]
    key = str(maker.id)
    with pytest.raises(ProfileInvalid) as caught:
        update_profile(world["admin"], partner, {"programmes": {key: ["legacy"]}})
    assert caught.value.errors["programmes"] == [
        "Product lines for Acme Pumps: unknown product line 'legacy'."
    ]
    db.session.rollback()
    # A line the partner already serves stays selectable after the manufacturer retires it.
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == partner.id))
    enrollment.product_lines = [
        line for line in db.session.scalars(sa.select(organisations.ProductLine)) if line.code == "legacy"
    ]
    db.session.commit()
    assert update_profile(world["admin"], partner, {"programmes": {key: ["legacy", "pumps"]}})


def test_only_an_admin_of_the_partner_may_change_it(app, world):
    with pytest.raises(NotAllowed):
        update_profile(world["rep"], world["partner"], {"capacity": 5})
    with pytest.raises(NotAllowed):
        update_profile(world["other_admin"], world["partner"], {"capacity": 5})
    maker_admin = f.user(world["maker"], Role.MANUFACTURER_ADMIN)
    with pytest.raises(NotAllowed):
        update_profile(maker_admin, world["partner"], {"capacity": 5})


def test_a_stale_version_is_refused(app, world):
    partner, admin = world["partner"], world["admin"]
    opened = profile_version(partner.profile)
    with clock.frozen(datetime(2030, 1, 1, tzinfo=UTC)):
        update_profile(admin, partner, {"capacity": 11}, expected_version=opened)
        db.session.commit()
    with pytest.raises(Conflict):
        update_profile(admin, partner, {"capacity": 12}, expected_version=opened)
    db.session.rollback()
    assert _profile(partner.id).capacity == 11


# --- the portal form ------------------------------------------------------------------------------


def _form(**overrides) -> dict:
    data = {
        "version": "",
        "employees": "30",
        "annual_revenue": "",
        "industries": "Manufacturing, Utilities",
        "certifications": "",
        "segments": ["small"],
        "coverage-0-country": "DE",
        "coverage-0-region": "BY",
        "coverage-0-postal_prefix": "",
        "coverage-1-country": "",
        "coverage-1-region": "",
        "coverage-1-postal_prefix": "",
        "latitude": "",
        "longitude": "",
        "radius_km": "",
        "capacity": "10",
        "timezone": "UTC",
        "working_days": ["1", "2", "3", "4", "5"],
        "work_start": "09:00",
        "work_end": "17:00",
        "holidays": "",
        "languages": "en",
    }
    data.update(overrides)
    return data


def test_profile_page_shows_the_profile_with_read_only_programmes(client, world):
    f.login(client, world["admin"])
    page = client.get("/portal/profile").get_data(as_text=True)
    assert 'name="capacity"' in page and 'value="10"' in page
    assert 'name="coverage-0-country"' in page and 'value="DE"' in page
    assert "Acme Pumps" in page and "Gold" in page
    assert f'name="programme_{world["maker"].id}"' in page
    assert 'value="valves"' in page and 'value="legacy"' not in page  # retired lines are not offered
    assert 'name="tier"' not in page  # tier and status are the manufacturer's


def test_profile_form_saves_capacity_coverage_and_product_lines(client, world):
    f.login(client, world["admin"])
    maker_key = f"programme_{world['maker'].id}"
    response = client.post(
        "/portal/profile",
        data=_form(
            capacity="25",
            **{
                "coverage-1-country": "at",
                "coverage-1-region": "w",
                "coverage-2-country": "CH",
                "coverage-2-remove": "y",  # ticked Remove: dropped
                maker_key: ["valves"],
                "tier": "platinum",  # not a field: ignored
            },
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get("/portal/profile").get_data(as_text=True)
    assert "Profile saved." in page
    profile = _profile(world["partner"].id)
    assert profile.capacity == 25
    assert [(a.country, a.region) for a in profile.coverage] == [("DE", "BY"), ("AT", "W")]
    assert profile.industries == ["Manufacturing", "Utilities"]
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == world["partner"].id))
    assert [line.code for line in enrollment.product_lines] == ["valves"]
    assert enrollment.tier == Tier.GOLD
    assert len(_rematch_jobs()) == 1


def test_profile_form_names_the_row_and_keeps_what_was_typed(client, world):
    f.login(client, world["admin"])
    response = client.post(
        "/portal/profile",
        data=_form(capacity="2000", **{"coverage-1-country": "XX", "coverage-1-region": "north"}),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The profile was not saved" in page
    assert "Coverage row 2: unknown country &#39;XX&#39;." in page
    assert "Capacity: a whole number from 1 to 1000." in page
    assert 'value="XX"' in page and 'value="north"' in page and 'value="2000"' in page
    assert 'class="table-danger"' in page
    assert _profile(world["partner"].id).capacity == 10


def test_profile_form_reports_unparseable_input(client, world):
    f.login(client, world["admin"])
    response = client.post("/portal/profile", data=_form(employees="many", work_start="9 o'clock"))
    page = response.get_data(as_text=True)
    # The schema's messages (the API's): the form no longer parses with rules of its own.
    assert "Employees: a whole number from 0 to 10,000,000." in page
    assert "Opens at: &#39;9 o&#39;clock&#39; is not a time (HH:MM)." in page
    assert _profile(world["partner"].id).employees == 30


def test_profile_form_refuses_to_overwrite_a_newer_save(client, world):
    f.login(client, world["admin"])
    opened = profile_version(world["partner"].profile)
    with clock.frozen(datetime(2030, 1, 1, tzinfo=UTC)):
        update_profile(world["admin"], world["partner"], {"capacity": 11})
        db.session.commit()
    response = client.post("/portal/profile", data=_form(version=opened, capacity="12"))
    page = response.get_data(as_text=True)
    assert "Someone else saved this profile after you opened it" in page
    assert 'value="12"' in page  # what the admin typed is still there to save again
    assert _profile(world["partner"].id).capacity == 11


# --- the API ----------------------------------------------------------------------------------------


def test_api_reads_the_profile_for_reps(client, world):
    f.login(client, world["rep"])
    body = client.get("/api/v1/partner/profile").get_json()
    assert body["capacity"] == 10
    assert body["coverage"] == [{"country": "DE", "region": "BY", "postal_prefix": None}]
    assert body["size_band"] == "small"
    [programme] = body["programmes"]
    assert programme["manufacturer"] == "Acme Pumps"
    assert programme["tier"] == "gold"
    assert {line["code"] for line in programme["available_product_lines"]} == {"pumps", "valves"}


def _token(user, scope=TokenScope.READ_WRITE) -> dict:
    from exchange.accounts.tokens import issue_token

    issued = issue_token(user, "test", scope)
    db.session.commit()
    return {"Authorization": f"Bearer {issued.plaintext}"}


def test_api_put_replaces_the_profile_and_patch_changes_some_fields(client, world):
    headers = _token(world["admin"])
    document = client.get("/api/v1/partner/profile", headers=headers).get_json()
    for read_only in ("size_band", "matching_changed_at", "updated_at"):
        document.pop(read_only)
    document["programmes"] = [
        {"manufacturer_id": p["manufacturer_id"], "product_lines": ["valves"]} for p in document["programmes"]
    ]
    document["coverage"].append({"country": "AT", "region": "W"})
    document["annual_revenue"] = "2500000"
    response = client.put("/api/v1/partner/profile", json=document, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["annual_revenue"] == "2500000.00"
    assert body["programmes"][0]["product_lines"] == ["valves"]
    assert [area["country"] for area in body["coverage"]] == ["DE", "AT"]

    response = client.patch("/api/v1/partner/profile", json={"capacity": 40}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["capacity"] == 40
    assert response.get_json()["coverage"][1]["country"] == "AT"  # untouched
    events = _events(world["partner"].id)
    assert [e.actor_kind for e in events] == ["api", "api"]
    assert _profile(world["partner"].id).annual_revenue == Decimal("2500000.00")


def test_api_put_needs_every_writable_field(client, world):
    response = client.put("/api/v1/partner/profile", json={"capacity": 5}, headers=_token(world["admin"]))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors["coverage"] == ["Missing data for required field."]


def test_api_errors_name_field_and_row(client, world):
    response = client.patch(
        "/api/v1/partner/profile",
        json={"coverage": [{"country": "DE"}, {"country": "XX"}], "capacity": 0},
        headers=_token(world["admin"]),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "The profile was not saved: 2 problem(s) to fix."
    assert body["errors"] == {
        "coverage": ["Coverage row 2: unknown country 'XX'."],
        "capacity": ["Capacity: a whole number from 1 to 1000."],
    }
    assert _profile(world["partner"].id).capacity == 10


def test_api_writes_need_an_admin_and_a_read_write_token(client, world):
    rep_token = _token(world["rep"])
    assert client.get("/api/v1/partner/profile", headers=rep_token).status_code == 200
    response = client.patch("/api/v1/partner/profile", json={"capacity": 5}, headers=rep_token)
    assert response.status_code == 403
    read_only = _token(world["admin"], TokenScope.READ)
    assert client.patch("/api/v1/partner/profile", json={"capacity": 5}, headers=read_only).status_code == 403
    assert _profile(world["partner"].id).capacity == 10


def test_api_reads_only_the_callers_own_profile(client, world):
    headers = _token(world["other_admin"])
    body = client.get("/api/v1/partner/profile", headers=headers).get_json()
    assert body["programmes"][0]["manufacturer"] == "Other Maker"
    response = client.patch(
        "/api/v1/partner/profile",
        json={"programmes": [{"manufacturer_id": world["maker"].id, "product_lines": ["pumps"]}]},
        headers=headers,
    )
    assert response.status_code == 422
    assert "not enrolled" in response.get_json()["errors"]["programmes"][0]
    other = db.session.get(Organisation, world["other_partner"].id)
    assert other.profile.capacity == 10


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
PROFILE_KEYS = [
    "employees",
    "annual_revenue",
    "industries",
    "segments",
    "coverage",
    "latitude",
    "radius_km",
    "capacity",
    "timezone",
    "working_days",
    "work_start",
    "holidays",
    "languages",
    "programmes",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(PROFILE_KEYS), JSON_VALUES, min_size=1, max_size=4))
def test_api_answers_any_json_with_a_result_or_a_clear_error(client, world, body):
    response = client.patch("/api/v1/partner/profile", json=body, headers=_token(world["admin"]))
    assert response.status_code in (200, 422), (body, response.get_data(as_text=True)[:500])
    if response.status_code == 422:
        assert response.get_json()["errors"]


def test_profile_form_reads_lists_as_people_type_them(client, world):
    f.login(client, world["admin"])
    response = client.post(
        "/portal/profile",
        data=_form(
            industries="Utilities;  Food & Beverage ,utilities",
            certifications="ISO 9001\nCertified Installer",
            holidays="2026-12-24 2026-12-25,\n2026-12-31",
            languages="de en;fr",
        ),
    )
    assert response.status_code == 302
    profile = _profile(world["partner"].id)
    assert profile.industries == ["Utilities", "Food & Beverage"]
    assert profile.certifications == ["ISO 9001", "Certified Installer"]
    assert profile.holidays == ["2026-12-24", "2026-12-25", "2026-12-31"]
    assert profile.languages == ["de", "en", "fr"]


@pytest.mark.parametrize(
    ("form_field", "typed", "sent", "message"),
    [
        # The form rounded an amount with three decimals; the API refused it. Now both refuse it.
        (
            "annual_revenue",
            "1200.505",
            "1200.505",
            "Annual revenue: an amount from 0 to 999,999,999,999.99, in digits with up to two decimals"
            " (e.g. 1200.50).",
        ),
        ("capacity", "0", 0, "Capacity: a whole number from 1 to 1000."),
        ("work_start", "25:00", "25:00", "Opens at: &#39;25:00&#39; is not a time (HH:MM)."),
    ],
)
def test_form_and_api_refuse_an_input_the_same_way(client, world, form_field, typed, sent, message):
    response = client.patch(
        "/api/v1/partner/profile", json={form_field: sent}, headers=_token(world["admin"])
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {form_field: [message.replace("&#39;", "'")]}
    f.login(client, world["admin"])
    response = client.post("/portal/profile", data=_form(**{form_field: typed}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    profile = _profile(world["partner"].id)
    assert (profile.annual_revenue, profile.capacity, profile.work_start) == (None, 10, time(9, 0))


# --- where the partner is based (issue 12) ------------------------------------------------------------


def test_profile_form_saves_where_the_partner_is_based(client, world):
    f.login(client, world["admin"])
    page = client.get("/portal/profile").get_data(as_text=True)
    assert 'data-testid="location"' in page and 'name="public_holidays"' in page
    response = client.post(
        "/portal/profile",
        data=_form(
            country="de", region="de-by", postal_code="80331", website="pumpen.example", public_holidays="no"
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    profile = _profile(world["partner"].id)
    assert (profile.country, profile.region, profile.postal_code) == ("DE", "BY", "80331")
    assert profile.website == "https://pumpen.example" and profile.public_holidays is False
    event = _events(world["partner"].id)[-1]
    assert event.data["changes"]["public_holidays"] == {"from": True, "to": False}
    assert event.data["changes"]["country"] == {"from": None, "to": "DE"}
    # A form without the choice (an old page) keeps it; empty boxes clear the texts.
    client.post("/portal/profile", data=_form(country="", website=""))
    profile = _profile(world["partner"].id)
    assert profile.country is None and profile.website is None and profile.public_holidays is False


def test_api_reads_and_writes_the_location_fields_with_clear_errors(client, world):
    headers = _token(world["admin"])
    body = client.get("/api/v1/partner/profile", headers=headers).get_json()
    assert body["country"] is None and body["public_holidays"] is True
    response = client.patch(
        "/api/v1/partner/profile",
        json={"country": "AT", "region": "9", "postal_code": "1010", "website": "http://wien.example/pumpen"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert (
        response.get_json()["region"] == "9"
        and response.get_json()["website"] == "http://wien.example/pumpen"
    )
    response = client.patch(
        "/api/v1/partner/profile",
        json={
            "country": "XX",
            "region": "B Y!",
            "postal_code": "x" * 17,
            "website": "ftp://nope",
            "public_holidays": "maybe",
        },
        headers=headers,
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"country", "region", "postal_code", "website", "public_holidays"}
    assert errors["country"] == ["Country: unknown country 'XX' (use an ISO code such as DE)."]
    assert _profile(world["partner"].id).country == "AT"


def test_capacity_zero_is_refused_by_the_editor(client, world):
    """The editor takes 1 to 1000; a capacity of 0 (an import may write it) means no offers
    (matching: at_capacity), which the coverage-gap page names."""
    response = client.patch("/api/v1/partner/profile", json={"capacity": 0}, headers=_token(world["admin"]))
    assert response.status_code == 422 and "capacity" in response.get_json()["errors"]
