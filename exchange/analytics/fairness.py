"""How evenly a programme spreads its leads: offers and claims over the partners who were eligible.

Eligible in a period: the programme's partners whose enrollment was accepted (``accepted_at``) before the
period ended (or that were offered leads in it) and did not end (or get declined) before it started; the
tier filter keeps the partners of that tier.
Counted per partner: its offers that became visible in the period and its claims made in the period
(the lead filters - country, region, product line, campaign, temperature - through ``lead_facts``);
eligible partners with none count as 0.

- Gini coefficient of the counts over the eligible partners, zeros included:
  ``G = sum_i (2i - n - 1) x_(i) / (n * sum x)`` with ``x`` sorted ascending (0 = everyone got the same,
  ``(n - 1) / n`` = one partner got everything); ``None`` with fewer than 2 partners or nothing counted.
- Top-10 % share: the share of the total that went to the ``ceil(10 %)`` partners with the most.
- The Lorenz curve: the share of the total the smallest ``p`` of the partners got, at every decile.

Two grouped queries (offers, claims) and one for the partners, whatever the programme's size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from exchange.analytics import sql
from exchange.analytics.period import Filters, Scope
from exchange.models import (
    Campaign,
    Claim,
    Enrollment,
    EnrollmentStatus,
    LeadFact,
    Offer,
    Organisation,
    ProductLine,
    Tier,
)
from exchange.platform.extensions import db

TOP_SHARE = 0.10
LORENZ_STEPS = 10  # points at 0 %, 10 %, ..., 100 % of the partners
_ENDED = (EnrollmentStatus.ENDED, EnrollmentStatus.DECLINED)


@dataclass(frozen=True)
class Spread:
    """How evenly one set of partners shared the offers and the claims of the period."""

    eligible: int  # partners eligible in the period
    offered: int  # of them, partners with at least one offer
    claimed: int  # of them, partners with at least one claim
    offers: int
    claims: int
    offers_gini: float | None
    claims_gini: float | None
    offers_top10_share: float | None
    claims_top10_share: float | None
    top_partners: int  # how many partners "the top 10 %" are
    # (share of partners, share of offers, share of claims) from 0 to 1 in deciles
    lorenz: list[tuple[float, float | None, float | None]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "offered": self.offered,
            "claimed": self.claimed,
            "offers": self.offers,
            "claims": self.claims,
            "offers_gini": self.offers_gini,
            "claims_gini": self.claims_gini,
            "offers_top10_share": self.offers_top10_share,
            "claims_top10_share": self.claims_top10_share,
            "top_partners": self.top_partners,
            "lorenz": [{"partners": p, "offers": o, "claims": c} for p, o, c in self.lorenz],
        }


@dataclass(frozen=True)
class NeverOffered:
    """An eligible partner that got no offer in the period."""

    partner_id: int
    name: str
    tier: Tier
    enrollment_id: int
    active: bool = True  # its enrollment is active now (else ended or suspended since)


@dataclass(frozen=True)
class Fairness:
    overall: Spread
    by_tier: dict[Tier, Spread]
    never_offered: list[NeverOffered]


def gini(values: Sequence[int | float]) -> float | None:
    """Gini coefficient of ``values`` (zeros included); ``None`` for fewer than 2 or a sum of 0."""
    n = len(values)
    total = sum(values)
    if n < 2 or total <= 0:
        return None
    ordered = sorted(values)
    weighted = sum((2 * i - n - 1) * x for i, x in enumerate(ordered, start=1))
    return weighted / (n * total)


def top_share(values: Sequence[int | float], share: float = TOP_SHARE) -> float | None:
    """The part of the total going to the top ``ceil(share * n)`` values; ``None`` when the sum is 0."""
    total = sum(values)
    if not values or total <= 0:
        return None
    top = sorted(values, reverse=True)[: top_count(len(values), share)]
    return sum(top) / total


def top_count(n: int, share: float = TOP_SHARE) -> int:
    return math.ceil(round(n * share, 9)) if n else 0


def lorenz(values: Sequence[int | float], steps: int = LORENZ_STEPS) -> list[float | None]:
    """The share of the total the smallest ``k / steps`` of the values hold, for k = 0..steps."""
    total = sum(values)
    if not values or total <= 0:
        return [None] * (steps + 1)
    ordered = sorted(values)
    cumulative = [0.0]
    for x in ordered:
        cumulative.append(cumulative[-1] + x)
    return [cumulative[round(len(ordered) * k / steps)] / total for k in range(steps + 1)]


def spread(offers: Sequence[int], claims: Sequence[int]) -> Spread:
    """The figures of one set of partners from their counts (one entry per eligible partner)."""
    offer_curve, claim_curve = lorenz(offers), lorenz(claims)
    return Spread(
        eligible=len(offers),
        offered=sum(1 for x in offers if x),
        claimed=sum(1 for x in claims if x),
        offers=sum(offers),
        claims=sum(claims),
        offers_gini=gini(offers),
        claims_gini=gini(claims),
        offers_top10_share=top_share(offers),
        claims_top10_share=top_share(claims),
        top_partners=top_count(len(offers)),
        lorenz=[(k / LORENZ_STEPS, offer_curve[k], claim_curve[k]) for k in range(LORENZ_STEPS + 1)],
    )


def eligible_partners(manufacturer_id: int, scope: Scope) -> sa.Select:
    """(partner id, name, tier, enrollment id, status) of the partners eligible in the scope's period."""
    low, high = scope.period.bounds()
    query = (
        sa.select(Enrollment.partner_id, Organisation.name, Enrollment.tier, Enrollment.id, Enrollment.status)
        .join(Organisation, Organisation.id == Enrollment.partner_id)
        .where(
            Enrollment.manufacturer_id == manufacturer_id,
            Enrollment.accepted_at.is_not(None),
            # accepted after the period: not eligible in it (unless it was offered leads in it)
            sa.or_(
                Enrollment.accepted_at < high,
                Enrollment.partner_id.in_(
                    sa.select(Offer.partner_id).where(
                        Offer.manufacturer_id == manufacturer_id,
                        Offer.visible_from >= low,
                        Offer.visible_from < high,
                    )
                ),
            ),
            sa.not_(
                sa.and_(
                    Enrollment.status.in_(_ENDED),
                    sa.or_(Enrollment.status_changed_at.is_(None), Enrollment.status_changed_at < low),
                )
            ),
        )
    )
    if scope.filters.tier is not None:
        query = query.where(Enrollment.tier == scope.filters.tier)
    return query


