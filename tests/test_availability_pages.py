"""The availability page, the banner on the pull list and ``/api/v1/availability``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from exchange.accounts.tokens import issue_token
from exchange.models import Event, Organisation, Role, TokenScope
from exchange.partners import availability
from exchange.platform import clock
from exchange.platform.extensions import db
from tests import factories as f

NOW = datetime(2026, 12, 4, 10, tzinfo=UTC)


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    other = f.partner(maker, "Elsewhere Ltd")
    admin = f.user(partner, Role.PARTNER_ADMIN)
    admin.timezone = "Europe/Berlin"
    rep = f.user(partner, Role.PARTNER_REP)
    other_admin = f.user(other, Role.PARTNER_ADMIN)
    maker_admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    db.session.commit()
    return {
        "maker": maker,
        "partner": partner,
        "other": other,
        "admin": admin,
        "rep": rep,
        "other_admin": other_admin,
        "maker_admin": maker_admin,
    }


def _profile(org):
    db.session.expire_all()
    return db.session.get(Organisation, org.id).profile


def _bearer(user, scope=TokenScope.READ_WRITE):
    issued = issue_token(user, "test", scope)
    db.session.commit()
    return {"Authorization": f"Bearer {issued.plaintext}"}


def test_the_admin_pauses_until_a_day_in_its_own_zone_and_resumes(client, world):
    f.login(client, world["admin"])
    with clock.frozen(NOW):
        page = client.get("/portal/availability").get_data(as_text=True)
        assert "You receive new offers." in page and 'data-testid="pause-form"' in page
        response = client.post("/portal/availability", data={"until": "2026-12-14", "reason": "Trade fair"})
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]
        profile = _profile(world["partner"])
        # Midnight at the start of 14 December in Berlin.
        assert profile.paused_until == datetime(2026, 12, 13, 23, tzinfo=UTC)
        assert profile.pause_reason == "Trade fair"
        page = client.get("/portal/availability").get_data(as_text=True)
        assert "Paused until" in page and "Trade fair" in page and 'data-testid="resume"' in page
        assert 'value="2026-12-14"' in page  # the form to change it starts from the day set
        pull_list = client.get("/portal/").get_data(as_text=True)
        assert 'data-testid="paused-banner"' in pull_list and "you receive no new offers" in pull_list
        assert client.post("/portal/availability/resume").status_code == 302
        assert not availability.is_paused(_profile(world["partner"]))
        assert 'data-testid="paused-banner"' not in client.get("/portal/").get_data(as_text=True)


def test_the_page_refuses_a_past_day_and_a_missing_reason_on_their_fields(client, world):
    f.login(client, world["admin"])
    with clock.frozen(NOW):
        response = client.post("/portal/availability", data={"until": "2026-12-01", "reason": "Away"})
        assert response.status_code == 422
        assert "choose a date in the future" in response.get_data(as_text=True)
        response = client.post("/portal/availability", data={"until": "", "reason": "  "})
        assert response.status_code == 422
        assert "say why you pause" in response.get_data(as_text=True)
        response = client.post("/portal/availability", data={"until": "not a day", "reason": "Away"})
        assert response.status_code == 422
    assert not availability.is_paused(_profile(world["partner"]))


def test_reps_see_the_status_but_cannot_change_it(client, world):
    availability.pause(world["admin"], world["partner"], until=None, reason="Team on holiday")
    db.session.commit()
    f.login(client, world["rep"])
    page = client.get("/portal/availability").get_data(as_text=True)
    assert "Paused until you resume" in page and "Team on holiday" in page
    assert "Only your admins can pause" in page and 'data-testid="pause-form"' not in page
    assert client.post("/portal/availability", data={"reason": "x"}).status_code == 403
    assert client.post("/portal/availability/resume").status_code == 403
    assert "Availability" in client.get("/portal/").get_data(as_text=True)  # the nav item


def test_api_reads_pauses_and_resumes(client, world):
    headers = _bearer(world["admin"])
    assert client.get("/api/v1/availability", headers=headers).get_json() == {
        "paused": False,
        "paused_at": None,
        "paused_until": None,
        "reason": None,
    }
    until = (clock.now() + timedelta(days=10)).replace(microsecond=0)
    response = client.put(
        "/api/v1/availability", json={"until": until.isoformat(), "reason": "Trade fair"}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["paused"] is True and body["reason"] == "Trade fair"
    assert datetime.fromisoformat(body["paused_until"]) == until
    # A rep reads it too.
    rep_body = client.get("/api/v1/availability", headers=_bearer(world["rep"])).get_json()
    assert rep_body["paused"] is True
    event = db.session.scalar(sa.select(Event).where(Event.type == "partner.paused"))
    assert event.actor_kind == "api" and event.data["until"] == until.isoformat()
    response = client.delete("/api/v1/availability", headers=headers)
    assert response.status_code == 200 and response.get_json()["paused"] is False


def test_api_errors_have_the_one_shape(client, world):
    headers = _bearer(world["admin"])
    response = client.put(
        "/api/v1/availability", json={"until": "2020-01-01", "reason": "Away"}, headers=headers
    )
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) >= {"code", "status", "message", "errors"} and list(body["errors"]) == ["until"]
    response = client.put("/api/v1/availability", json={"until": "soon"}, headers=headers)
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"until", "reason"}
    response = client.put("/api/v1/availability", json={"reason": "x" * 301}, headers=headers)
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    response = client.put("/api/v1/availability", json={"reason": "   "}, headers=headers)
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]
    assert not availability.is_paused(_profile(world["partner"]))


def test_api_writes_need_the_partner_admin_and_a_read_write_token(client, world):
    assert (
        client.put("/api/v1/availability", json={"reason": "Away"}, headers=_bearer(world["rep"])).status_code
        == 403
    )
    read_only = _bearer(world["admin"], TokenScope.READ)
    assert client.put("/api/v1/availability", json={"reason": "Away"}, headers=read_only).status_code == 403
    assert client.get("/api/v1/availability", headers=_bearer(world["maker_admin"])).status_code == 403


def test_each_partner_pauses_only_itself(client, world):
    headers = _bearer(world["other_admin"])
    assert client.put("/api/v1/availability", json={"reason": "Away"}, headers=headers).status_code == 200
    assert availability.is_paused(_profile(world["other"]))
    assert not availability.is_paused(_profile(world["partner"]))


# --- the coverage-gap page names partners that get no offers at all -------------------------------------


def test_coverage_gaps_name_partners_without_coverage_capacity_or_availability(client, world, app):
    from exchange.models import Enrollment, EnrollmentStatus

    maker = world["maker"]
    f.partner(maker, "Nowhere GmbH", coverage=[])
    f.partner(maker, "Full House AG", capacity=0)
    f.partner(maker, "Radius KG", coverage=[], latitude=48.1, longitude=11.6, radius_km=50)
    suspended = f.partner(maker, "Suspended OHG", coverage=[])
    db.session.scalar(
        sa.select(Enrollment).where(Enrollment.partner_id == suspended.id)
    ).status = EnrollmentStatus.SUSPENDED
    f.partner(f.manufacturer("Other Maker"), "Other Programme Ltd", coverage=[])
    until = clock.now() + timedelta(days=10)
    availability.pause(world["admin"], world["partner"], until=until, reason="Trade fair")
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()

    found = availability.partners_without_offers(maker.id)
    assert [(p.name, [str(c) for c in p.causes]) for p in found] == [
        ("Bavaria Systems", ["paused"]),
        ("Full House AG", ["no_capacity"]),
        ("Nowhere GmbH", ["no_coverage"]),
    ]
    assert found[0].paused_until == until and found[0].pause_reason == "Trade fair"

    f.login(client, manager)
    page = client.get("/manage/coverage-gaps").get_data(as_text=True)
    assert 'data-testid="partners-without-offers"' in page
    for name in ("Bavaria Systems", "Full House AG", "Nowhere GmbH"):
        assert name in page
    for name in ("Radius KG", "Suspended OHG", "Other Programme Ltd", "Elsewhere Ltd"):
        assert name not in page
    assert "Paused until" in page and "Trade fair" in page
    assert "No coverage set: 1" in page and "Capacity 0: 1" in page and "Paused: 1" in page
    if "manage.partner" in app.view_functions:
        enrollment_id = found[1].enrollment_id
        assert f'href="/manage/partners/{enrollment_id}"' in page
    else:
        assert "/manage/partners/" not in page
    # After the pause ends the partner is no longer named.
    with clock.frozen(until + timedelta(minutes=1)):
        assert [p.name for p in availability.partners_without_offers(maker.id)] == [
            "Full House AG",
            "Nowhere GmbH",
        ]
