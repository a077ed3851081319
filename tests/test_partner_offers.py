"""The partner's pull list and offer page: clocks that explain themselves, the score's parts, which
programme, the open pool, an explicit decline reason, capacity and overdue contacts before the click."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from exchange.models import ClaimStatus, LeadStatus, OfferState, Role, Temperature
from exchange.offers import waves
from exchange.offers.explain import COMPONENT_LABELS, score_breakdown
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.sla.policies import terms_for
from tests import factories as f

# Monday 2 March 2026, 18:55 in Berlin (CET, UTC+1): after a 08:00-17:00 business day.
EVENING = datetime(2026, 3, 2, 17, 55, tzinfo=UTC)
AFTERNOON = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 16:30 in Berlin
COMPONENTS = {
    "specialty": 1.0,
    "size": 0.5,
    "geography": 0.25,
    "responsiveness": 0.75,
    "capacity": 0.9,
    "tier": 0.4,
}


@pytest.fixture
def shop(app):
    """Two programmes (Acme Pumps, Borg Valves) and one partner enrolled in both, working 08:00-17:00
    in Berlin; a second partner of Acme's that competes for the same leads."""
    acme = f.manufacturer("Acme Pumps")
    borg = f.manufacturer("Borg Valves")
    partner = f.partner(
        acme,
        "Bavaria Systems",
        timezone="Europe/Berlin",
        work_start=time(8, 0),
        work_end=time(17, 0),
        capacity=3,
    )
    from exchange.accounts import organisations

    organisations.enroll(borg, partner)
    rival = f.partner(acme, "Rival Reseller")
    rep = f.user(partner, Role.PARTNER_REP)
    admin = f.user(partner, Role.PARTNER_ADMIN)
    db.session.commit()
    return {"acme": acme, "borg": borg, "partner": partner, "rival": rival, "rep": rep, "admin": admin}


def offer_for(shop, maker=None, *, partner=None, at=None, wave=1, **lead_values):
    """A lead of ``maker`` offered through the real wave code (deadline in the partner's calendar)."""
    maker = maker or shop["acme"]
    temperature = lead_values.pop("temperature", Temperature.HOT)
    lead = f.lead(
        maker,
        status=LeadStatus.OFFERED,
        current_wave=wave,
        temperature=temperature,
        sla_terms=terms_for(maker, temperature),
        **lead_values,
    )
    candidate = waves.Candidate((partner or shop["partner"]).id, 0.62, dict(COMPONENTS), "Product line match")
    (offer,) = waves.open_offers(lead, [candidate], wave, at or clock.now())
    return offer


def page_of(client, user, path):
    f.login(client, user)
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- 6. countdowns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state", [OfferState.DECLINED, OfferState.EXPIRED, OfferState.TAKEN, OfferState.RECYCLED]
)
def test_a_closed_offer_shows_no_countdown(client, shop, state):
    offer = offer_for(shop)
    offer.state = state
    offer.closed_at = clock.now()
    db.session.commit()
    page = page_of(client, shop["rep"], f"/portal/offers/{offer.id}")
    within = re.search(r'data-testid="claim-within">(.*?)</dd>', page, re.S).group(1)
    assert "data-deadline" not in within
    assert "Closed" in within
    assert "data-deadline" not in page


def test_an_open_offer_past_its_window_shows_no_countdown(client, shop):
    offer = offer_for(shop)
    db.session.commit()
    with clock.frozen(offer.claim_deadline + timedelta(minutes=1)):
        page = page_of(client, shop["rep"], f"/portal/offers/{offer.id}")
    assert "data-deadline" not in page
    assert 'data-testid="claim"' not in page  # nothing left to claim: no button that would fail


def test_a_business_time_clock_says_when_it_runs(client, shop):
    """A hot lead (1 business hour) offered at 18:55 runs from 08:00 tomorrow, and says so."""
    with clock.frozen(EVENING):
        offer = offer_for(shop)
        db.session.commit()
        assert offer.claim_deadline == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
        detail = page_of(client, shop["rep"], f"/portal/offers/{offer.id}")
        listing = client.get("/portal/").get_data(as_text=True)
    for page in (detail, listing):
        assert "1 business hour, from 08:00 tomorrow" in page
        assert f'data-deadline="{offer.claim_deadline.isoformat()}"' in page


