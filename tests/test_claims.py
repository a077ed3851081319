"""Claim (first valid claim wins), decline, work a claimed lead, return it; what partners may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from exchange.accounts.tokens import issue_token
from exchange.models import Claim, Event, Lead, Offer
from exchange.models.enums import (
    ClaimStatus,
    ContactChannel,
    DeclineReason,
    LeadStatus,
    OfferState,
    Role,
    Temperature,
    TokenScope,
)
from exchange.offers import capacity
from exchange.offers import claims as service
from exchange.offers.waves import Candidate
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError, NotAllowed
from exchange.platform.extensions import db
from tests import factories as f

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def market(app):
    """A lead offered to two partners (wave 1), a third partner waiting for wave 2."""
    maker = f.manufacturer()
    a = f.partner(maker, "Alpha", capacity=2)
    b = f.partner(maker, "Beta")
    c = f.partner(maker, "Gamma")
    users = {
        "a_admin": f.user(a, Role.PARTNER_ADMIN),
        "a_rep": f.user(a, Role.PARTNER_REP),
        "b_rep": f.user(b, Role.PARTNER_REP),
        "maker_admin": f.user(maker, Role.MANUFACTURER_ADMIN),
    }
    lead = offered_lead(maker, [a, b])
    db.session.commit()
    return {"maker": maker, "a": a, "b": b, "c": c, "lead": lead, **users}


def offered_lead(maker, partners, **overrides):
    lead = f.lead(maker, status=LeadStatus.OFFERED, current_wave=1, **overrides)
    for rank, partner in enumerate(partners, start=1):
        f.offer(
            lead,
            partner,
            rank=rank,
            visible_from=clock.now(),
            claim_deadline=clock.now() + timedelta(hours=4),
            score=0.9 - rank / 10,
        )
    return lead


def offer_of(lead, partner) -> Offer:
    return db.session.scalar(sa.select(Offer).where(Offer.lead_id == lead.id, Offer.partner_id == partner.id))


def test_claim_takes_the_lead_and_closes_the_other_offers(market):
    lead, a, b = market["lead"], market["a"], market["b"]
    claim = service.claim_offer(market["a_rep"], offer_of(lead, a))
    db.session.commit()
    db.session.expire_all()
    assert lead.status == LeadStatus.CLAIMED
    assert lead.claimed_partner_id == a.id
    assert offer_of(lead, a).state == OfferState.CLAIMED
    assert offer_of(lead, b).state == OfferState.TAKEN
    assert claim.status == ClaimStatus.ACTIVE
    assert claim.first_contact_deadline > claim.claimed_at
    assert claim.next_update_deadline > claim.claimed_at
    types = db.session.scalars(sa.select(Event.type).where(Event.lead_id == lead.id)).all()
    assert "lead.claimed" in types


def test_second_claim_conflicts(market):
    lead = market["lead"]
    service.claim_offer(market["a_rep"], offer_of(lead, market["a"]))
    db.session.commit()
    with pytest.raises(Conflict, match="already been claimed"):
        service.claim_offer(market["b_rep"], offer_of(lead, market["b"]))
    db.session.rollback()


def test_cannot_claim_another_partners_offer(market):
    with pytest.raises(NotAllowed):
        service.claim_offer(market["b_rep"], offer_of(market["lead"], market["a"]))


def test_claim_window_closed(market):
    offer = offer_of(market["lead"], market["a"])
    with clock.frozen(offer.claim_deadline + timedelta(seconds=1)), pytest.raises(Conflict, match="window"):
        service.claim_offer(market["a_rep"], offer)


def test_capacity_is_enforced(market):
    maker, a = market["maker"], market["a"]
    for _ in range(2):  # capacity 2
        other = offered_lead(maker, [a])
        service.claim_offer(market["a_rep"], offer_of(other, a)).first_contact_at = clock.now()
    db.session.commit()
    with pytest.raises(DomainError, match="capacity") as error:
        service.claim_offer(market["a_rep"], offer_of(market["lead"], a))
    assert error.value.status == 422


def test_overdue_first_contacts_block_new_claims(market):
    maker, a = market["maker"], market["a"]
    other = offered_lead(maker, [a])
    claim = service.claim_offer(market["a_rep"], offer_of(other, a))
    db.session.commit()
    with clock.frozen(claim.first_contact_deadline + timedelta(minutes=1)):
        fresh = offered_lead(maker, [a])
        with pytest.raises(DomainError, match="overdue"):
            service.claim_offer(market["a_rep"], offer_of(fresh, a))


def test_decline_excludes_and_moves_the_lead_on_when_the_wave_is_empty(market):
    lead, a, b, c = market["lead"], market["a"], market["b"], market["c"]

    def ranker(lead_, skip=(), limit=None):
        return [Candidate(c.id, 0.5, {"geography": 1.0}, "Near you")][:limit]

    service.decline_offer(market["a_rep"], offer_of(lead, a), DeclineReason.TOO_SMALL, None, rank=ranker)
    db.session.commit()
    assert offer_of(lead, a).state == OfferState.DECLINED
    assert lead.current_wave == 1  # Beta still has the lead
    service.decline_offer(
        market["b_rep"], offer_of(lead, b), DeclineReason.OTHER, "We only do service", rank=ranker
    )
    db.session.commit()
    db.session.expire_all()
    assert lead.current_wave == 2
    assert offer_of(lead, c).state == OfferState.OPEN
    declined = offer_of(lead, b)
    assert (declined.decline_reason, declined.decline_text) == (DeclineReason.OTHER, "We only do service")


def test_decline_other_needs_a_text(market):
    with pytest.raises(DomainError, match="why"):
        service.decline_offer(
            market["a_rep"], offer_of(market["lead"], market["a"]), DeclineReason.OTHER, "  "
        )


def _claimed(market) -> Claim:
    claim = service.claim_offer(market["a_rep"], offer_of(market["lead"], market["a"]))
    db.session.commit()
    return claim


def test_first_contact_stops_the_clock_and_moves_to_contacted(market):
    claim = _claimed(market)
    service.log_contact(market["a_rep"], claim, ContactChannel.CALL)
    db.session.commit()
    assert claim.first_contact_at is not None
    assert claim.first_contact_channel == ContactChannel.CALL
    assert market["lead"].status == LeadStatus.CONTACTED
    with pytest.raises(DomainError, match="future"):
        service.log_contact(market["a_rep"], claim, ContactChannel.CALL, clock.now() + timedelta(hours=1))
    with pytest.raises(DomainError, match="before the claim"):
        service.log_contact(
            market["a_rep"], claim, ContactChannel.CALL, claim.claimed_at - timedelta(hours=1)
        )


def test_pipeline_to_won(market):
    claim = _claimed(market)
    with pytest.raises(DomainError, match="first contact"):
        service.update_status(market["a_rep"], claim, LeadStatus.MEETING)
    service.log_contact(market["a_rep"], claim, ContactChannel.EMAIL)
    service.update_status(market["a_rep"], claim, LeadStatus.MEETING)
    service.update_status(market["a_rep"], claim, LeadStatus.PROPOSAL)
    with pytest.raises(DomainError, match="already past"):
        service.update_status(market["a_rep"], claim, LeadStatus.QUALIFIED)
    with pytest.raises(DomainError, match="amount"):
        service.update_status(market["a_rep"], claim, LeadStatus.WON)
    service.update_status(market["a_rep"], claim, LeadStatus.WON, amount=Decimal("48000"), currency="eur")
    db.session.commit()
    lead = market["lead"]
    assert (lead.status, lead.won_amount, lead.won_currency) == (LeadStatus.WON, Decimal("48000"), "EUR")
    assert claim.status == ClaimStatus.WON and claim.ended_at is not None
    assert claim.next_update_deadline is None
    with pytest.raises(Conflict):
        service.add_note(market["a_rep"], claim, "after the fact") or service.log_contact(
            market["a_rep"], claim, ContactChannel.CALL
        )


def test_lost_needs_a_reason(market):
    claim = _claimed(market)
    service.log_contact(market["a_rep"], claim, ContactChannel.CALL)
    with pytest.raises(DomainError, match="why"):
        service.update_status(market["a_rep"], claim, LeadStatus.LOST)
    service.update_status(market["a_rep"], claim, LeadStatus.LOST, reason="went with a competitor")
    assert market["lead"].lost_reason == "went with a competitor"


def test_status_update_restarts_the_update_clock(market):
    claim = _claimed(market)
    service.log_contact(market["a_rep"], claim, ContactChannel.CALL)
    first = claim.next_update_deadline
    with clock.frozen(clock.now() + timedelta(days=2)):
        service.update_status(market["a_rep"], claim, LeadStatus.MEETING)
    assert claim.next_update_deadline > first


def test_assign_is_for_partner_admins_and_team_members(market, app):
    claim = _claimed(market)
    with pytest.raises(NotAllowed):
        service.assign(market["a_rep"], claim, market["a_admin"])
    with pytest.raises(DomainError, match="team"):
        service.assign(market["a_admin"], claim, market["b_rep"])
    service.assign(market["a_admin"], claim, market["a_rep"])
    assert claim.assigned_to_id == market["a_rep"].id


def test_an_invited_colleague_is_neither_offered_nor_assigned_a_lead(market, client):
    claim = _claimed(market)
    invited = f.user(market["a"], Role.PARTNER_REP, email="invited@a.test", password=None)
    db.session.commit()
    with pytest.raises(DomainError, match="not accepted the invitation"):
        service.assign(market["a_admin"], claim, invited)
    f.login(client, market["a_admin"])
    page = client.get(f"/portal/leads/{claim.id}").get_data(as_text=True)
    assert market["a_rep"].name in page and f'value="{invited.id}"' not in page


def test_return_excludes_the_partner_and_hands_the_lead_back(market):
    claim = _claimed(market)
    with pytest.raises(DomainError, match="why"):
        service.return_lead(market["a_rep"], claim, "")
    service.return_lead(market["a_rep"], claim, "Customer wants a direct deal")
    db.session.commit()
    lead = market["lead"]
    assert lead.status == LeadStatus.RETURNED
    assert claim.status == ClaimStatus.RETURNED
    assert offer_of(lead, market["a"]).state == OfferState.RETURNED
    assert capacity.in_progress_count(market["a"].id) == 0


# --- over HTTP: what partners see -------------------------------------------------------------------

CONTACT_FIELDS = ("contact_email", "contact_phone", "contact_last_name", "street", "company_name")


def _secrets(lead: Lead) -> list[str]:
    return [getattr(lead, name) for name in CONTACT_FIELDS]


def test_no_response_to_a_partner_contains_contact_details_before_its_claim(client, market):
    lead, a = market["lead"], market["a"]
    secrets = _secrets(lead)
    f.login(client, market["a_rep"])
    offer_id = offer_of(lead, a).id
    responses = [
        client.get("/portal/"),
        client.get(f"/portal/offers/{offer_id}"),
        client.get("/portal/leads"),
        client.get("/api/v1/partner/offers"),
        client.get(f"/api/v1/partner/offers/{offer_id}"),
        client.get("/api/v1/partner/leads?status=all"),
    ]
    for response in responses:
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        for secret in secrets:
            assert secret not in body, (response.request.path, secret)
    # after the claim, the claiming partner sees them
    claimed = client.post(f"/api/v1/partner/offers/{offer_id}/claim")
    assert claimed.status_code == 201, claimed.get_json()
    body = claimed.get_json()
    assert body["lead"]["contact_email"] == lead.contact_email
    page = client.get(f"/portal/leads/{body['id']}").get_data(as_text=True)
    assert lead.contact_email in page and lead.contact_phone in page
    viewed = db.session.scalars(
        sa.select(Event.data)
        .where(Event.lead_id == lead.id, Event.type == "lead.contact_viewed")
        .order_by(Event.id)
    ).all()
    assert [data["via"] for data in viewed] == ["api_claim", "page"]  # the claim's answer, then the page


def test_the_losing_partner_never_sees_the_contact_details(client, market):
    lead = market["lead"]
    service.claim_offer(market["a_rep"], offer_of(lead, market["a"]))
    db.session.commit()
    f.login(client, market["b_rep"])
    offer_id = offer_of(lead, market["b"]).id
    conflict = client.post(f"/api/v1/partner/offers/{offer_id}/claim")
    assert conflict.status_code == 409
    assert conflict.get_json()["message"] == "This lead has already been claimed."
    for path in (
        f"/portal/offers/{offer_id}",
        f"/api/v1/partner/offers/{offer_id}",
        "/api/v1/partner/leads?status=all",
    ):
        body = client.get(path).get_data(as_text=True)
        for secret in _secrets(lead):
            assert secret not in body


def test_one_partner_cannot_read_anothers_claimed_lead(client, market):
    claim = _claimed(market)
    f.login(client, market["b_rep"])
    assert client.get(f"/portal/leads/{claim.id}").status_code == 404
    assert client.get(f"/api/v1/partner/leads/{claim.id}").status_code == 404
    assert (
        client.post(f"/api/v1/partner/leads/{claim.id}/contacts", json={"channel": "call"}).status_code == 404
    )


def test_api_errors_name_the_field(client, market):
    claim = _claimed(market)
    f.login(client, market["a_rep"])
    response = client.post(f"/api/v1/partner/leads/{claim.id}/status", json={"status": "won"})
    assert response.status_code == 422
    assert "first contact" in response.get_json()["message"]
    bad = client.post(
        f"/api/v1/partner/offers/{offer_of(market['lead'], market['b']).id}/decline",
        json={"reason": "too_small"},
    )
    assert bad.status_code == 404  # not Alpha's offer
    bad = client.post(
        f"/api/v1/partner/offers/{offer_of(market['lead'], market['a']).id}/decline", json={"reason": "nope"}
    )
    assert bad.status_code == 422
    assert "reason" in bad.get_json()["errors"]
    bad = client.post(f"/api/v1/partner/leads/{claim.id}/contacts", json={"channel": "pigeon"})
    assert bad.status_code == 422
    assert "channel" in bad.get_json()["errors"]


def test_read_only_token_cannot_claim(client, market):
    issued = issue_token(market["a_rep"], "crm", TokenScope.READ)
    db.session.commit()
    headers = {"Authorization": f"Bearer {issued.plaintext}"}
    offer_id = offer_of(market["lead"], market["a"]).id
    assert client.get("/api/v1/partner/offers", headers=headers).status_code == 200
    response = client.post(f"/api/v1/partner/offers/{offer_id}/claim", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["message"] == "This token is read-only."


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_session_api_writes_need_the_csrf_header(client, market):
    f.login(client, market["a_rep"])
    offer_id = offer_of(market["lead"], market["a"]).id
    assert client.post(f"/api/v1/partner/offers/{offer_id}/claim").status_code == 400
    assert offer_of(market["lead"], market["a"]).state == OfferState.OPEN


def test_full_flow_in_the_browser_forms(client, market):
    lead, a = market["lead"], market["a"]
    f.login(client, market["a_rep"])
    offer_id = offer_of(lead, a).id
    response = client.post(f"/portal/offers/{offer_id}/claim")
    assert response.status_code == 302
    claim_url = response.headers["Location"]
    claim_id = int(claim_url.rstrip("/").rsplit("/", 1)[1])
    assert (
        client.post(
            f"/portal/leads/{claim_id}/contact", data={"channel": "call", "note": "spoke to buyer"}
        ).status_code
        == 302
    )
    client.post(
        f"/portal/leads/{claim_id}/status", data={"status": "won", "amount": "1200.50", "currency": "EUR"}
    )
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).status == LeadStatus.WON
    history = client.get(claim_url).get_data(as_text=True)
    assert "First contact logged" in history and "Won" in history


def test_manufacturer_sees_decline_reasons_and_the_claim_clocks(client, market):
    lead = market["lead"]
    service.decline_offer(
        market["b_rep"],
        offer_of(lead, market["b"]),
        DeclineReason.OUTSIDE_TERRITORY,
        None,
        rank=lambda lead_, skip=(), limit=None: [],
    )
    claim = service.claim_offer(market["a_rep"], offer_of(lead, market["a"]))
    db.session.commit()
    f.login(client, market["maker_admin"])
    page = client.get(f"/manage/leads/{lead.id}").get_data(as_text=True)
    assert "Outside our territory" in page
    assert 'data-testid="claim-clocks"' in page and "Claimed by <a href" in page and ">Alpha" in page
    assert f'href="/manage/analytics/partners/{market["a"].id}"' in page  # the name links to its scorecard
    assert f'data-deadline="{claim.first_contact_deadline.isoformat()}"' in page


def test_pull_list_order_score_then_temperature_then_freshness(client, market, app):
    from exchange.offers import waves

    maker, a = market["maker"], market["a"]
    now = clock.now()
    leads = {}
    for temperature in (Temperature.COLD, Temperature.HOT, Temperature.WARM):
        lead = f.lead(
            maker, status=LeadStatus.PUBLISHED, temperature=temperature, company_name=temperature.value
        )
        waves.open_offers(lead, [waves.Candidate(a.id, 0.5)], 1, now)
        leads[temperature] = lead
    db.session.commit()
    f.login(client, market["a_rep"])
    items = client.get("/api/v1/partner/offers").get_json()["items"]
    temperatures = [item["lead"]["temperature"] for item in items if item["score"] == 0.5]
    assert temperatures == ["hot", "warm", "cold"]
    assert items[0]["score"] == max(item["score"] for item in items)


def test_cooling_moves_an_offered_lead_down_the_list(app, market):
    from exchange.leads.qualification import cool_unworked_leads
    from exchange.models import Offer as OfferModel
    from exchange.offers import waves

    market["maker"].program.cooling_days_per_step = 7
    lead = f.lead(
        market["maker"],
        status=LeadStatus.PUBLISHED,
        temperature=Temperature.HOT,
        temperature_changed_at=clock.now() - timedelta(days=8),
    )
    waves.open_offers(lead, [waves.Candidate(market["a"].id, 0.5)], 1)
    db.session.commit()
    offer = db.session.scalar(sa.select(OfferModel).where(OfferModel.lead_id == lead.id))
    assert offer.temperature_priority == 2
    assert cool_unworked_leads()["cooled"] >= 1
    db.session.expire_all()
    assert offer.temperature_priority == 1


def test_pull_list_json_is_what_the_documented_schema_produces(client, market, app):
    """The list endpoint writes its rows directly; they must equal OfferPageSchema's output."""
    from exchange.offers.pull_list import pull_page
    from portal.schemas import OfferPageSchema

    f.login(client, market["a_rep"])
    served = client.get("/api/v1/partner/offers?per_page=5").get_json()
    with app.test_request_context():
        documented = OfferPageSchema().dump(pull_page(market["a"].id, None, 1, 5))
    assert served == documented
    assert served["items"] and set(served["items"][0]["lead"]) >= {"industry", "size_band", "temperature"}


def test_my_leads_loads_a_page_in_a_fixed_number_of_queries(market, client):
    """Each row's lead and assignee come with the page, not one query per row."""
    f.login(client, market["a_admin"])

    def selects_for(n: int) -> int:
        for _ in range(n):
            f.claim(f.offer(f.lead(market["maker"]), market["a"]), assigned_to_id=market["a_rep"].id)
        db.session.commit()
        counter = {"selects": 0}

        def count(conn, cursor, statement, *args):
            counter["selects"] += statement.lstrip().upper().startswith("SELECT")

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/portal/leads?show=all").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return counter["selects"]

    assert selects_for(2) == selects_for(8)
