"""A partner's scorecard: its figures for a period beside the programme's (all partners together, the
same definitions: ``exchange.analytics.partner_figures``) and its own of the period before, a trend by
week or month, and what it did (``exchange.analytics.scorecard_lists``)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import sqlalchemy as sa

from exchange.analytics import figures, sql
from exchange.analytics import scorecard_lists as lists
from exchange.analytics.partner_figures import (
    CLAIMED_STATES,
    active_claims,
    claim_stats,
    coerce,
    figure_columns,
    offer_stats,
    programme_currency,
)
from exchange.analytics.partner_table import (
    WEEKLY_MAX_DAYS,
    PartnerRow,
    bucket_of,
    buckets,
    partner_table,
    zone,
)
from exchange.analytics.period import Period, Scope
from exchange.models import Claim, ClaimStatus, Enrollment, LeadFact, Offer, OfferState, PartnerProfile, Tier
from exchange.platform import clock
from exchange.platform.extensions import db

TREND_KEYS = ("offers", "response_rate", "sla_compliance", "claim_minutes_median", "won")


class PartnerNotInProgramme(LookupError):
    """The partner is not an accepted partner of this programme (pages and the API answer 404)."""


@dataclass(frozen=True)
class Trend:
    """One value per week (Monday) or month (its first day) of the period, per figure of ``TREND_KEYS``."""

    weekly: bool
    starts: list[date]
    series: dict[str, list[Any]]


@dataclass
class Scorecard:
    partner_id: int
    name: str
    tier: Tier
    currency: str
    period: Period
    previous_period: Period
    partner: dict[str, Any]  # the partner's figures (the keys of a partner table row)
    programme: dict[str, Any]  # all partners together
    previous: dict[str, Any]  # the partner's in the period before
    trend: Trend
    enrollment_id: int | None = None  # its page in the directory (manage.partner_detail)
    offers: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    declines: dict[str, int] = field(default_factory=dict)  # decline reason -> count
    decline_texts: list[dict[str, Any]] = field(default_factory=list)
    breaches: list[dict[str, Any]] = field(default_factory=list)
    breaches_by_clock: dict[str, int] = field(default_factory=dict)
    returns: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)


def _figures(row: PartnerRow) -> dict[str, Any]:
    data = row.as_dict()
    for key in ("partner_id", "name", "tier", "currency"):
        data.pop(key)
    return data


def partner_row(manufacturer_id: int, partner_id: int, scope: Scope) -> PartnerRow:
    """The partner's row of the table for ``scope`` (its own tier whatever the tier filter)."""
    own = replace(scope, filters=replace(scope.filters, partner=partner_id, tier=None))
    rows = partner_table(manufacturer_id, own, per_page=1).rows
    if not rows:
        raise PartnerNotInProgramme(partner_id)
    return rows[0]


def programme_figures(manufacturer_id: int, scope: Scope) -> dict[str, Any]:
    """The figures of all the programme's partners together (of the tier filter, if one is set)."""
    filters = replace(scope.filters, partner=None)
    currency = programme_currency(manufacturer_id)
    o = offer_stats(manufacturer_id, scope.period, filters, grouped=False).subquery("o")
    c = claim_stats(manufacturer_id, scope.period, filters, currency, grouped=False).subquery("c")
    a = active_claims(manufacturer_id).subquery("a")
    partners = (
        sa.select(
            sa.func.sum(PartnerProfile.capacity).label("capacity"),
            sa.func.sum(a.c.in_progress).label("in_progress"),
        )
        .select_from(Enrollment)
        .outerjoin(PartnerProfile, PartnerProfile.partner_id == Enrollment.partner_id)
        .outerjoin(a, a.c.partner_id == Enrollment.partner_id)
        .where(Enrollment.manufacturer_id == manufacturer_id, Enrollment.accepted_at.is_not(None))
    )
    if filters.tier is not None:
        partners = partners.where(Enrollment.tier == filters.tier)
    p = partners.subquery("p")
    columns = figure_columns(o.c, c.c, p.c.in_progress, p.c.capacity)
    values = db.session.execute(
        sa.select(*(expr.label(key) for key, expr in columns.items())).select_from(
            o.join(c, sa.true()).join(p, sa.true())
        )
    ).one()
    return coerce(dict(values._mapping))