def test_a_business_clock_running_past_closing_says_when_it_stops(client, shop):
    with clock.frozen(AFTERNOON):
        offer = offer_for(shop)
        db.session.commit()
        page = page_of(client, shop["rep"], f"/portal/offers/{offer.id}")
    assert "1 business hour left: the clock stops at 17:00 and runs on from 08:00 tomorrow" in page


def test_an_around_the_clock_window_needs_no_hint(client, shop):
    from exchange.sla.policies import update_policies

    update_policies(shop["acme"], {"hot": {"business_time": False}}, actor=None)
    with clock.frozen(EVENING):
        offer = offer_for(shop)
        db.session.commit()
        page = page_of(client, shop["rep"], f"/portal/offers/{offer.id}")
    assert offer.claim_deadline == EVENING + timedelta(hours=1)
    assert 'data-testid="clock-hint"' not in page


# --- 7. the parts of the score -------------------------------------------------------------------


def test_the_offer_page_shows_the_partners_own_score_components_and_what_it_can_change(client, shop):
    offer = offer_for(shop)
    rival_candidate = waves.Candidate(shop["rival"].id, 0.97, {name: 0.99 for name in COMPONENTS}, "")
    waves.open_offers(offer.lead, [rival_candidate], 1)
    db.session.commit()
    page = page_of(client, shop["admin"], f"/portal/offers/{offer.id}")
    section = page[page.index('data-testid="score-components"') :]
    for name, value in COMPONENTS.items():
        row = re.search(rf'data-testid="component-{name}">(.*?)</tr>', section, re.S).group(1)
        assert str(COMPONENT_LABELS[name]) in row
        assert f">{round(value * 100)}<" in row
    assert "Coverage: add the countries" in section
    assert "Capacity: close or return leads" in section
    assert "Responsiveness: claim within the window" in section
    assert "/portal/profile" in section  # an admin can act on coverage and capacity
    # Nothing of the other partner the lead was offered to.
    assert "Rival Reseller" not in page and ">99<" not in section and "97" not in section
    # A rep cannot open the profile: the page says who can, instead of a link that would be refused.
    rep_page = page_of(client, shop["rep"], f"/portal/offers/{offer.id}")
    rep_section = rep_page[rep_page.index('data-testid="score-components"') :]
    assert "/portal/profile" not in rep_section
    assert rep_section.count('data-testid="ask-admin"') == 2


def test_one_breakdown_for_partner_and_manufacturer():
    from manufacturer_admin import matching_views

    assert matching_views.COMPONENT_LABELS is COMPONENT_LABELS
    rows = score_breakdown(COMPONENTS, None)
    assert [row.name for row in rows] == list(COMPONENT_LABELS)
    # With the programme's weights the points add up to the score they were computed with.
    import matching

    assert sum(row.points for row in rows) == pytest.approx(
        matching.weighted_score(COMPONENTS, matching.DEFAULT_WEIGHTS) * 100
    )
    assert {row.name for row in rows if row.hint} == {"geography", "capacity", "responsiveness"}
    assert score_breakdown({}, {"bogus": 1})[0].value is None  # missing figures read as "–"


# --- 8. which programme --------------------------------------------------------------------------


