"""The analytics benchmark's simulated history is consistent (no database: bench.analytics_block alone)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from bench.analytics_block import SLOTS, Block
from bench.analytics_data import CLAIM_COLUMNS, COUNTRIES, DAY, OFFER_COLUMNS, Programme, Sizes

NOW = int(datetime(2026, 12, 4, 12, tzinfo=UTC).timestamp())


def _programme(rng: np.random.Generator, partners: int = 60) -> Programme:
    tier = rng.choice(4, size=partners, p=(0.05, 0.15, 0.30, 0.50))
    country = np.arange(partners) % len(COUNTRIES)
    programme = Programme(
        manufacturer_id=1,
        user_id=1,
        partner_ids=np.arange(100, 100 + partners),
        tier=tier,
        quality=rng.random(partners),
        country=country,
        line_ids=[1, 2, 3, 4, 5],
        campaign_ids=list(range(1, 25)),
    )
    for c in range(len(COUNTRIES)):
        members = np.flatnonzero(country == c)
        programme.tickets[c] = rng.permutation(np.repeat(members, 4 - tier[members]))
    return programme


def _block(leads: int = 3000) -> Block:
    rng = np.random.default_rng(7)
    start = NOW - 730 * DAY
    published = np.sort(rng.integers(start, NOW - 600, size=leads))
    return Block(_programme(rng), rng, published, 1, Sizes(), NOW, start)


def test_offers_claims_and_events_agree():
    block = _block()
    offers = list(block.offer_rows())
    claims = list(block.claim_rows())
    events = list(block.event_rows())
    leads = list(block.lead_rows())
    assert len(leads) == 3000
    # Every row has a value for each column the COPY names.
    assert {len(row) for row in claims} == {len(CLAIM_COLUMNS)}
    assert {len(row) for row in offers} == {len(OFFER_COLUMNS)}
    # A claim keeps when its offer became visible (the offer's visible_from).
    visible = {row[0]: row[OFFER_COLUMNS.index("visible_from")] for row in offers}
    assert all(row[-1] == visible[row[2]] for row in claims)
    # Distinct partners per lead, ids in sequence, at most one claim per lead.
    pairs = {(row[1], row[2]) for row in offers}
    assert len(pairs) == len(offers)
    assert [row[0] for row in offers] == list(range(1, len(offers) + 1))
    assert len({row[1] for row in claims}) == len(claims)
    offer_of = {row[0]: row for row in offers}
    for claim in claims:
        offer = offer_of[claim[2]]
        assert offer[1] == claim[1] and offer[2] == claim[3]  # the claim's offer: same lead and partner
        assert offer[10] in ("claimed", "recycled", "returned")
    # Events: ids in order, never after now, every claim has its lead.claimed with its claim id.
    assert [row[0] for row in events] == list(range(1, len(events) + 1))
    stamps = [row[1] for row in events]
    assert stamps == sorted(stamps) and max(stamps) <= datetime.fromtimestamp(NOW, UTC).isoformat()[:19] + "Z"
    claimed = {row[7] for row in events if row[2] == "lead.claimed"}
    assert claimed == {row[0] for row in claims}
    for row in events:
        json.loads(row[9])
    # Roughly the shape the benchmark promises: ~3.7 offers, ~0.75 claims, ~10 events per lead.
    assert 3.3 < len(offers) / 3000 < 4.2
    assert 0.6 < len(claims) / 3000 < 0.9
    assert 8 < len(events) / 3000 < 12


def test_statuses_follow_the_claims():
    block = _block()
    status = dict(zip(block.lead_id.tolist(), block.status().tolist(), strict=True))
    claims = {row[1]: row for row in block.claim_rows()}
    for lead_id, value in status.items():
        claim = claims.get(lead_id)
        if value in ("won", "lost", "returned", "contacted", "meeting", "qualified", "proposal"):
            assert claim is not None and claim[8] is not None  # contacted
        if value in ("won", "lost", "returned"):
            assert claim[5] == value
        if value == "claimed":
            assert claim is not None and claim[5] == "active" and claim[8] is None
    assert set(status.values()) >= {"won", "lost", "unclaimed", "claimed", "contacted", "offered"}
    assert block.exists.shape == (3000, SLOTS)