def foreign_filter(manufacturer_id: int, filters: Filters) -> bool:
    """Whether a filter names a campaign, product line or partner not of this programme (the pages
    and the API answer 404, as for any other programme's id)."""
    checks = [
        (Campaign, filters.campaign, Campaign.manufacturer_id),
        (ProductLine, filters.product_line, ProductLine.manufacturer_id),
    ]
    for model, value, owner in checks:
        if (
            value is not None
            and db.session.scalar(sa.select(model.id).where(model.id == value, owner == manufacturer_id))
            is None
        ):
            return True
    if filters.partner is not None:
        enrolled = db.session.scalar(
            sa.select(Enrollment.id).where(
                Enrollment.manufacturer_id == manufacturer_id,
                Enrollment.partner_id == filters.partner,
                Enrollment.accepted_at.is_not(None),
            )
        )
        return enrolled is None
    return False


def _counts(manufacturer_id: int, scope: Scope, model: Any, at: Any) -> dict[int, int]:
    low, high = scope.period.bounds()
    query = (
        sa.select(model.partner_id, sa.func.count())
        .where(model.manufacturer_id == manufacturer_id, at >= low, at < high)
        .group_by(model.partner_id)
    )
    conditions = sql.lead_conditions(scope.filters)
    if conditions:
        query = query.join(LeadFact, LeadFact.lead_id == model.lead_id).where(*conditions)
    return {partner_id: count for partner_id, count in db.session.execute(query)}


def fairness(manufacturer_id: int, scope: Scope) -> Fairness:
    """Offers and claims of the scope's period over the programme's eligible partners."""
    sql.large_sorts()
    partners = db.session.execute(
        eligible_partners(manufacturer_id, scope).order_by(sa.func.lower(Organisation.name), Enrollment.id)
    ).all()
    offers = _counts(manufacturer_id, scope, Offer, Offer.visible_from)
    claims = _counts(manufacturer_id, scope, Claim, Claim.claimed_at)
    per_tier: dict[Tier, tuple[list[int], list[int]]] = {}
    all_offers, all_claims = [], []
    never = []
    for partner_id, name, tier, enrollment_id, status in partners:
        tier = Tier(tier)
        offered, claimed = offers.get(partner_id, 0), claims.get(partner_id, 0)
        all_offers.append(offered)
        all_claims.append(claimed)
        tier_offers, tier_claims = per_tier.setdefault(tier, ([], []))
        tier_offers.append(offered)
        tier_claims.append(claimed)
        if not offered:
            never.append(
                NeverOffered(partner_id, name, tier, enrollment_id, status == EnrollmentStatus.ACTIVE)
            )
    return Fairness(
        overall=spread(all_offers, all_claims),
        by_tier={tier: spread(*per_tier[tier]) for tier in Tier if tier in per_tier},
        never_offered=never,
    )
