"""The leads and campaigns API: create one or a batch (per-item results and per-field errors), list
with filters, read, update, publish, withdraw; roles, tokens, tenancy."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange.accounts.tokens import issue_token
from exchange.models import Campaign, Event, Lead, LeadStatus, Offer, OfferState, OutboxJob, Role, TokenScope
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def admin_client(client, maker):
    user = f.user(maker, Role.MANUFACTURER_ADMIN)
    db.session.commit()
    token = issue_token(user, "crm sync", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_create_one_lead_normalises_and_qualifies(admin_client, maker):
    response = admin_client.post(
        "/api/v1/leads",
        json={
            "company_name": "Beta Werke",
            "contact_email": " Anna@Beta.example ",
            "country": "Deutschland",
            "region": "Bayern",
            "employees": 250,
            "annual_revenue": "1,500,000.50",
            "product_line": "pumps",
            "need": True,
            "fit": True,
            "budget": True,
            "authority": True,
            "timeframe": "yes",
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["country"] == "DE"
    assert body["region"] == "BY"
    assert body["annual_revenue"] == "1500000.50"
    assert body["temperature"] == "hot"
    assert body["status"] == "draft"
    assert body["contact_email"] == "Anna@Beta.example"
    lead = db.session.get(Lead, body["id"])
    assert lead.product_line is not None and lead.product_line.code == "pumps"
    assert lead.dedupe_key == "anna@beta.example|beta werke"
    event = db.session.scalar(sa.select(Event).where(Event.lead_id == lead.id))
    assert (event.type, event.actor_kind) == ("lead.created", "api")


def test_create_rejects_with_errors_per_field(admin_client):
    response = admin_client.post(
        "/api/v1/leads",
        json={"company_name": "", "contact_email": "nope", "employees": "many", "country": "Atlantis"},
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors["company_name"] == ["Missing: every lead needs this."]
    assert errors["contact_email"] == ["Not a valid e-mail address: nope"]
    assert errors["employees"] == ["Not a whole number: many"]
    assert errors["country"][0].startswith("Unknown country: Atlantis")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0


def test_create_duplicate_is_a_conflict(admin_client, maker):
    f.lead(maker, source_id="SF-1", contact_email="x@y.example", company_name="Y")
    db.session.commit()
    response = admin_client.post(
        "/api/v1/leads", json={"company_name": "Other", "source_id": "SF-1", "contact_phone": "1"}
    )
    assert response.status_code == 409
    assert "exists already" in response.get_json()["message"]


def test_batch_has_a_result_per_item(admin_client, maker):
    existing = f.lead(maker, contact_email="old@known.example", company_name="Known AG")
    db.session.commit()
    items = [
        {"company_name": "One GmbH", "contact_email": "a@one.example", "source_id": "B-1"},
        {"company_name": "Two GmbH", "contact_email": "broken"},
        {"company_name": "One GmbH", "contact_email": "A@ONE.example "},  # same as item 0
        {"company_name": "Known AG", "contact_email": "OLD@known.example"},  # exists, unchanged
        {"company_name": "Known AG", "contact_email": "old@known.example", "city": "Köln"},  # exists, changes
        {"company_name": "Three", "contact_phone": "+49 1", "bogus": 1},
        {"company_name": "Four", "contact_phone": "+49 2", "campaign": "Webinar"},
    ]
    response = admin_client.post("/api/v1/leads/batch", json={"items": items})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "rejected", "duplicate", "duplicate", "duplicate", "rejected", "created"]
    assert (body["created"], body["updated"], body["duplicates"], body["rejected"]) == (2, 0, 3, 2)
    assert body["results"][1]["errors"] == {"contact_email": ["Not a valid e-mail address: broken"]}
    assert body["results"][5]["errors"] == {"bogus": ["Unknown field."]}
    assert body["results"][2]["id"] == body["results"][0]["id"]
    assert body["results"][3]["id"] == existing.id
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Webinar"))
    assert db.session.get(Lead, body["results"][6]["id"]).campaign_id == campaign.id


def test_batch_updates_a_changed_draft(admin_client, maker):
    existing = f.lead(
        maker, source_id="SF-9", contact_email="k@known.example", company_name="Known AG", city=None
    )
    db.session.commit()
    response = admin_client.post(
        "/api/v1/leads/batch",
        json={
            "items": [
                {
                    "source_id": "SF-9",
                    "company_name": "Known AG",
                    "contact_email": "k@known.example",
                    "city": "Köln",
                }
            ]
        },
    )
    assert response.get_json()["results"][0] == {
        "index": 0,
        "status": "updated",
        "id": existing.id,
        "errors": {},
    }
    db.session.expire_all()
    assert db.session.get(Lead, existing.id).city == "Köln"


def test_batch_limit(admin_client):
    response = admin_client.post("/api/v1/leads/batch", json={"items": [{"company_name": "x"}] * 1001})
    assert response.status_code == 422
    assert "items" in response.get_json()["errors"]


def test_list_filters_search_and_sort(admin_client, maker):
    f.lead(maker, company_name="Alpha Hot", temperature="hot", country="DE")
    f.lead(maker, company_name="Beta Cold", temperature="cold", country="AT", city="Wien")
    f.lead(maker, company_name="Gamma Warm", temperature="warm", country="DE", status=LeadStatus.PUBLISHED)
    db.session.commit()
    names = lambda r: [i["company_name"] for i in r.get_json()["items"]]  # noqa: E731
    assert names(admin_client.get("/api/v1/leads?country=DE&sort=company_name")) == [
        "Alpha Hot",
        "Gamma Warm",
    ]
    assert names(admin_client.get("/api/v1/leads?q=wien")) == ["Beta Cold"]
    assert names(admin_client.get("/api/v1/leads?sort=temperature")) == [
        "Alpha Hot",
        "Gamma Warm",
        "Beta Cold",
    ]
    assert names(admin_client.get("/api/v1/leads?status=published")) == ["Gamma Warm"]
    page = admin_client.get("/api/v1/leads?per_page=2&page=2&sort=company_name").get_json()
    assert (page["total"], page["pages"], [i["company_name"] for i in page["items"]]) == (
        3,
        2,
        ["Gamma Warm"],
    )
    bad = admin_client.get("/api/v1/leads?sort=password")
    assert bad.status_code == 422


def test_update_publish_and_withdraw(admin_client, maker, app, run_jobs):
    partner = f.partner(maker)
    lead = f.lead(maker, need=None, fit=None, budget=None, authority=None, timeframe=None)
    db.session.commit()
    response = admin_client.patch(f"/api/v1/leads/{lead.id}", json={"need": "ja", "fit": 1, "budget": True})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["temperature"] == "warm"
    assert admin_client.patch(f"/api/v1/leads/{lead.id}", json={"employees": -3}).status_code == 422

    response = admin_client.post(f"/api/v1/leads/{lead.id}/publish")
    assert response.status_code == 200
    assert response.get_json()["status"] == "published"
    job = db.session.scalar(sa.select(OutboxJob).where(OutboxJob.task == "leads.match"))
    assert job.args == [[lead.id]]
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).sla_terms["temperature"] == "warm"
    assert admin_client.post(f"/api/v1/leads/{lead.id}/publish").status_code == 409
    assert admin_client.patch(f"/api/v1/leads/{lead.id}", json={"city": "X"}).status_code == 409

    run_jobs()  # matching offers the lead to the partner
    offer = db.session.scalar(sa.select(Offer).where(Offer.lead_id == lead.id))
    assert (offer.partner_id, offer.state) == (partner.id, OfferState.OPEN)
    response = admin_client.post(f"/api/v1/leads/{lead.id}/withdraw", json={"reason": "customer asked"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(type(offer), offer.id).state == OfferState.WITHDRAWN
    types = db.session.scalars(sa.select(Event.type).where(Event.lead_id == lead.id).order_by(Event.id)).all()
    assert types == ["lead.updated", "lead.published", "lead.offered", "offer.withdrawn", "lead.withdrawn"]


def test_bulk_publish_and_withdraw_skip_what_cannot(admin_client, maker):
    draft = f.lead(maker)
    claimed = f.lead(maker, status=LeadStatus.CLAIMED)
    db.session.commit()
    body = admin_client.post("/api/v1/leads/publish", json={"ids": [draft.id, claimed.id]}).get_json()
    assert body == {"done": [draft.id], "skipped": [claimed.id]}
    body = admin_client.post("/api/v1/leads/withdraw", json={"ids": [draft.id, claimed.id]}).get_json()
    assert body == {"done": [draft.id], "skipped": [claimed.id]}


def test_other_tenants_leads_are_404(admin_client, app):
    other = f.manufacturer("Other")
    lead = f.lead(other)
    db.session.commit()
    assert admin_client.get(f"/api/v1/leads/{lead.id}").status_code == 404
    assert admin_client.patch(f"/api/v1/leads/{lead.id}", json={"city": "X"}).status_code == 404
    assert admin_client.post(f"/api/v1/leads/{lead.id}/publish").status_code == 404
    assert admin_client.post("/api/v1/leads/publish", json={"ids": [lead.id]}).status_code == 404
    assert db.session.get(Lead, lead.id).status == LeadStatus.DRAFT


def test_channel_manager_and_read_tokens_cannot_write(make_client, maker):
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    db.session.commit()
    manager_token = issue_token(manager, "rw", TokenScope.READ_WRITE).plaintext
    read_token = issue_token(admin, "ro", TokenScope.READ).plaintext
    db.session.commit()
    as_manager, read_only = make_client(), make_client()
    as_manager.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {manager_token}"
    read_only.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {read_token}"
    assert as_manager.get("/api/v1/leads").status_code == 200
    assert as_manager.get("/api/v1/campaigns").status_code == 200
    for api_client in (as_manager, read_only):
        assert api_client.post("/api/v1/leads", json={"company_name": "x"}).status_code == 403
        assert api_client.post("/api/v1/campaigns", json={"name": "x"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0


def test_campaign_crud(admin_client, maker):
    messe = {
        "name": "Hannover Messe",
        "channel": "trade fair",
        "starts_on": "2026-04-01",
        "ends_on": "2026-04-05",
        "cost": "85000",
    }
    response = admin_client.post("/api/v1/campaigns", json=messe)
    assert response.status_code == 201, response.get_json()
    campaign = response.get_json()
    assert (campaign["cost"], campaign["currency"], campaign["lead_count"]) == ("85000.00", "EUR", 0)
    assert admin_client.post("/api/v1/campaigns", json={"name": "hannover messe"}).status_code == 409
    bad = admin_client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"ends_on": "2026-03-01"})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {"ends_on": ["The campaign cannot end before it starts."]}
    f.lead(maker, campaign_id=campaign["id"])
    db.session.commit()
    assert admin_client.delete(f"/api/v1/campaigns/{campaign['id']}").status_code == 409
    listed = admin_client.get("/api/v1/campaigns").get_json()
    assert [(c["name"], c["lead_count"]) for c in listed["items"]] == [("Hannover Messe", 1)]


def test_openapi_documents_the_lead_input(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "LeadInput" in spec["components"]["schemas"]
    assert "/api/v1/leads/batch" in spec["paths"]
    assert "/api/v1/campaigns/{campaign_id}" in spec["paths"]
