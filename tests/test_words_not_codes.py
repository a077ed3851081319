"""Where people read, they read words: the history and the lead pages show labels for codes, every
amount with its currency, and a closed lead's outcome on the lead itself."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from exchange.models import Claim, ClaimStatus, ContactChannel, Event, LeadStatus, Organisation, Role
from exchange.offers import claims
from exchange.platform import clock, events
from exchange.platform.extensions import db
from exchange.platform.labels import event_label
from tests import factories as f

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("type_", "data", "expected"),
    [
        ("offer.declined", {"reason": "no_capacity", "wave": 1}, "Declined: No capacity right now"),
        ("lead.won", {"amount": "23500", "currency": "EUR", "to": "won"}, "Won: €23,500"),
        ("lead.won", {"amount": "23500", "currency": "USD", "to": "won"}, "Won: $23,500"),
        ("sla.breached", {"clock": "first_contact", "action": "recycle"}, "SLA breached: first contact"),
        (
            "lead.recycled",
            {"clock": "next_update", "from": "contacted"},
            "Recycled to another partner: status update",
        ),
        ("lead.contacted", {"channel": "call", "to": "contacted"}, "First contact logged: Call"),
        ("lead.cooled", {"from": "hot", "to": "warm", "days": 7}, "Cooled down: hot → warm"),
        ("lead.status_confirmed", {"status": "qualified"}, "Status confirmed: qualified"),
    ],
)
def test_history_lines_read_as_words(app, type_, data, expected):
    with app.test_request_context():
        assert event_label(Event(type=type_, data=data)) == expected


@pytest.fixture
def closed(app):
    """A lead recycled away from one partner (first contact missed), then won by another."""
    maker = f.manufacturer("Acme Pumps")
    slow, winner = f.partner(maker, "Slow Reseller"), f.partner(maker, "Winner Reseller")
    rep = f.user(winner, Role.PARTNER_REP)
    lead = f.lead(maker, status=LeadStatus.OFFERED, currency="EUR", estimated_value=Decimal("20000"))
    f.claim(
        f.offer(lead, slow),
        status=ClaimStatus.REVOKED,
        claimed_at=NOW - timedelta(days=3),
        ended_at=NOW - timedelta(days=2),
        end_reason="SLA breach: first_contact",
    )
    events.record(
        "lead.updated", manufacturer_id=maker.id, lead_id=lead.id, data={"fields": ["product_line_id"]}
    )
    offer = f.offer(lead, winner, state="open", visible_from=NOW - timedelta(days=2))
    with clock.frozen(NOW - timedelta(days=1)):
        claim = claims.claim_offer(rep, offer)
        claims.log_contact(rep, claim, ContactChannel.MEETING)
        claims.update_status(rep, claim, LeadStatus.WON, amount=Decimal("23500"), currency="EUR")
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    return lead, claim, manager, rep


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_manufacturers_lead_page_has_no_raw_codes_and_shows_the_outcome(client, closed):
    lead, _claim, manager, _rep = closed
    html = f.login(client, manager).get(f"/manage/leads/{lead.id}").get_data(as_text=True)
    text = _text(html)
    assert "product_line_id" not in text and "Changed: Product line" in text
    assert "SLA breach: first_contact" not in text and "missed the first contact deadline" in text
    assert "Won: €23,500" in text and "Won: 23500" not in text
    outcome = re.search(r'data-testid="outcome">(.*?)</div>', html, re.S).group(1)
    assert "€23,500" in outcome
    assert re.search(r'data-testid="status">won<', html)


def test_the_partners_lead_page_shows_the_outcome_with_its_currency(client, closed):
    _lead, claim, _manager, rep = closed
    html = f.login(client, rep).get(f"/portal/leads/{claim.id}").get_data(as_text=True)
    outcome = re.search(r'data-testid="outcome">(.*?)</div>', html, re.S).group(1)
    assert "Won: €23,500" in outcome
    assert "Won: 23500" not in _text(html) and "First contact logged: Meeting" in _text(html)


def test_a_lost_lead_says_why_on_its_page(client, closed):
    lead, claim, _manager, rep = closed
    lead.status, lead.lost_reason, lead.won_amount = LeadStatus.LOST, "Went with a rival", None
    db.session.commit()
    html = f.login(client, rep).get(f"/portal/leads/{claim.id}").get_data(as_text=True)
    assert "Lost: Went with a rival" in re.search(r'data-testid="outcome">(.*?)</div>', html, re.S).group(1)


def test_the_manufacturer_sees_the_open_pool_named_not_as_a_wave_number(app, client):
    """Offers in the open pool (after the last wave) say so on the lead and ranked-partners pages."""
    maker = f.manufacturer("Pool Pumps")
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    reseller = f.partner(maker, "Pool Reseller")
    lead = f.lead(maker, status=LeadStatus.OFFERED)
    f.offer(lead, reseller, wave=4)  # three waves by default, then the open pool
    db.session.commit()
    f.login(client, admin)
    page = client.get(f"/manage/leads/{lead.id}").get_data(as_text=True)
    offers = page.split('data-testid="offers"')[1].split("</table>")[0]
    assert "<td>open pool</td>" in offers and "<td>4</td>" not in offers
    ranked = client.get(f"/manage/leads/{lead.id}/partners")
    assert ranked.status_code == 200


def test_a_partner_whose_claim_ended_sees_neither_the_winners_amount_nor_its_outcome(client, closed):
    lead, winning_claim, _manager, _rep = closed
    revoked = db.session.scalar(
        sa.select(Claim).where(Claim.lead_id == lead.id, Claim.id != winning_claim.id)
    )
    slow_rep = f.user(db.session.get(Organisation, revoked.partner_id), Role.PARTNER_REP)
    db.session.commit()
    html = f.login(client, slow_rep).get(f"/portal/leads/{revoked.id}").get_data(as_text=True)
    assert 'data-testid="outcome"' not in html and "23,500" not in html
    assert "This lead is closed for you" in html
    # and the winner reads its outcome once, not also as "closed for you: won"
    winner = f.login(client, _rep).get(f"/portal/leads/{winning_claim.id}").get_data(as_text=True)
    assert winner.count('data-testid="outcome"') == 1 and "closed for you" not in winner
