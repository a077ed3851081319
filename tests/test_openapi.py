"""The REST API against its own OpenAPI document (schemathesis): generated requests - valid and
invalid - never cause a server error, and what comes back matches the documented schemas."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from exchange.auth.tokens import issue_token
from exchange.extensions import db
from exchange.models import LeadStatus, Role, TokenScope
from tests import factories as f


@pytest.fixture
def api_world(app):
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
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, api_world):
    token = api_world["partner"] if case.path.startswith("/api/v1/partner") else api_world["maker"]
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    if response.status_code < 400:
        case.validate_response(response, checks=(response_schema_conformance, content_type_conformance))
