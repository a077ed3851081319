"""The lead CSV carries what managers need about what became of each lead: who claimed it and when,
its first contact, when its status last changed, how it closed - and escapes formulas in every column."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from exchange.models import ContactChannel, LeadStatus, OfferState, Role
from exchange.offers import claims
from exchange.platform import clock
from exchange.platform.extensions import db
from tests import factories as f

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def worked(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, '=HYPERLINK("http://evil")')  # a partner name can be formula-like
    rep = f.user(partner, Role.PARTNER_REP)
    won = f.lead(maker, company_name="Won GmbH", status=LeadStatus.OFFERED, currency="USD")
    lost = f.lead(maker, company_name="Lost GmbH", status=LeadStatus.OFFERED)
    f.lead(maker, company_name="Draft GmbH")
    with clock.frozen(T0) as frozen:
        for lead in (won, lost):
            offer = f.offer(lead, partner, state=OfferState.OPEN, visible_from=T0)
            frozen.set(T0 + timedelta(minutes=10))
            claim = claims.claim_offer(rep, offer)
            frozen.set(T0 + timedelta(hours=1))
            claims.log_contact(rep, claim, ContactChannel.CALL)
            frozen.set(T0 + timedelta(days=3))
            if lead is won:
                claims.update_status(rep, claim, LeadStatus.WON, amount=Decimal("23500"), currency="USD")
            else:
                claims.update_status(rep, claim, LeadStatus.LOST, reason="-went with a rival")
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    return manager


def _export(client) -> dict[str, dict[str, str]]:
    response = client.get("/manage/leads/export.csv")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    response.close()
    return {row["company_name"]: row for row in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))}


def test_the_export_says_who_claimed_when_and_how_it_ended(client, worked):
    rows = _export(f.login(client, worked))
    won, lost, draft = rows["Won GmbH"], rows["Lost GmbH"], rows["Draft GmbH"]
    claimed = (T0 + timedelta(minutes=10)).isoformat()
    assert (won["claimed_at"], won["first_contact_at"]) == (claimed, (T0 + timedelta(hours=1)).isoformat())
    closed = (T0 + timedelta(days=3)).isoformat()
    assert (won["status_changed_at"], won["won_at"], won["lost_at"]) == (closed, closed, "")
    assert (won["won_amount"], won["won_currency"], won["lost_reason"]) == ("23500.00", "USD", "")
    assert (lost["lost_at"], lost["won_at"], lost["won_amount"], lost["won_currency"]) == (closed, "", "", "")
    assert all(
        draft[name] == "" for name in ("claimed_by", "claimed_at", "first_contact_at", "status_changed_at")
    )


def test_every_new_column_escapes_formulas(client, worked):
    rows = _export(f.login(client, worked))
    assert rows["Won GmbH"]["claimed_by"] == '\'=HYPERLINK("http://evil")'
    assert rows["Lost GmbH"]["lost_reason"] == "'-went with a rival"