def test_list_and_offer_page_name_the_manufacturer_and_filter_by_it(client, shop):
    acme_offer = offer_for(shop, shop["acme"], industry="Chemicals")
    borg_offer = offer_for(shop, shop["borg"], industry="Retail")
    db.session.commit()
    listing = page_of(client, shop["rep"], "/portal/")
    assert sorted(re.findall(r'data-testid="programme">([^<]*)<', listing)) == ["Acme Pumps", "Borg Valves"]
    assert 'name="manufacturer"' in listing

    only_borg = client.get(f"/portal/?manufacturer={shop['borg'].id}").get_data(as_text=True)
    assert "Retail" in only_borg and "Chemicals" not in only_borg
    assert f'value="{shop["borg"].id}" selected' in only_borg

    unknown = client.get("/portal/?manufacturer=99999").get_data(as_text=True)
    assert "Unknown manufacturer." in unknown and "Retail" in unknown and "Chemicals" in unknown
    assert "Unknown manufacturer." in client.get("/portal/?manufacturer=abc").get_data(as_text=True)

    detail = client.get(f"/portal/offers/{borg_offer.id}").get_data(as_text=True)
    assert "Programme of Borg Valves" in detail
    assert "Acme Pumps" in client.get(f"/portal/offers/{acme_offer.id}").get_data(as_text=True)


def _industries(page: str) -> list[str]:
    rows = page.split('data-testid="offer-row"')[1:]
    return [re.search(r"<td>(Ind\d)</td>", row).group(1) for row in rows]


def test_the_list_sorts_by_score_deal_size_deadline_and_temperature(client, shop):
    now = clock.now()
    specs = [  # industry, score, value, deadline in hours, temperature
        ("Ind1", 0.9, 1000, 30, Temperature.COLD),
        ("Ind2", 0.5, 90000, 20, Temperature.WARM),
        ("Ind3", 0.7, 5000, 10, Temperature.HOT),
    ]
    for industry, score, value, hours, temperature in specs:
        lead = f.lead(
            shop["acme"],
            status=LeadStatus.OFFERED,
            current_wave=1,
            industry=industry,
            estimated_value=Decimal(value),
            temperature=temperature,
        )
        f.offer(
            lead,
            shop["partner"],
            score=score,
            visible_from=now,
            claim_deadline=now + timedelta(hours=hours),
            temperature_priority={"hot": 2, "warm": 1, "cold": 0}[temperature.value],
        )
    db.session.commit()
    f.login(client, shop["rep"])

    def order(query=""):
        return _industries(client.get(f"/portal/{query}").get_data(as_text=True))

    assert order() == ["Ind1", "Ind3", "Ind2"]  # the default: best score first, as before
    assert order("?sort=score") == ["Ind1", "Ind3", "Ind2"]
    assert order("?sort=deal_size") == ["Ind2", "Ind3", "Ind1"]
    assert order("?sort=deadline") == ["Ind3", "Ind2", "Ind1"]
    assert order("?sort=temperature") == ["Ind3", "Ind2", "Ind1"]
    bogus = client.get("/portal/?sort=price;drop").get_data(as_text=True)
    assert "Unknown sort order" in bogus and _industries(bogus) == ["Ind1", "Ind3", "Ind2"]
    # Filters and the sort stay in the query string (the form keeps them selected).
    kept = client.get("/portal/?sort=deadline&temperature=hot").get_data(as_text=True)
    assert 'value="deadline" selected' in kept and 'value="hot" selected' in kept
    assert _industries(kept) == ["Ind3"]


