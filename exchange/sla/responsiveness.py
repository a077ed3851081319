"""A partner's responsiveness in one manufacturer's programme, from its own history.

Recomputed after each transition that matters (claim, decline, first contact, return, close) and
nightly for everyone, over a trailing window; stored on the enrollment and fed into matching, which
smooths it toward the programme average while the history is thin.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from exchange.analytics import figures
from exchange.models import Claim, ClaimStatus, Enrollment, Offer, OfferState
from exchange.platform import clock, unit_of_work
from exchange.platform.extensions import db

WINDOW_DAYS = 90
RESOLVED_STATES = (
    OfferState.CLAIMED,
    OfferState.DECLINED,
    OfferState.EXPIRED,
    OfferState.RECYCLED,
    OfferState.RETURNED,
)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _minutes(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    array = np.asarray(values, dtype=float) / 60.0
    return round(float(np.median(array)), 1), round(float(np.percentile(array, 90)), 1)


def compute(partner_id: int, manufacturer_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The figures for one partner in one programme over the last ``WINDOW_DAYS`` days."""
    now = now or clock.now()
    since = now - timedelta(days=WINDOW_DAYS)
    offers = db.session.execute(
        sa.select(Offer.state, Offer.visible_from, Offer.closed_at).where(
            Offer.partner_id == partner_id,
            Offer.manufacturer_id == manufacturer_id,
            Offer.visible_from >= since,
            Offer.state.in_(RESOLVED_STATES),
        )
    ).all()
    resolved = len(offers)
    claimed = [o for o in offers if o.state in (OfferState.CLAIMED, OfferState.RECYCLED, OfferState.RETURNED)]
    declined = sum(1 for o in offers if o.state == OfferState.DECLINED)
    claim_seconds = [
        (o.closed_at - o.visible_from).total_seconds() for o in claimed if o.closed_at and o.visible_from
    ]
    claims = db.session.execute(
        sa.select(Claim.status, Claim.claimed_at, Claim.first_contact_at).where(
            Claim.partner_id == partner_id,
            Claim.manufacturer_id == manufacturer_id,
            Claim.claimed_at >= since,
        )
    ).all()
    contact_seconds = [
        (c.first_contact_at - c.claimed_at).total_seconds() for c in claims if c.first_contact_at is not None
    ]
    sla = figures.sla_figures(manufacturer_id, since, now, partner_id=partner_id)
    returned = sum(1 for c in claims if c.status == ClaimStatus.RETURNED)
    claim_median, claim_p90 = _minutes(claim_seconds)
    contact_median, contact_p90 = _minutes(contact_seconds)
    return {
        "window_days": WINDOW_DAYS,
        "offers": resolved,
        "claims": len(claims),
        "response_rate": _rounded(figures.response_rate(len(claimed), resolved)),
        "decline_rate": _rounded(figures.share(declined, resolved)),
        "claim_minutes_median": claim_median,
        "claim_minutes_p90": claim_p90,
        "contact_minutes_median": contact_median,
        "contact_minutes_p90": contact_p90,
        "clocks_decided": sla.decided,
        "sla_compliance": _rounded(sla.compliance),
        "breaches": sla.breaches,
        "return_rate": _rounded(figures.share(returned, len(claims))),
    }


def recompute(partner_id: int, manufacturer_id: int) -> dict[str, Any]:
    """Job: refresh one enrollment's figures."""
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.partner_id == partner_id, Enrollment.manufacturer_id == manufacturer_id
        )
    )
    if enrollment is None:
        return {"skipped": "no enrollment"}
    enrollment.responsiveness = compute(partner_id, manufacturer_id)
    enrollment.responsiveness_updated_at = clock.now()
    return enrollment.responsiveness


def recompute_all() -> dict[str, int]:
    """Nightly job: every enrollment, then a re-rank of offers nobody has seen yet."""
    pairs = db.session.execute(sa.select(Enrollment.partner_id, Enrollment.manufacturer_id)).all()
    for count, (partner_id, manufacturer_id) in enumerate(pairs, start=1):
        recompute(partner_id, manufacturer_id)
        if count % 200 == 0:
            unit_of_work.checkpoint()  # a long nightly run stores its progress in steps
    from exchange.platform import jobs

    jobs.enqueue("offers.rerank_unshown")
    return {"enrollments": len(pairs)}
