"""Small factories for test data, built on the domain services where there is one."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from flask_login.utils import _create_identifier

from exchange.accounts import organisations
from exchange.accounts import users as accounts
from exchange.models import (
    Claim,
    ClaimStatus,
    Lead,
    LeadStatus,
    Offer,
    OfferState,
    Organisation,
    Role,
    Temperature,
    Tier,
    User,
    WebhookEndpoint,
)
from exchange.notify.kinds import WEBHOOK_EVENTS
from exchange.platform.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def manufacturer(name: str | None = None, **kwargs: Any) -> Organisation:
    n = next(_seq)
    org = organisations.create_manufacturer(name or f"Maker {n}", **kwargs)
    organisations.add_product_line(org, "pumps", "Pumps")
    return org


def partner(
    maker: Organisation | None = None,
    name: str | None = None,
    *,
    tier: Tier = Tier.SILVER,
    coverage: list[tuple[str, str | None, str | None]] | None = None,
    **kwargs: Any,
) -> Organisation:
    n = next(_seq)
    org = organisations.create_partner(
        name or f"Partner {n}", coverage=coverage if coverage is not None else [("DE", None, None)], **kwargs
    )
    if maker is not None:
        organisations.enroll(maker, org, tier=tier)
    return org


def user(
    org: Organisation,
    role: Role | None = None,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    **kwargs: Any,
) -> User:
    n = next(_seq)
    if role is None:
        role = Role.MANUFACTURER_ADMIN if org.is_manufacturer else Role.PARTNER_ADMIN
    return accounts.create_user(
        org, email=email or f"user{n}@example.test", name=f"User {n}", role=role, password=password, **kwargs
    )


def lead(maker: Organisation, **overrides: Any) -> Lead:
    n = next(_seq)
    values: dict[str, Any] = {
        "manufacturer_id": maker.id,
        "company_name": f"Buyer {n} GmbH",
        "contact_first_name": "Erika",
        "contact_last_name": f"Mustermann{n}",
        "contact_email": f"erika{n}@buyer.example",
        "contact_phone": "+49 89 1234567",
        "street": "Secret Street 1",
        "country": "DE",
        "region": "BY",
        "postal_code": "80331",
        "industry": "Manufacturing",
        "employees": 120,
        "estimated_value": Decimal("25000"),
        "temperature": Temperature.WARM,
        "status": LeadStatus.DRAFT,
    }
    values.update(overrides)
    if "dedupe_key" not in overrides:
        from exchange.leads.lookups import dedupe_key

        values["dedupe_key"] = dedupe_key(
            values.get("contact_email"), values.get("company_name"), values.get("contact_phone")
        )
    obj = Lead(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


def offer(lead_obj: Lead, partner_org: Organisation, **overrides: Any) -> Offer:
    values: dict[str, Any] = {
        "lead_id": lead_obj.id,
        "partner_id": partner_org.id,
        "manufacturer_id": lead_obj.manufacturer_id,
        "score": 0.8,
        "components": {"specialty": 1.0},
        "explanation": "Product line match",
        "rank": 1,
        "wave": 1,
        "state": OfferState.OPEN,
    }
    values.update(overrides)
    obj = Offer(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


def claim(offer_obj: Offer, *, status: ClaimStatus = ClaimStatus.ACTIVE, **overrides: Any) -> Claim:
    """A claim on the offer's lead by the offer's partner (rows only; no lifecycle rules applied)."""
    lead_obj = offer_obj.lead
    values: dict[str, Any] = {
        "lead_id": lead_obj.id,
        "offer_id": offer_obj.id,
        "partner_id": offer_obj.partner_id,
        "manufacturer_id": lead_obj.manufacturer_id,
        "status": status,
        "offer_visible_from": offer_obj.visible_from,
    }
    values.update(overrides)
    obj = Claim(**values)
    db.session.add(obj)
    if status == ClaimStatus.ACTIVE:
        offer_obj.state = OfferState.CLAIMED
        lead_obj.status = LeadStatus.CLAIMED
        lead_obj.claimed_partner_id = offer_obj.partner_id
    db.session.flush()
    return obj


def webhook_endpoint(
    partner_org: Organisation,
    url: str = "https://crm.partner.example/hooks/exchange",
    events: list[str] | None = None,
    **overrides: Any,
) -> WebhookEndpoint:
    values: dict[str, Any] = {
        "organisation_id": partner_org.id,
        "url": url,
        "secret": "whsec_test-secret",
        "events": list(events if events is not None else [event.value for event in WEBHOOK_EVENTS]),
    }
    values.update(overrides)
    obj = WebhookEndpoint(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


def login(client: FlaskClient, user_obj: User) -> FlaskClient:
    """Sign ``client`` in as ``user_obj`` without the form (one test drives the real form)."""
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = user_obj.get_id()
        session["_fresh"] = True
        session["_id"] = identifier
    return client
