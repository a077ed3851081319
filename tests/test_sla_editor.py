"""The SLA policy editor (/manage/sla) and its API (/api/v1/sla-policies)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from exchange.accounts.tokens import issue_token
from exchange.models import Event, Role, TokenScope
from exchange.platform.extensions import db
from exchange.sla.policies import policy_for
from tests import factories as f
from tests.browser import sign_in


@pytest.fixture
def people(app):
    maker = f.manufacturer("Acme Pumps")
    other_maker = f.manufacturer("Rival Valves")
    partner = f.partner(maker, "Bavaria Systems")
    users = {
        "admin": f.user(maker, Role.MANUFACTURER_ADMIN, email="boss@acme.test"),
        "manager": f.user(maker, Role.CHANNEL_MANAGER),
        "partner": f.user(partner, Role.PARTNER_ADMIN),
        "rival": f.user(other_maker, Role.MANUFACTURER_ADMIN),
    }
    db.session.commit()
    return {"maker": maker, "other_maker": other_maker, **users}


def _form(**overrides: str) -> dict[str, str]:
    """The editor's fields as the page fills them for the defaults, with ``overrides``."""
    data: dict[str, str] = {}
    defaults = {
        "hot": ("1", "hours", "1", "hours", "3", "days"),
        "warm": ("4", "hours", "1", "business_days", "7", "days"),
        "cold": ("2", "business_days", "3", "business_days", "14", "days"),
    }
    for temperature, (claim, claim_unit, contact, contact_unit, cadence, cadence_unit) in defaults.items():
        data |= {
            f"{temperature}-claim_window": claim,
            f"{temperature}-claim_window_unit": claim_unit,
            f"{temperature}-first_contact": contact,
            f"{temperature}-first_contact_unit": contact_unit,
            f"{temperature}-update_cadence": cadence,
            f"{temperature}-update_cadence_unit": cadence_unit,
            f"{temperature}-waves": "3",
            f"{temperature}-business_time": "business",
            f"{temperature}-reminder_percent": "75",
            f"{temperature}-breach_action": "recycle",
            f"{temperature}-notify_channel_manager": "y",
        }
    data |= overrides
    return {key: value for key, value in data.items() if value is not None}


def _policy_events(maker):
    return db.session.scalars(
        sa.select(Event)
        .where(Event.manufacturer_id == maker.id, Event.type.like("sla_policy.%"))
        .order_by(Event.id)
    ).all()


# --- the page -------------------------------------------------------------------------------------


def test_the_admin_sees_three_temperatures_side_by_side_with_defaults_and_sources(client, people):
    f.login(client, people["admin"])
    page = client.get("/manage/sla").get_data(as_text=True)
    assert 'href="/manage/sla"' in page  # navigation entry
    for temperature in ("hot", "warm", "cold"):
        assert f'id="{temperature}-claim_window"' in page
        assert f'id="{temperature}-notify_channel_manager"' in page
    # The defaults are shown in friendly units: 60 minutes as 1 hour, 960 as 2 business days.
    assert re.search(r'id="hot-claim_window"[^>]*value="1"', page)
    assert re.search(r'<option selected value="business_days">', page)
    assert "Default: 1 business hour" in page and "Default: 2 business days" in page
    assert "The Short Life of Online Sales Leads" in page and "Lead Response Management" in page
    assert "Save policies" in page and "Reset to defaults" in page
    assert "disabled" not in page


def test_a_channel_manager_reads_but_cannot_change(client, people):
    f.login(client, people["manager"])
    page = client.get("/manage/sla").get_data(as_text=True)
    assert 'href="/manage/sla"' in page
    assert re.search(r'id="hot-claim_window"[^>]*disabled', page) or re.search(
        r'disabled[^>]*id="hot-claim_window"', page
    )
    assert "Save policies" not in page and "Reset to defaults" not in page
    assert client.post("/manage/sla", data=_form(**{"hot-claim_window": "30"})).status_code == 403
    assert client.post("/manage/sla/reset").status_code == 403
    assert policy_for(people["maker"], "hot").claim_window_minutes == 60


@pytest.mark.parametrize(("who", "status"), [("partner", 403), (None, 302)])
def test_partners_and_strangers_are_kept_out(client, people, who, status):
    if who:
        f.login(client, people[who])
    assert client.get("/manage/sla").status_code == status
    assert client.post("/manage/sla", data=_form()).status_code == status
    assert client.post("/manage/sla/reset").status_code == status


