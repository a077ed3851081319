"""The reveal audit shows every disclosure of a lead's contact details, whatever the channel (lead
page, the API's claim answer, API reads, webhook deliveries, the CSV export); and once a partner's
claim ends (returned, revoked) it sees the teaser everywhere: pages, lists, the webhook log and any
redelivery."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import responses
import sqlalchemy as sa

from exchange.accounts.tokens import issue_token
from exchange.models import Claim, Event, LeadStatus, Notification, Role, TokenScope, WebhookDelivery
from exchange.notify import webhooks
from exchange.notify.delivery_jobs import render_email
from exchange.notify.notifications import publish_event
from exchange.offers import claims as claim_service
from exchange.platform.extensions import db
from exchange.platform.labels import event_label
from tests import factories as f

URL = "https://crm.bavaria.example/hooks/exchange"
SECRETS = ("Secret Buyer GmbH", "erika@buyer.example", "+49 89 1234567", "Secret Street", "Only insiders")


pytestmark = pytest.mark.usefixtures("public_dns")


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    lead = f.lead(
        maker,
        company_name="Secret Buyer GmbH",
        contact_email="erika@buyer.example",
        description="Only insiders know",
        industry="Food",
        status=LeadStatus.OFFERED,
        current_wave=1,
    )
    rep = f.user(partner, Role.PARTNER_REP)
    w = SimpleNamespace(
        maker=maker,
        partner=partner,
        lead=lead,
        offer=f.offer(lead, partner),
        rep=rep,
        admin=f.user(maker, Role.MANUFACTURER_ADMIN),
        token=issue_token(rep, "crm", TokenScope.READ_WRITE).plaintext,
        endpoint=f.webhook_endpoint(partner, URL, events=["lead.claimed"]),
    )
    db.session.commit()
    return w


def claim_and_announce(world) -> Claim:
    """The partner claims the offer and the claim is announced (bell, e-mail, webhook), committed."""
    claim = f.claim(world.offer)
    publish_event("lead.claimed", offer=world.offer)
    db.session.commit()
    return claim


def claim_with_webhook(world, run_jobs) -> tuple[Claim, WebhookDelivery]:
    """:func:`claim_and_announce`, and the webhook delivered to a receiver that answers 200."""
    responses.post(URL, status=200)
    claim = claim_and_announce(world)
    run_jobs()
    [delivery] = db.session.scalars(sa.select(WebhookDelivery)).all()
    return claim, delivery


def reveals(lead_id: int) -> list[tuple[str, int | None]]:
    rows = db.session.execute(
        sa.select(Event.data, Event.actor_user_id)
        .where(Event.lead_id == lead_id, Event.type == "lead.contact_viewed")
        .order_by(Event.id)
    )
    return [(data.get("via"), actor) for data, actor in rows]


def test_the_api_claim_answer_and_api_reads_are_recorded(world, client):
    headers = {"Authorization": f"Bearer {world.token}"}
    response = client.post(f"/api/v1/partner/offers/{world.offer.id}/claim", headers=headers)
    assert response.status_code == 201
    assert response.get_json()["lead"]["contact_email"] == "erika@buyer.example"
    claim_id = response.get_json()["id"]
    assert reveals(world.lead.id) == [("api_claim", world.rep.id)]

    for _ in range(2):  # once per person, lead and channel
        assert client.get(f"/api/v1/partner/leads/{claim_id}", headers=headers).status_code == 200
        assert client.get("/api/v1/partner/leads", headers=headers).status_code == 200
    assert reveals(world.lead.id) == [("api_claim", world.rep.id), ("api_read", world.rep.id)]
    event = db.session.scalar(sa.select(Event).where(Event.type == "lead.contact_viewed").order_by(Event.id))
    assert event.actor_kind == "api"
    assert event_label(event) == "Contact details viewed: in the API's claim answer"


def test_api_writes_that_answer_with_the_contact_details_are_recorded(world, client):
    """A colleague who never read the lead adds a note, logs a contact, moves the status: each answer
    carries the contact details, so each is a disclosure to that colleague."""
    claim = f.claim(world.offer)
    colleague = f.user(world.partner, Role.PARTNER_REP)
    token = issue_token(colleague, "crm", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(
        f"/api/v1/partner/leads/{claim.id}/notes", json={"text": "Call Tue"}, headers=headers
    )
    assert response.status_code == 201
    assert response.get_json()["lead"]["contact_email"] == "erika@buyer.example"
    assert reveals(world.lead.id) == [("api_read", colleague.id)]
    contact = {"channel": "call"}
    response = client.post(f"/api/v1/partner/leads/{claim.id}/contacts", json=contact, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert reveals(world.lead.id) == [("api_read", colleague.id)]  # once per person, lead and channel

    # Returned: the answer is the teaser, nothing more is recorded.
    response = client.post(
        f"/api/v1/partner/leads/{claim.id}/return", json={"reason": "Not ours"}, headers=headers
    )
    assert response.status_code == 200
    assert "contact_email" not in response.get_json()["lead"]
    assert reveals(world.lead.id) == [("api_read", colleague.id)]


def test_the_lead_page_is_recorded(world, client):
    claim = f.claim(world.offer)
    db.session.commit()
    f.login(client, world.rep)
    assert "erika@buyer.example" in client.get(f"/portal/leads/{claim.id}").get_data(as_text=True)
    assert reveals(world.lead.id) == [("page", world.rep.id)]


@responses.activate
def test_a_webhook_delivery_with_contact_details_is_recorded(world, run_jobs):
    claim, delivery = claim_with_webhook(world, run_jobs)
    event = db.session.scalar(sa.select(Event).where(Event.type == "lead.contact_viewed"))
    assert event.data == {"via": "webhook", "delivery_id": delivery.id, "endpoint_id": world.endpoint.id}
    assert (event.partner_id, event.claim_id, event.actor_user_id) == (world.partner.id, claim.id, None)


def test_the_csv_export_is_recorded_per_lead(world, client):
    second = f.lead(world.maker)
    db.session.commit()
    f.login(client, world.admin)
    response = client.get("/manage/leads/export.csv")
    body = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200 and "erika@buyer.example" in body
    for lead_id in (world.lead.id, second.id):
        assert reveals(lead_id) == [("csv", world.admin.id)]
    event = db.session.scalar(sa.select(Event).where(Event.lead_id == second.id))
    assert (event.manufacturer_id, event.actor_kind) == (world.maker.id, "user")


# --- after the claim ended ---------------------------------------------------------------------------


def test_after_a_return_the_pages_show_the_teaser(world, client):
    claim = f.claim(world.offer)
    db.session.commit()
    f.login(client, world.rep)
    assert "Secret Buyer GmbH" in client.get("/portal/leads?show=all").get_data(as_text=True)
    claim_service.return_lead(world.rep, claim, "Not for us")
    db.session.commit()

    for path in (f"/portal/leads/{claim.id}", "/portal/leads?show=all"):
        html = client.get(path).get_data(as_text=True)
        assert f"Lead {world.lead.id}" in html
        assert not any(secret in html for secret in SECRETS), path


def test_after_a_return_the_stored_notifications_stop_naming_the_company(world, client):
    claim = claim_and_announce(world)
    [notification] = db.session.scalars(sa.select(Notification).where(Notification.user_id == world.rep.id))
    assert "Secret Buyer GmbH" in notification.title  # while the claim is theirs
    f.login(client, world.rep)
    claim_service.return_lead(world.rep, claim, "Not for us")
    db.session.commit()

    db.session.refresh(notification)
    assert "Secret Buyer GmbH" not in notification.title and "Food" in notification.title
    html = client.get("/notifications/").get_data(as_text=True)
    assert "Food" in html and not any(secret in html for secret in SECRETS)
    # The e-mail still waiting for its digest is written from the row: the teaser too.
    _subject, text = render_email(world.rep, [notification])
    assert not any(secret in text for secret in SECRETS)


def test_after_an_sla_revoke_the_page_shows_the_teaser(world, client):
    from exchange.models import ClaimStatus

    claim = f.claim(world.offer, status=ClaimStatus.REVOKED)
    db.session.commit()
    f.login(client, world.rep)
    html = client.get(f"/portal/leads/{claim.id}").get_data(as_text=True)
    assert not any(secret in html for secret in SECRETS)
    assert reveals(world.lead.id) == []


@responses.activate
def test_after_a_return_the_webhook_log_is_redacted_and_redeliveries_send_the_teaser(world, run_jobs, client):
    claim, delivery = claim_with_webhook(world, run_jobs)
    assert delivery.payload["lead"]["contact_details_included"] is True

    claim_service.return_lead(world.rep, claim, "Not for us")
    db.session.commit()
    db.session.expire_all()
    assert delivery.payload["lead"]["contact_details_included"] is False
    assert not any(secret in json.dumps(delivery.payload) for secret in SECRETS)
    f.login(client, f.user(world.partner, Role.PARTNER_ADMIN))
    db.session.commit()
    page = client.get(f"/portal/webhooks/{world.endpoint.id}/deliveries/{delivery.id}")
    assert page.status_code == 200
    assert not any(secret in page.get_data(as_text=True) for secret in SECRETS)

    webhooks.redeliver(world.rep, delivery)
    db.session.commit()
    run_jobs()
    resent = responses.calls[-1].request.body.decode()
    assert json.loads(resent)["lead"]["contact_details_included"] is False
    assert not any(secret in resent for secret in SECRETS)
    # Only the first delivery disclosed the contact details.
    assert [via for via, _ in reveals(world.lead.id)] == ["webhook"]


@responses.activate
def test_a_pending_retry_after_the_claim_ended_sends_the_teaser(world, run_jobs):
    from exchange.models import ClaimStatus

    responses.post(URL, status=200)
    claim = f.claim(world.offer)
    publish_event("lead.claimed", offer=world.offer)
    claim.status = ClaimStatus.REVOKED  # revoked before the first attempt ran
    db.session.commit()
    run_jobs()
    sent = responses.calls[-1].request.body.decode()
    assert json.loads(sent)["lead"]["contact_details_included"] is False
    assert reveals(world.lead.id) == []
