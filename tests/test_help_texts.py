"""The help people read says what the code does: the README on ports, public URL, API docs and the SLA
policy API; the import form on every format the importer reads; the webhooks page on checking a
signature, with a code sample that verifies real deliveries."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import responses

from exchange.leads.intake import detection
from exchange.models import Role
from exchange.notify import destinations
from exchange.notify import webhooks as service
from exchange.notify.notifications import publish_event
from exchange.platform.config import Defaults
from exchange.platform.extensions import db
from manufacturer_admin.lead_forms import (
    DELIMITER_CHOICES,
    ENCODING_CHOICES,
    NUMBER_FORMAT_CHOICES,
    UPLOAD_EXTENSIONS,
)
from tests import factories as f

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
HOOK = "https://crm.bavaria.example/hooks/exchange"


def test_the_readme_says_how_to_serve_on_another_port_and_what_links_then_need(app):
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert re.search(r"^PORT \?= 5000$", makefile, re.M) and "--port $(PORT)" in makefile
    assert "make run PORT=5055" in README
    assert hasattr(Defaults, "PUBLIC_URL")  # read from EXCHANGE_PUBLIC_URL (the EXCHANGE_ prefix)
    # while EXCHANGE_PUBLIC_URL is unset, serve points links at its own port (test_web checks it does)
    assert "point them at the address it serves on" in README and "EXCHANGE_PUBLIC_URL=https://" in README


def test_the_readme_points_to_the_api_docs_and_the_sla_policy_api(app, client):
    assert "`/api/docs`" in README and client.get("/api/docs").status_code == 200
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    for path in ("/api/v1/sla-policies", "/api/v1/sla-policies/reset"):
        assert path in routes and f"`{path}`" in README.replace("`GET ", "`").replace("`POST ", "`")
    assert "PUT /api/v1/sla-policies" in README


def test_the_import_form_lists_every_format_the_importer_reads(client):
    maker = f.manufacturer("Acme Pumps")
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    db.session.commit()
    page = f.login(client, admin).get("/manage/imports").get_data(as_text=True)
    help_text = html.unescape(re.search(r'data-testid="formats">(.*?)</p>', page, re.S).group(1))
    # The choices the form offers are the ones the reader knows ...
    assert {choice.value for choice in ENCODING_CHOICES} == set(detection.ENCODINGS)
    assert {choice.value for choice in DELIMITER_CHOICES} == set(detection.DELIMITERS)
    assert set(detection.FORMATS) <= set(UPLOAD_EXTENSIONS)
    # ... and the help names every one of them.
    for choice in (*ENCODING_CHOICES, *NUMBER_FORMAT_CHOICES):
        assert str(choice.label) in help_text, choice.label
    for choice in DELIMITER_CHOICES:
        assert str(choice.label).lower() in help_text, choice.label
    for extension in UPLOAD_EXTENSIONS:
        assert f".{extension}" in help_text
    assert "sep=;" in help_text and ".xls" in help_text


def _page_sample(page: str) -> str:
    return html.unescape(re.search(r'data-testid="verify-code"><code>(.*?)</code>', page, re.S).group(1))


def _readme_sample() -> str:
    return README.split("Verify every request", 1)[1].split("```python", 1)[1].split("```", 1)[0]


@pytest.fixture
def partner_admin(app, monkeypatch):
    monkeypatch.setattr(destinations, "resolve_host", lambda host, port: ["93.184.216.34"])
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    admin = f.user(partner, Role.PARTNER_ADMIN)
    lead = f.lead(maker)
    offer = f.offer(lead, partner)
    db.session.commit()
    return admin, offer


@responses.activate
def test_the_webhooks_page_shows_a_sample_that_verifies_real_deliveries(client, partner_admin, run_jobs):
    admin, offer = partner_admin
    page = f.login(client, admin).get("/portal/webhooks").get_data(as_text=True)
    sample = _page_sample(page)
    assert sample.strip() == _readme_sample().strip()  # one sample, on the page and in the README
    assert "X-Exchange-Signature" in page and "X-Exchange-Timestamp" in page

    responses.post(HOOK, status=204)
    created = service.create_endpoint(admin, HOOK, ["offer.created"])
    publish_event("offer.created", offer=offer, payload={"wave": 1})
    db.session.commit()
    run_jobs()  # the real delivery job signs and sends it
    [call] = responses.calls
    headers, body = call.request.headers, call.request.body

    namespace: dict = {}
    exec(sample, namespace)  # noqa: S102 - the sample we show partners
    verify = namespace["verify"]
    assert verify(created.secret, headers, body)
    assert not verify(created.secret, headers, body + b" ")  # a changed body
    assert not verify("whsec_other", headers, body)  # another secret
    stale = {**headers, "X-Exchange-Timestamp": str(int(headers["X-Exchange-Timestamp"]) - 3600)}
    assert not verify(created.secret, stale, body)  # a replay an hour later


def test_the_secret_page_shows_the_same_sample(client, partner_admin):
    admin, _offer = partner_admin
    f.login(client, admin)
    page = client.get("/portal/webhooks").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"url": HOOK, "events": ["offer.created"], **({"csrf_token": token.group(1)} if token else {})}
    response = client.post("/portal/webhooks", data=data)
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    assert _page_sample(response.get_data(as_text=True)).strip() == _readme_sample().strip()