def test_saving_converts_friendly_units_to_minutes_and_records_the_change(client, people):
    f.login(client, people["admin"])
    response = client.post(
        "/manage/sla",
        data=_form(
            **{
                "hot-claim_window": "30",
                "hot-claim_window_unit": "minutes",
                "warm-first_contact": "1.5",
                "warm-first_contact_unit": "business_days",
                "cold-update_cadence": "36",
                "cold-update_cadence_unit": "hours",
                "cold-business_time": "clock",
                "cold-breach_action": "remind",
                "cold-notify_channel_manager": None,  # unticked
                "hot-waves": "2",
                "hot-reminder_percent": "80",
            }
        ),
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "SLA policies saved" in page
    assert 'data-testid="last-change"' in page
    maker = people["maker"]
    hot, warm, cold = policy_for(maker, "hot"), policy_for(maker, "warm"), policy_for(maker, "cold")
    assert (hot.claim_window_minutes, hot.waves, hot.reminder_percent) == (30, 2, 80)
    assert warm.first_contact_minutes == 720
    assert cold.update_cadence_minutes == 36 * 60
    assert (cold.business_time, cold.breach_action.value, cold.notify_channel_manager) == (
        False,
        "remind",
        False,
    )
    (event,) = _policy_events(maker)
    assert event.type == "sla_policy.updated"
    assert event.actor_user_id == people["admin"].id
    assert event.data["changes"]["hot"]["claim_window_minutes"] == [60, 30]
    # The page shows the stored values again in their friendliest unit.
    assert re.search(r'id="warm-first_contact"[^>]*value="12"', page)  # 1.5 business days = 12 hours
    assert re.search(r'id="cold-update_cadence"[^>]*value="36"', page)


def test_saving_unchanged_values_records_nothing(client, people):
    f.login(client, people["admin"])
    response = client.post("/manage/sla", data=_form(), follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    assert _policy_events(people["maker"]) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"hot-claim_window": "0"},
            "Hot leads: Claim window per wave must be between 5 minutes and 20 business days.",
        ),
        ({"warm-first_contact": "-2"}, "Warm leads: First contact after claim must be between 5 minutes and"),
        (
            {"cold-claim_window": "21", "cold-claim_window_unit": "business_days"},
            "Cold leads: Claim window per wave must be between 5 minutes and 20 business days.",
        ),
        (
            {"hot-claim_window": "30", "hot-claim_window_unit": "minutes", "hot-business_time": "clock"},
            None,  # valid: a control case
        ),
        (
            {"hot-claim_window": "0.01", "hot-claim_window_unit": "hours"},
            "Hot leads: Claim window per wave must come to a whole number of minutes.",
        ),
        (
            {"warm-update_cadence": "91"},
            "Warm leads: Status update every must be between 1 hour and 90 days.",
        ),
        ({"cold-waves": "11"}, "Cold leads: Number of waves must be between 1 and 10."),
        ({"hot-reminder_percent": "100"}, "Hot leads: Reminder at % of a window must be between 1 and 99."),
        ({"hot-claim_window": ""}, "Hot leads: Claim window per wave: This field is required."),
        ({"warm-waves": "three"}, "Warm leads: Number of waves: Not a valid integer value."),
        ({"cold-first_contact": "soon"}, "Cold leads: First contact after claim: Not a valid decimal value."),
        ({"hot-breach_action": "explode"}, "Hot leads: On breach: Not a valid choice."),
        ({"hot-claim_window_unit": "fortnights"}, "Hot leads: Unit of the claim window: Not a valid choice."),
        ({"cold-update_cadence": "Infinity"}, "Cold leads: Status update every must come to a whole number"),
    ],
)
def test_bad_values_are_refused_with_the_temperature_and_field_named(client, people, overrides, message):
    f.login(client, people["admin"])
    response = client.post("/manage/sla", data=_form(**overrides))
    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'data-testid="policy-errors"' in page and "is-invalid" in page
    assert "Please correct the marked fields" in page
    maker = people["maker"]
    assert [policy_for(maker, t).terms()["claim_window_minutes"] for t in ("hot", "warm", "cold")] == [
        60,
        240,
        960,
    ]
    assert _policy_events(maker) == []


def test_reset_to_defaults(client, people):
    f.login(client, people["admin"])
    client.post("/manage/sla", data=_form(**{"hot-claim_window": "2", "warm-waves": "5"}))
    response = client.post("/manage/sla/reset", follow_redirects=True)
    assert "SLA policies reset to the defaults" in response.get_data(as_text=True)
    maker = people["maker"]
    assert policy_for(maker, "hot").claim_window_minutes == 60 and policy_for(maker, "warm").waves == 3
    assert [e.type for e in _policy_events(maker)] == ["sla_policy.updated", "sla_policy.reset"]
    again = client.post("/manage/sla/reset", follow_redirects=True)
    assert "already are the defaults" in again.get_data(as_text=True)


