"""A partner's figures for a period, in SQL: the building blocks of the partner table
(``exchange.analytics.partner_table``) and the scorecards (``exchange.analytics.scorecard``).

Each figure is defined once here, over the programme's own offers and claims only:

- offers: offers that became visible in the period (``Offer.visible_from``); claimed (claimed, later
  recycled or returned), declined, lapsed (``EXPIRED``: the claim window ran out). Decided = claimed +
  declined + lapsed; response rate = claimed / decided, decline rate = declined / decided
  (``exchange.analytics.figures``).
- claims: claims made in the period (``Claim.claimed_at``); median time to claim = claim time minus
  the offer's ``visible_from`` (kept on the claim as ``offer_visible_from``); first-contact clocks
  met / missed (``figures.first_contact_clock``),
  SLA compliance = met / decided clocks; breaches = missed first-contact clocks + claims whose update
  clock was breached (``None`` while no clock is decided and nothing was missed); returned (handed
  back) / claims = return rate; won, lost, win rate = won / (won + lost); won revenue = the won amounts
  in the programme's currency (won in another currency: counted in ``won_other_currency``, never added).
- in progress: active claims now (what counts against capacity, as ``figures.in_progress_counts``);
  load = in progress / capacity.

Lead filters (country, region, product line, campaign, temperature) join ``lead_facts`` on the lead;
the partner filter selects that partner, the tier filter the partners enrolled at that tier.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from exchange.analytics import sql
from exchange.analytics.period import Filters, Period
from exchange.models import (
    Claim,
    ClaimStatus,
    Enrollment,
    Lead,
    LeadFact,
    ManufacturerProgram,
    Offer,
    OfferState,
)
from exchange.platform import clock
from exchange.platform.extensions import db

CLAIMED_STATES = (OfferState.CLAIMED, OfferState.RECYCLED, OfferState.RETURNED)

# The figures of a row, in the order of the table, the CSV and the API.
FIGURE_KEYS = (
    "offers",
    "claimed",
    "declined",
    "lapsed",
    "response_rate",
    "decline_rate",
    "claim_minutes_median",
    "claims",
    "sla_compliance",
    "breaches",
    "returned",
    "return_rate",
    "won",
    "lost",
    "win_rate",
    "won_revenue",
    "won_other_currency",
    "in_progress",
    "capacity",
    "load",
)


class seconds_between(FunctionElement):  # noqa: N801 - reads as a SQL function
    """Seconds from ``start`` to ``end`` (two timestamps), on PostgreSQL and SQLite."""

    type = sa.Float()
    inherit_cache = True

    def __init__(self, end: ColumnElement[Any], start: ColumnElement[Any]) -> None:
        super().__init__(end, start)


@compiles(seconds_between)
def _seconds_generic(element: seconds_between, compiler: Any, **kw: Any) -> str:
    end, start = list(element.clauses)
    return (
        f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 86400.0)"
    )


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    end, start = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"


def ratio(part: ColumnElement[Any], whole: ColumnElement[Any]) -> ColumnElement[Any]:
    """``part / whole`` as a float; NULL while ``whole`` is 0 (nothing decided: no figure)."""
    return sa.cast(part, sa.Float) / sa.func.nullif(whole, 0)


def programme_currency(manufacturer_id: int) -> str:
    return (
        db.session.scalar(
            sa.select(ManufacturerProgram.currency).where(
                ManufacturerProgram.manufacturer_id == manufacturer_id
            )
        )
        or "EUR"
    )


def _partner_conditions(
    manufacturer_id: int, partner_column: Any, filters: Filters, partner_id: int | None
) -> list[ColumnElement[bool]]:
    found = []
    if filters.partner is not None:
        found.append(partner_column == filters.partner)
    if partner_id is not None:
        found.append(partner_column == partner_id)
    if filters.tier is not None:
        found.append(
            partner_column.in_(
                sa.select(Enrollment.partner_id).where(
                    Enrollment.manufacturer_id == manufacturer_id, Enrollment.tier == filters.tier
                )
            )
        )
    return found


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def offer_stats(
    manufacturer_id: int,
    period: Period,
    filters: Filters,
    *,
    grouped: bool = True,
    partner_id: int | None = None,
    tier_in_subquery: bool = True,
) -> sa.Select:
    """Per partner (or for all together): offers, claimed, declined, lapsed of the period."""
    low, high = period.bounds()
    columns = [
        sa.func.count().label("offers"),
        _count_if(Offer.state.in_(CLAIMED_STATES)).label("claimed"),
        _count_if(Offer.state == OfferState.DECLINED).label("declined"),
        _count_if(Offer.state == OfferState.EXPIRED).label("lapsed"),
    ]
    query = sa.select(*([Offer.partner_id] if grouped else []), *columns).where(
        Offer.manufacturer_id == manufacturer_id, Offer.visible_from >= low, Offer.visible_from < high
    )
    lead = sql.lead_conditions(filters)
    if lead:
        query = query.join(LeadFact, LeadFact.lead_id == Offer.lead_id).where(*lead)
    tier_filters = filters if tier_in_subquery else Filters(partner=filters.partner)
    query = query.where(*_partner_conditions(manufacturer_id, Offer.partner_id, tier_filters, partner_id))
    return query.group_by(Offer.partner_id) if grouped else query


def claim_stats(
    manufacturer_id: int,
    period: Period,
    filters: Filters,
    currency: str,
    *,
    grouped: bool = True,
    partner_id: int | None = None,
    tier_in_subquery: bool = True,
) -> sa.Select:
    """Per partner (or for all together): the claims of the period and what became of them."""
    low, high = period.bounds()
    now = clock.now()
    contacted, deadline = Claim.first_contact_at, Claim.first_contact_deadline
    breached, ended = Claim.first_contact_breached_at, Claim.ended_at
    met = sa.and_(
        breached.is_(None), contacted.is_not(None), sa.or_(deadline.is_(None), contacted <= deadline)
    )
    missed = sa.or_(
        breached.is_not(None),
        sa.and_(contacted.is_not(None), deadline.is_not(None), contacted > deadline),
        sa.and_(
            contacted.is_(None),
            deadline.is_not(None),
            deadline <= now,
            sa.or_(ended.is_(None), ended >= deadline),
        ),
    )
    won = Claim.status == ClaimStatus.WON
    # The won lead's amount and currency, looked up for won claims only (a tenth of them): nested CASEs,
    # so the lookups run for those rows alone instead of joining every claim of the period to its lead.
    of_lead = Lead.id == Claim.lead_id
    won_currency = (
        sa.select(sa.func.coalesce(Lead.won_currency, Lead.currency)).where(of_lead).scalar_subquery()
    )
    won_amount = sa.select(Lead.won_amount).where(of_lead).scalar_subquery()
    columns = [
        sa.func.count().label("claims"),
        (sql.median(seconds_between(Claim.claimed_at, Claim.offer_visible_from)) / 60.0).label(
            "claim_minutes_median"
        ),
        _count_if(met).label("met"),
        _count_if(missed).label("missed"),
        _count_if(Claim.update_breached_at.is_not(None)).label("update_breached"),
        _count_if(Claim.status == ClaimStatus.RETURNED).label("returned"),
        _count_if(won).label("won"),
        _count_if(Claim.status == ClaimStatus.LOST).label("lost"),
        sa.func.sum(sa.case((won, sa.case((won_currency == currency, won_amount))))).label("won_revenue"),
        sa.func.sum(sa.case((won, sa.case((won_currency != currency, 1), else_=0)), else_=0)).label(
            "won_other_currency"
        ),
    ]
    query = sa.select(*([Claim.partner_id] if grouped else []), *columns).where(
        Claim.manufacturer_id == manufacturer_id, Claim.claimed_at >= low, Claim.claimed_at < high
    )
    lead = sql.lead_conditions(filters)
    if lead:
        query = query.join(LeadFact, LeadFact.lead_id == Claim.lead_id).where(*lead)
    tier_filters = filters if tier_in_subquery else Filters(partner=filters.partner)
    query = query.where(*_partner_conditions(manufacturer_id, Claim.partner_id, tier_filters, partner_id))
    return query.group_by(Claim.partner_id) if grouped else query


def active_claims(manufacturer_id: int) -> sa.Select:
    """Active claims now of the programme's partners, per partner (of all their programmes: capacity
    is the partner's own)."""
    return (
        sa.select(Claim.partner_id, sa.func.count().label("in_progress"))
        .where(
            Claim.status == ClaimStatus.ACTIVE,
            Claim.partner_id.in_(
                sa.select(Enrollment.partner_id).where(Enrollment.manufacturer_id == manufacturer_id)
            ),
        )
        .group_by(Claim.partner_id)
    )


