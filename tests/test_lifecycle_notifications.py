"""The lifecycle speaks: offers, claims and breaches reach the bell, e-mail and webhooks - and
contact details reach only the partner holding the claim."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses
import sqlalchemy as sa

from exchange.models import LeadStatus, Notification, Offer, ProductLine, Role, Temperature, WebhookDelivery
from exchange.offers import claims, matchmaking
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.sla.sweep import run_sweep
from tests import factories as f

HOOK = "https://crm.partner.example/hooks/exchange"


pytestmark = pytest.mark.usefixtures("public_dns")


@pytest.fixture
def world(app):
    maker = f.manufacturer()
    line = db.session.scalar(sa.select(ProductLine).where(ProductLine.manufacturer_id == maker.id))
    a = f.partner(maker, "Alpha")
    b = f.partner(maker, "Beta")
    for partner in (a, b):
        from exchange.models import Enrollment

        enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.partner_id == partner.id))
        enrollment.product_lines = [line]
    users = {
        "a_rep": f.user(a, Role.PARTNER_REP, email="rep@alpha.test"),
        "a_admin": f.user(a, Role.PARTNER_ADMIN, email="admin@alpha.test"),
        "b_rep": f.user(b, Role.PARTNER_REP, email="rep@beta.test"),
        "manager": f.user(maker, Role.CHANNEL_MANAGER, email="cm@maker.test"),
    }
    f.webhook_endpoint(a, HOOK)
    f.webhook_endpoint(b, HOOK.replace("crm.", "crm-b."))
    lead = f.lead(
        maker,
        status=LeadStatus.PUBLISHED,
        temperature=Temperature.HOT,
        product_line_id=line.id,
        company_name="Secret Buyer GmbH",
    )
    db.session.commit()
    return {"maker": maker, "a": a, "b": b, "lead": lead, **users}


def bell(user):
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


@responses.activate
def test_offer_claim_and_breach_reach_the_right_people(world, run_jobs, smtp_server):
    responses.add(responses.POST, HOOK, status=200)
    responses.add(responses.POST, HOOK.replace("crm.", "crm-b."), status=200)
    lead = world["lead"]
    matchmaking.match_leads([lead.id])
    run_jobs()
    # offer.created: both partners' users get a bell entry and (hot lead) an e-mail, webhooks fire
    assert [n.kind for n in bell(world["a_rep"])] == ["offer.created"]
    assert [n.kind for n in bell(world["b_rep"])] == ["offer.created"]
    assert {m.recipients[0] for m in smtp_server.messages} >= {"rep@alpha.test", "rep@beta.test"}
    sent = [json.loads(call.request.body) for call in responses.calls]
    assert sorted(body["event"] for body in sent) == ["offer.created", "offer.created"]
    for body in sent:
        assert "Secret Buyer" not in json.dumps(body) and "contact_email" not in json.dumps(body["lead"])

    # Alpha claims: its webhook gets lead.claimed with the contact details; Beta's gets nothing more
    offer = db.session.scalar(
        sa.select(Offer).where(Offer.lead_id == lead.id, Offer.partner_id == world["a"].id)
    )
    claim = claims.claim_offer(world["a_rep"], offer)
    db.session.commit()
    run_jobs()
    claimed = [
        json.loads(c.request.body)
        for c in responses.calls
        if json.loads(c.request.body)["event"] == "lead.claimed"
    ]
    assert len(claimed) == 1
    assert claimed[0]["lead"]["contact_email"] == lead.contact_email
    assert "lead.claimed" in [n.kind for n in bell(world["a_admin"])]
    assert "lead.claimed" not in [
        n.kind for n in bell(world["a_rep"])
    ]  # the claimer is not told of its own act

    # first contact never logged: the breach reaches Alpha and the channel manager; the lead moves on
    with clock.frozen(claim.first_contact_deadline + timedelta(minutes=1)):
        summary = run_sweep()
        db.session.commit()
        run_jobs()
    assert summary["breached"] == 1 and summary["recycled"] == 1
    assert "sla.breached" in [n.kind for n in bell(world["manager"])]
    assert {"sla.breached", "lead.recycled"} <= {n.kind for n in bell(world["a_rep"])}
    events = [json.loads(c.request.body)["event"] for c in responses.calls]
    assert "sla.breached" in events and "lead.recycled" in events
    deliveries = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery))
    assert deliveries == len(responses.calls)


def test_nothing_is_announced_for_a_rolled_back_change(world, run_jobs):
    lead = world["lead"]
    from exchange.offers import waves

    waves.start_waves(lead, [waves.Candidate(world["a"].id, 0.8)])
    db.session.rollback()
    run_jobs()
    assert bell(world["a_rep"]) == []