def test_each_manufacturer_edits_only_its_own_policies(client, people):
    f.login(client, people["rival"])
    client.post("/manage/sla", data=_form(**{"hot-claim_window": "15", "hot-claim_window_unit": "minutes"}))
    assert policy_for(people["other_maker"], "hot").claim_window_minutes == 15
    assert policy_for(people["maker"], "hot").claim_window_minutes == 60
    f.login(client, people["admin"])
    assert re.search(r'id="hot-claim_window"[^>]*value="1"', client.get("/manage/sla").get_data(as_text=True))


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_forms_need_the_csrf_token(client, people):
    f.login(client, people["admin"])
    assert client.post("/manage/sla", data=_form(**{"hot-waves": "1"})).status_code == 400
    assert client.post("/manage/sla/reset").status_code == 400
    page = client.get("/manage/sla").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    reset_token = re.search(r'name="reset-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    ok = client.post("/manage/sla", data=_form(csrf_token=token, **{"hot-waves": "1"}))
    assert ok.status_code == 302
    assert client.post("/manage/sla/reset", data={"reset-csrf_token": reset_token}).status_code == 302
    assert policy_for(people["maker"], "hot").waves == 3


# --- the API --------------------------------------------------------------------------------------


def _token(user, scope=TokenScope.READ_WRITE) -> dict[str, str]:
    issued = issue_token(user, "test", scope)
    db.session.commit()
    return {"Authorization": f"Bearer {issued.plaintext}"}


def _items(**changes_by_temperature):
    defaults = {
        "hot": (60, 60, 4320),
        "warm": (240, 480, 10080),
        "cold": (960, 1440, 20160),
    }
    items = []
    for temperature, (claim, contact, cadence) in defaults.items():
        item = {
            "temperature": temperature,
            "claim_window_minutes": claim,
            "first_contact_minutes": contact,
            "update_cadence_minutes": cadence,
            "waves": 3,
            "business_time": True,
            "reminder_percent": 75,
            "breach_action": "recycle",
            "notify_channel_manager": True,
        }
        item.update(changes_by_temperature.get(temperature, {}))
        items.append(item)
    return {"items": items}


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("manager", 200), ("partner", 403), (None, 401)])
def test_api_read_permissions(client, people, who, status):
    if who:
        f.login(client, people[who])
    response = client.get("/api/v1/sla-policies")
    assert response.status_code == status
    if status == 200:
        body = response.get_json()
        assert [item["temperature"] for item in body["items"]] == ["hot", "warm", "cold"]
        assert body["items"][0]["claim_window_minutes"] == 60
        assert body["items"][2]["first_contact_minutes"] == 1440
        assert body["items"][0]["updated_at"]
        assert body["defaults"] == [
            {k: v for k, v in item.items()} | {"updated_at": None} for item in _items()["items"]
        ]