def figure_columns(o: Any, c: Any, in_progress: Any, capacity: Any) -> dict[str, ColumnElement[Any]]:
    """The figures of a row from the offer (``o``) and claim (``c``) aggregates: key -> expression."""

    def n(column: Any) -> ColumnElement[Any]:
        return sa.func.coalesce(column, 0)

    decided = n(o.claimed) + n(o.declined) + n(o.lapsed)
    clocks = n(c.met) + n(c.missed)
    breaches = n(c.missed) + n(c.update_breached)
    in_progress = n(in_progress)
    return {
        "offers": n(o.offers),
        "claimed": n(o.claimed),
        "declined": n(o.declined),
        "lapsed": n(o.lapsed),
        "response_rate": ratio(n(o.claimed), decided),
        "decline_rate": ratio(n(o.declined), decided),
        "claim_minutes_median": c.claim_minutes_median,
        "claims": n(c.claims),
        "sla_compliance": ratio(n(c.met), clocks),
        "breaches": sa.case((sa.and_(breaches == 0, clocks == 0), sa.null()), else_=breaches),
        "returned": n(c.returned),
        "return_rate": ratio(n(c.returned), n(c.claims)),
        "won": n(c.won),
        "lost": n(c.lost),
        "win_rate": ratio(n(c.won), n(c.won) + n(c.lost)),
        "won_revenue": n(c.won_revenue),
        "won_other_currency": n(c.won_other_currency),
        "in_progress": in_progress,
        "capacity": n(capacity),
        "load": ratio(in_progress, n(capacity)),
    }


_RATES = ("response_rate", "decline_rate", "sla_compliance", "return_rate", "win_rate", "load")


def coerce(data: dict[str, Any]) -> dict[str, Any]:
    """Plain Python values for a row of :func:`figure_columns` (the drivers return ints, floats,
    Decimals or strings depending on the database)."""
    found = dict(data)
    for key in FIGURE_KEYS:
        value = found.get(key)
        if key == "won_revenue":
            found[key] = Decimal(str(value or 0))
        elif value is None:
            continue
        elif key in _RATES or key == "claim_minutes_median":
            found[key] = float(value)
        else:
            found[key] = int(value)
    return found
