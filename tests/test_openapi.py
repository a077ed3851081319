"""The REST API against its own OpenAPI document (schemathesis): generated requests - valid and
invalid - never cause a server error, and what comes back matches the documented schemas; and every
operation, run with a partner's token and with a manufacturer's, passes all of schemathesis' checks."""

from __future__ import annotations

import contextvars

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
)

from exchange.accounts.tokens import issue_token
from exchange.models import LeadStatus, Role, TokenScope
from exchange.platform.extensions import db
from exchange.platform.jobs import registry
from tests import factories as f


def send_no_mail(*args, **kwargs) -> dict:
    return {"sent": 0}


@pytest.fixture
def api_world(app, monkeypatch):
    # Invitations (POST /api/v1/team) queue an e-mail; built in the job runner's thread while
    # hypothesis draws the next case, its Message-ID (email.utils.make_msgid) would use the global
    # random module, which hypothesis reports as a flaky strategy.
    monkeypatch.setitem(registry.TASKS, "accounts.send_password_link", "tests.test_openapi:send_no_mail")
    maker = f.manufacturer()
    partner = f.partner(maker)
    lead = f.lead(maker, status=LeadStatus.OFFERED, current_wave=1)
    f.offer(lead, partner)
    f.claim(f.offer(f.lead(maker), partner))
    f.webhook_endpoint(partner)
    tokens = {
        "maker": issue_token(f.user(maker, Role.MANUFACTURER_ADMIN), "api", TokenScope.READ_WRITE).plaintext,
        "partner": issue_token(f.user(partner, Role.PARTNER_ADMIN), "api", TokenScope.READ_WRITE).plaintext,
    }
    db.session.commit()
    return tokens


@pytest.fixture
def api_schema(app, api_world):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, api_world):
    token = api_world["partner"] if case.path.startswith("/api/v1/partner") else api_world["maker"]
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    if response.status_code < 400:
        case.validate_response(response, checks=(response_schema_conformance, content_type_conformance))


# Where a schema-valid request may still be refused with 422 for a rule the document states in words:
# it depends on the lead's or the claim's state, or on several fields at once (as the descriptions say).
STATE_OR_CROSS_FIELD_RULES = {
    "POST /api/v1/leads": "an e-mail or a phone; lenient spreadsheet-style fields",
    "PATCH /api/v1/leads/{lead_id}": "the same rules as a new lead",
    "PUT /api/v1/sla-policies": "one policy for each temperature",
    "POST /api/v1/campaigns": "a campaign ends after it starts; a known currency",
    "PATCH /api/v1/campaigns/{campaign_id}": "the same rules as a new campaign",
    "POST /api/v1/partner/webhooks": "a URL deliveries may go to (public host, https)",
    "POST /api/v1/partner/offers/{offer_id}/decline": "a text when the reason is other",
    "POST /api/v1/partner/leads/{claim_id}/contacts": "not before the claim, not in the future",
    "POST /api/v1/partner/leads/{claim_id}/status": "first contact logged first; won needs an amount",
    "PUT /api/v1/partner/profile": "times, zones, languages and product lines that exist",
    "PATCH /api/v1/partner/profile": "the same rules as the full profile",
    "POST /api/v1/partners": "an e-mail address, known countries and product lines, a partner admin's e-mail",
    "PATCH /api/v1/partners/{enrollment_id}": "product lines of this programme",
    "POST /api/v1/team": "a role of the caller's kind of organisation; a name that is not only spaces",
    "PATCH /api/v1/team/{user_id}": "a role of the caller's kind of organisation",
    "PUT /api/v1/availability": "away until a time in the future; a reason that is not blank",
    "GET /api/v1/analytics/fairness": "a custom period needs from and to, the end not before the start",
    "GET /api/v1/analytics/coverage": "a custom period needs from and to, the end not before the start",
    "GET /api/v1/analytics/overview": "a custom period needs both days, the end not before the start",
    "GET /api/v1/analytics/partners": "a custom period: from and to, the end not before the start",
    "GET /api/v1/analytics/partners/{partner_id}": "the same period rules as the partner table",
}


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    derandomize=True,
)
def test_every_operation_passes_all_checks_with_either_role(case, api_world):
    """Both roles on every operation (the other role's answer is a documented 403), all checks."""
    excluded = [positive_data_acceptance] if case.operation.label in STATE_OR_CROSS_FIELD_RULES else []
    for role in ("partner", "maker"):
        # Each request in a fresh context, as in a server (the test's app context would share ``g``,
        # and with it the signed-in user, between a request and the checks' probes without a token).
        contextvars.Context().run(
            case.call_and_validate,
            headers={"Authorization": f"Bearer {api_world[role]}"},
            excluded_checks=excluded,
        )