def trend(manufacturer_id: int, partner_id: int, scope: Scope) -> Trend:
    """Offers, response rate, SLA compliance, median time to claim and won per week (periods up to
    ``WEEKLY_MAX_DAYS`` days) or month, by the programme's calendar."""
    period, filters = scope.period, scope.filters
    starts = buckets(period)
    weekly = period.days <= WEEKLY_MAX_DAYS
    index = {start: n for n, start in enumerate(starts)}
    tz = zone(period.tz)
    low, high = period.bounds()
    lead = sql.lead_conditions(filters)
    offers = sa.select(Offer.visible_from, Offer.state).where(
        Offer.manufacturer_id == manufacturer_id,
        Offer.partner_id == partner_id,
        Offer.visible_from >= low,
        Offer.visible_from < high,
    )
    claims = (
        sa.select(
            Claim.claimed_at,
            Claim.status,
            Claim.first_contact_at,
            Claim.first_contact_deadline,
            Claim.first_contact_breached_at,
            Claim.ended_at,
            Offer.visible_from,
        )
        .outerjoin(Offer, Offer.id == Claim.offer_id)
        .where(
            Claim.manufacturer_id == manufacturer_id,
            Claim.partner_id == partner_id,
            Claim.claimed_at >= low,
            Claim.claimed_at < high,
        )
    )
    if lead:
        offers = offers.join(LeadFact, LeadFact.lead_id == Offer.lead_id).where(*lead)
        claims = claims.join(LeadFact, LeadFact.lead_id == Claim.lead_id).where(*lead)
    size = len(starts)
    count, claimed, decided = [0] * size, [0] * size, [0] * size
    met, clocks, won = [0] * size, [0] * size, [0] * size
    minutes: list[list[float]] = [[] for _ in starts]
    for visible_from, state in db.session.execute(offers):
        slot = index.get(bucket_of(visible_from.astimezone(tz).date(), starts, weekly))
        if slot is None:
            continue
        count[slot] += 1
        if state in (*CLAIMED_STATES, OfferState.DECLINED, OfferState.EXPIRED):
            decided[slot] += 1
            claimed[slot] += state in CLAIMED_STATES
    now = clock.now()
    for row in db.session.execute(claims):
        slot = index.get(bucket_of(row.claimed_at.astimezone(tz).date(), starts, weekly))
        if slot is None:
            continue
        if row.visible_from is not None:
            minutes[slot].append((row.claimed_at - row.visible_from).total_seconds() / 60)
        outcome = figures.first_contact_clock(row, now)
        if outcome is not None:
            clocks[slot] += 1
            met[slot] += outcome
        won[slot] += row.status == ClaimStatus.WON
    return Trend(
        weekly,
        starts,
        {
            "offers": count,
            "response_rate": [figures.response_rate(c, d) for c, d in zip(claimed, decided, strict=True)],
            "sla_compliance": [figures.share(m, d) for m, d in zip(met, clocks, strict=True)],
            "claim_minutes_median": [statistics.median(values) if values else None for values in minutes],
            "won": won,
        },
    )


def scorecard(manufacturer_id: int, partner_id: int, scope: Scope) -> Scorecard:
    """The partner's scorecard for ``scope``; :class:`PartnerNotInProgramme` for a partner that is not
    an accepted partner of this programme."""
    sql.large_sorts()
    row = partner_row(manufacturer_id, partner_id, scope)
    previous_period = scope.period.previous()
    previous = partner_row(manufacturer_id, partner_id, replace(scope, period=previous_period))
    card = Scorecard(
        partner_id=row.partner_id,
        name=row.name,
        tier=row.tier,
        currency=row.currency,
        period=scope.period,
        previous_period=previous_period,
        partner=_figures(row),
        programme=programme_figures(manufacturer_id, scope),
        previous=_figures(previous),
        trend=trend(manufacturer_id, partner_id, scope),
        enrollment_id=db.session.scalar(
            sa.select(Enrollment.id).where(
                Enrollment.manufacturer_id == manufacturer_id, Enrollment.partner_id == partner_id
            )
        ),
    )
    lists.fill(card, manufacturer_id, partner_id, scope)
    return card