def test_api_put_replaces_the_policies(client, people):
    headers = _token(people["admin"])
    response = client.put(
        "/api/v1/sla-policies",
        json=_items(
            hot={"claim_window_minutes": 20, "breach_action": "remind"}, cold={"business_time": False}
        ),
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["items"][0]["claim_window_minutes"] == 20 and body["items"][0]["breach_action"] == "remind"
    assert body["items"][2]["business_time"] is False
    assert policy_for(people["maker"], "hot").claim_window_minutes == 20
    (event,) = _policy_events(people["maker"])
    assert event.actor_kind == "api"
    # What GET returns can be sent back as it is.
    again = client.put(
        "/api/v1/sla-policies",
        json=client.get("/api/v1/sla-policies", headers=headers).get_json(),
        headers=headers,
    )
    assert again.status_code == 200
    assert len(_policy_events(people["maker"])) == 1


def test_api_put_refuses_bad_values_naming_temperature_and_field(client, people):
    headers = _token(people["admin"])
    response = client.put(
        "/api/v1/sla-policies",
        json=_items(hot={"claim_window_minutes": 0}, cold={"reminder_percent": 120}),
        headers=headers,
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"]["hot.claim_window_minutes"][0].startswith("Hot leads: Claim window per wave")
    assert body["errors"]["cold.reminder_percent"][0].startswith("Cold leads: Reminder at")
    assert "Hot leads" in body["message"]
    assert policy_for(people["maker"], "cold").reminder_percent == 75

    missing = _items()
    missing["items"].pop()
    response = client.put("/api/v1/sla-policies", json=missing, headers=headers)
    assert response.status_code == 422
    assert "hot, warm and cold" in str(response.get_json()["errors"])

    wrong_types = _items(warm={"waves": 2.5, "breach_action": "explode", "business_time": "perhaps"})
    errors = client.put("/api/v1/sla-policies", json=wrong_types, headers=headers).get_json()["errors"]
    assert set(errors) == {"items.1.waves", "items.1.breach_action", "items.1.business_time"}

    incomplete = _items()
    del incomplete["items"][0]["waves"]
    errors = client.put("/api/v1/sla-policies", json=incomplete, headers=headers).get_json()["errors"]
    assert errors == {"items.0.waves": ["Missing data for required field."]}
    assert _policy_events(people["maker"]) == []


def test_api_writes_need_an_admin_and_a_write_token(client, people):
    body = _items(hot={"waves": 1})
    assert client.put("/api/v1/sla-policies", json=body, headers=_token(people["manager"])).status_code == 403
    assert client.post("/api/v1/sla-policies/reset", headers=_token(people["manager"])).status_code == 403
    read_only = _token(people["admin"], TokenScope.READ)
    assert client.get("/api/v1/sla-policies", headers=read_only).status_code == 200
    assert client.put("/api/v1/sla-policies", json=body, headers=read_only).status_code == 403
    assert client.put("/api/v1/sla-policies", json=body, headers=_token(people["partner"])).status_code == 403
    assert client.put("/api/v1/sla-policies", json=body).status_code == 401
    assert policy_for(people["maker"], "hot").waves == 3


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_api_session_writes_need_the_csrf_header(client, people):
    f.login(client, people["admin"])
    body = _items(hot={"waves": 1})
    assert client.put("/api/v1/sla-policies", json=body).status_code == 400
    page = client.get("/manage/sla").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.put("/api/v1/sla-policies", json=body, headers={"X-CSRFToken": token}).status_code == 200
    assert policy_for(people["maker"], "hot").waves == 1


def test_api_reset_and_tenancy(client, people):
    admin, rival = _token(people["admin"]), _token(people["rival"])
    client.put("/api/v1/sla-policies", json=_items(warm={"waves": 6}), headers=rival)
    assert client.get("/api/v1/sla-policies", headers=admin).get_json()["items"][1]["waves"] == 3
    assert client.get("/api/v1/sla-policies", headers=rival).get_json()["items"][1]["waves"] == 6
    response = client.post("/api/v1/sla-policies/reset", headers=rival)
    assert response.status_code == 200 and response.get_json()["items"][1]["waves"] == 3
    assert [e.type for e in _policy_events(people["other_maker"])] == [
        "sla_policy.updated",
        "sla_policy.reset",
    ]
    assert _policy_events(people["maker"]) == []


def test_the_openapi_document_describes_the_endpoints(client):
    spec = client.get("/api/openapi.json").get_json()
    assert {"get", "put"} <= set(spec["paths"]["/api/v1/sla-policies"])
    assert "post" in spec["paths"]["/api/v1/sla-policies/reset"]


# --- in a real browser ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_an_admin_edits_the_policies_in_the_browser(page, live_server, people):
    sign_in(page, live_server, "boss@acme.test", lands_on="/manage/")
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("link", name="SLA policies").click()
    page.wait_for_url(f"{live_server}/manage/sla")

    page.get_by_label("Hot: Claim window per wave", exact=True).fill("45")
    page.get_by_label("Hot: Unit of the claim window").select_option("minutes")
    page.get_by_label("Cold: Number of waves").fill("0")
    page.get_by_role("button", name="Save policies").click()
    errors = page.get_by_test_id("policy-errors")
    assert "Cold leads: Number of waves must be between 1 and 10." in errors.inner_text()
    assert page.get_by_label("Hot: Claim window per wave", exact=True).input_value() == "45"  # kept

    page.get_by_label("Cold: Number of waves").fill("4")
    page.get_by_label("Warm: Notify the channel manager on breach").uncheck()
    page.get_by_role("button", name="Save policies").click()
    assert page.get_by_text("SLA policies saved").is_visible()
    assert page.get_by_label("Hot: Claim window per wave", exact=True).input_value() == "45"
    maker = people["maker"]
    db.session.expire_all()
    assert policy_for(maker, "hot").claim_window_minutes == 45
    assert policy_for(maker, "cold").waves == 4
    assert policy_for(maker, "warm").notify_channel_manager is False

    page.get_by_role("button", name="Reset to defaults").click()
    assert page.get_by_text("SLA policies reset to the defaults").is_visible()
    assert page.get_by_label("Hot: Claim window per wave", exact=True).input_value() == "1"
    assert page.get_by_test_id("last-change").is_visible()