def test_pages_keep_the_sort_and_the_filters(client, shop):
    now = clock.now()
    for n in range(26):
        lead = f.lead(shop["acme"], status=LeadStatus.OFFERED, current_wave=1)
        f.offer(lead, shop["partner"], visible_from=now, claim_deadline=now + timedelta(hours=n + 1))
    db.session.commit()
    page = page_of(client, shop["rep"], f"/portal/?sort=deadline&manufacturer={shop['acme'].id}")
    next_link = re.search(r'href="(/portal/\?[^"]*page=2[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "sort=deadline" in next_link and f"manufacturer={shop['acme'].id}" in next_link


# --- 9. the open pool ----------------------------------------------------------------------------


def test_the_open_pool_is_named_not_numbered(client, shop):
    pool = offer_for(shop, wave=4)  # three waves, then the pool
    first = offer_for(shop, wave=1)
    db.session.commit()
    page = page_of(client, shop["rep"], f"/portal/offers/{pool.id}")
    wave = re.search(r'data-testid="wave">(.*?)</dd>', page, re.S).group(1)
    assert "Open to all eligible partners - the first claim wins" in wave
    assert "4" not in wave
    assert "Open to all eligible partners" in client.get("/portal/").get_data(as_text=True)
    first_page = client.get(f"/portal/offers/{first.id}").get_data(as_text=True)
    assert "Open to all eligible partners" not in first_page and "Wave 1" in first_page


# --- 10. decline without a default reason -------------------------------------------------------


def test_the_decline_form_preselects_no_reason(client, shop):
    offer = offer_for(shop)
    db.session.commit()
    page = page_of(client, shop["rep"], f"/portal/offers/{offer.id}")
    select = re.search(r'<select[^>]*name="reason".*?</select>', page, re.S).group(0)
    options = re.findall(r"<option[^>]*>", select)
    assert 'value=""' in options[0] and "selected" in options[0]
    assert not any("selected" in option for option in options[1:])
    assert "required" in select.split(">")[0]


def test_declining_without_a_reason_is_refused_with_a_clear_error(client, shop):
    offer = offer_for(shop)
    db.session.commit()
    f.login(client, shop["rep"])
    response = client.post(f"/portal/offers/{offer.id}/decline", data={"reason": "", "text": ""})
    assert response.status_code == 422
    assert "Choose a reason to decline." in response.get_data(as_text=True)
    db.session.expire_all()
    assert offer.state == OfferState.OPEN
    # With a reason it goes through.
    response = client.post(f"/portal/offers/{offer.id}/decline", data={"reason": "too_small"})
    assert response.status_code == 302
    db.session.expire_all()
    assert offer.state == OfferState.DECLINED
    # The closed offer says why it was declined, in words, and no longer who "sees it now".
    page = client.get(f"/portal/offers/{offer.id}").get_data(as_text=True)
    state = re.search(r'data-testid="offer-state">(.*?)</dd>', page, re.S).group(1)
    assert "Too small for us" in state and "too_small" not in state
    assert "see it now" not in page


# --- 11. capacity and overdue first contacts before the click -----------------------------------


def _active_claims(shop, n, **overrides):
    claims = []
    for _ in range(n):
        offer = offer_for(shop)
        claims.append(f.claim(offer, status=ClaimStatus.ACTIVE, **overrides))
    return claims


def test_at_capacity_the_list_says_so_and_claim_buttons_say_why(client, shop):
    _active_claims(shop, 3, first_contact_at=clock.now())  # capacity 3
    offer = offer_for(shop)
    db.session.commit()
    listing = page_of(client, shop["rep"], "/portal/")
    banner = re.search(r'data-testid="claim-blockers">(.*?)</div>', listing, re.S).group(1)
    assert "You are at capacity: 3 of 3 leads in progress" in banner
    assert "/portal/leads?show=open" in banner
    button = re.search(r'<button[^>]*data-testid="row-claim"[^>]*>', listing).group(0)
    assert "disabled" in button and 'title="You are at capacity' in button
    assert "At capacity" in listing  # visible beside the button too
    detail = client.get(f"/portal/offers/{offer.id}").get_data(as_text=True)
    assert re.search(r'<button[^>]*disabled[^>]*data-testid="claim"', detail)
    assert "Claiming is paused: You are at capacity" in detail


def test_overdue_first_contacts_show_a_banner_with_a_link_to_those_leads(client, shop):
    (overdue,) = _active_claims(shop, 1, first_contact_deadline=clock.now() - timedelta(minutes=5))
    (fine,) = _active_claims(shop, 1, first_contact_deadline=clock.now() + timedelta(hours=5))
    offer_for(shop)
    db.session.commit()
    listing = page_of(client, shop["rep"], "/portal/")
    banner = re.search(r'data-testid="claim-blockers">(.*?)</div>', listing, re.S).group(1)
    assert "1 claimed lead is overdue for its first contact" in banner
    assert "/portal/leads?show=overdue" in banner
    assert "at capacity" not in banner
    button = re.search(r'<button[^>]*data-testid="row-claim"[^>]*>', listing).group(0)
    assert "disabled" in button and "overdue" in button
    assert 'data-testid="claim-blocked">1 first contact overdue</div>' in listing  # singular for one
    leads = client.get("/portal/leads?show=overdue").get_data(as_text=True)
    assert overdue.lead.company_name in leads and fine.lead.company_name not in leads


def test_no_banner_and_live_buttons_when_nothing_blocks(client, shop):
    offer = offer_for(shop)
    db.session.commit()
    listing = page_of(client, shop["rep"], "/portal/")
    assert 'data-testid="claim-blockers"' not in listing
    button = re.search(r'<button[^>]*data-testid="row-claim"[^>]*>', listing).group(0)
    assert "disabled" not in button
    # The row's button claims straight from the list.
    assert f'action="/portal/offers/{offer.id}/claim"' in listing
    response = client.post(f"/portal/offers/{offer.id}/claim")
    assert response.status_code == 302 and "/portal/leads/" in response.headers["Location"]


# --- the same through the API --------------------------------------------------------------------


def test_the_api_filters_by_manufacturer_sorts_and_explains_one_offer(client, shop):
    acme_offer = offer_for(shop, shop["acme"], estimated_value=Decimal(1000))
    borg_offer = offer_for(shop, shop["borg"], estimated_value=Decimal(90000))
    db.session.commit()
    f.login(client, shop["rep"])
    items = client.get(f"/api/v1/partner/offers?manufacturer={shop['borg'].id}").get_json()["items"]
    assert [(item["id"], item["manufacturer_id"]) for item in items] == [(borg_offer.id, shop["borg"].id)]
    by_size = client.get("/api/v1/partner/offers?sort=deal_size").get_json()["items"]
    assert [item["id"] for item in by_size] == [borg_offer.id, acme_offer.id]
    assert client.get("/api/v1/partner/offers?sort=price").status_code == 422

    one = client.get(f"/api/v1/partner/offers/{acme_offer.id}").get_json()
    assert one["manufacturer_name"] == "Acme Pumps"
    with client.application.test_request_context():
        expected = [row.name for row in score_breakdown(acme_offer.components, None)]
    assert [row["name"] for row in one["score_breakdown"]] == expected
    geography = next(row for row in one["score_breakdown"] if row["name"] == "geography")
    assert geography["value"] == 0.25 and geography["hint"].startswith("Coverage")


@pytest.mark.parametrize("value", ["-5", "1e3", "NaN", "12.345"])
def test_page_and_api_refuse_a_deal_size_that_is_not_an_amount_the_same_way(client, shop, value):
    """One schema for the pull list's filters: the page used to filter by a negative (or any decimal)
    ``min_value`` that the API refused with 422. Now the page refuses it too - the list shows without
    that filter and says why - with the API's message."""
    offer_for(shop, shop["acme"], estimated_value=Decimal(1000), industry="Ind1")
    db.session.commit()
    f.login(client, shop["rep"])
    response = client.get("/api/v1/partner/offers", query_string={"min_value": value})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    [message] = errors.get("query", errors)["min_value"]  # by location, or flat in the one error shape
    assert message == f"Deal size from: an amount from 0 in digits, e.g. 1200.50 (not {value})."

    response = client.get("/portal/", query_string={"min_value": value})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert _industries(page) == ["Ind1"]  # listed: the filter is off
    assert client.get("/portal/?min_value=1000").get_data(as_text=True).count('data-testid="offer-row"') == 1


def test_score_points_are_written_in_the_viewers_locale_and_dated_to_the_offer(client, shop):
    """A German reader sees "30,0" points (not "30.0"), and the page says the parts are those the
    offer was scored with (the list's capacity banner may say otherwise by now)."""
    offer = offer_for(shop)
    shop["admin"].locale = "de"
    db.session.commit()
    page = page_of(client, shop["admin"], f"/portal/offers/{offer.id}")
    section = page[page.index('data-testid="score-components"') :]
    specialty = re.search(r'data-testid="component-specialty">(.*?)</tr>', section, re.S).group(1)
    cells = re.findall(r'<td class="text-end">([^<]*)</td>', specialty)
    assert re.fullmatch(r"\d+,\d", cells[-1]), cells
    assert "as they were when the lead was offered to you" in section
