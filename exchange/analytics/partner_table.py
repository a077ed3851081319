"""The ranked partner table: every accepted partner of a programme with its figures for a period,
sorted by any figure and paged in SQL (one query for the page plus a COUNT), for programmes of
10,000+ partners. Figures are defined in ``exchange.analytics.partner_figures``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from exchange.analytics import figures, sql
from exchange.analytics.partner_figures import (
    CLAIMED_STATES,
    active_claims,
    claim_stats,
    coerce,
    figure_columns,
    offer_stats,
    programme_currency,
)
from exchange.analytics.period import Period, Scope
from exchange.models import Enrollment, LeadFact, Offer, OfferState, Organisation, PartnerProfile, Tier
from exchange.platform.extensions import db

PER_PAGE = 50
MAX_PER_PAGE = 500
WEEKLY_MAX_DAYS = 120  # periods up to this long are traced by week, longer ones by month

# Which way each sort key runs by default (True: highest first). Every figure of the row sorts.
DEFAULT_DESCENDING: dict[str, bool] = {
    "name": False,
    "tier": True,
    "offers": True,
    "claimed": True,
    "declined": True,
    "lapsed": True,
    "response_rate": True,
    "decline_rate": True,
    "claim_minutes_median": False,
    "claims": True,
    "sla_compliance": True,
    "breaches": True,
    "returned": True,
    "return_rate": True,
    "won": True,
    "lost": True,
    "win_rate": True,
    "won_revenue": True,
    "in_progress": True,
    "capacity": True,
    "load": True,
}
SORT_KEYS = tuple(DEFAULT_DESCENDING)


@dataclass(frozen=True)
class PartnerRow:
    partner_id: int
    name: str
    tier: Tier
    offers: int
    claimed: int
    declined: int
    lapsed: int
    response_rate: float | None
    decline_rate: float | None
    claim_minutes_median: float | None
    claims: int
    sla_compliance: float | None
    breaches: int | None
    returned: int
    return_rate: float | None
    won: int
    lost: int
    win_rate: float | None
    won_revenue: Decimal
    won_other_currency: int
    in_progress: int
    capacity: int
    load: float | None
    currency: str = "EUR"

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class PartnerPage:
    rows: list[PartnerRow]
    total: int
    page: int
    pages: int
    per_page: int
    sort: str
    descending: bool
    currency: str


def _sort(sort: str, descending: bool | None) -> tuple[str, bool]:
    sort = sort if sort in DEFAULT_DESCENDING else "name"
    return sort, DEFAULT_DESCENDING[sort] if descending is None else descending


def _table_query(manufacturer_id: int, scope: Scope, currency: str, search: str) -> tuple[sa.Select, Any]:
    """The rows of the table (unordered, unpaged) and the WHERE of its COUNT."""
    period, filters = scope.period, scope.filters
    o = offer_stats(manufacturer_id, period, filters, tier_in_subquery=False).subquery("o")
    c = claim_stats(manufacturer_id, period, filters, currency, tier_in_subquery=False).subquery("c")
    a = active_claims(manufacturer_id).subquery("a")
    columns = figure_columns(o.c, c.c, a.c.in_progress, PartnerProfile.capacity)
    where = [Enrollment.manufacturer_id == manufacturer_id, Enrollment.accepted_at.is_not(None)]
    if filters.tier is not None:
        where.append(Enrollment.tier == filters.tier)
    if filters.partner is not None:
        where.append(Enrollment.partner_id == filters.partner)
    if search:
        where.append(Organisation.name.icontains(search, autoescape=True))
    query = (
        sa.select(
            Enrollment.partner_id.label("partner_id"),
            Organisation.name.label("name"),
            Enrollment.tier.label("tier"),
            *(expr.label(key) for key, expr in columns.items()),
        )
        .join(Organisation, Organisation.id == Enrollment.partner_id)
        .outerjoin(PartnerProfile, PartnerProfile.partner_id == Enrollment.partner_id)
        .outerjoin(o, o.c.partner_id == Enrollment.partner_id)
        .outerjoin(c, c.c.partner_id == Enrollment.partner_id)
        .outerjoin(a, a.c.partner_id == Enrollment.partner_id)
        .where(*where)
    )
    return query, where


def _order(query: sa.Select, sort: str, descending: bool) -> sa.Select:
    t = query.subquery("t")
    by_name = (sa.func.lower(t.c.name), t.c.partner_id)
    if sort == "name":
        first = sa.func.lower(t.c.name)
        return sa.select(t).order_by(first.desc() if descending else first.asc(), t.c.partner_id)
    key = (
        sa.case({tier.value: tier.rank for tier in Tier}, value=t.c.tier, else_=-1)
        if sort == "tier"
        else t.c[sort]
    )
    ordered = key.desc() if descending else key.asc()
    return sa.select(t).order_by(ordered.nulls_last(), *by_name)


def _row(values: Any, currency: str) -> PartnerRow:
    data = coerce(dict(values._mapping))
    data["tier"] = Tier(data["tier"])
    return PartnerRow(**data, currency=currency)


def partner_table(
    manufacturer_id: int,
    scope: Scope,
    *,
    sort: str = "name",
    descending: bool | None = None,
    search: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> PartnerPage:
    """One page of the programme's accepted partners with their figures for ``scope``, ordered by
    ``sort`` (a key of ``DEFAULT_DESCENDING``; unknown: name) with partners without the figure last,
    then by name and id. A page past the end shows the last one."""
    sql.large_sorts()
    sort, descending = _sort(sort, descending)
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    currency = programme_currency(manufacturer_id)
    query, where = _table_query(manufacturer_id, scope, currency, search.strip()[:100])
    total = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Enrollment)
            .join(Organisation, Organisation.id == Enrollment.partner_id)
            .where(*where)
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(int(page), 1), pages)
    ordered = _order(query, sort, descending).limit(per_page).offset((page - 1) * per_page)
    rows = [_row(values, currency) for values in db.session.execute(ordered)]
    return PartnerPage(rows, total, page, pages, per_page, sort, descending, currency)


def all_rows(
    manufacturer_id: int,
    scope: Scope,
    *,
    sort: str = "name",
    descending: bool | None = None,
    search: str = "",
) -> Iterator[PartnerRow]:
    """Every row of the filter in the table's order (the CSV), read in chunks of the table's query."""
    sort, descending = _sort(sort, descending)
    currency = programme_currency(manufacturer_id)
    query, _where = _table_query(manufacturer_id, scope, currency, search.strip()[:100])
    for values in db.session.execute(_order(query, sort, descending)).yield_per(1000):
        yield _row(values, currency)


# ---- trends --------------------------------------------------------------------------------------


def buckets(period: Period) -> list[date]:
    """The first day of each week (Monday) or month the period's trend is drawn by."""
    start = period.start
    if period.days <= WEEKLY_MAX_DAYS:
        first = start - timedelta(days=start.weekday())
        return [first + timedelta(days=7 * n) for n in range((period.end - first).days // 7 + 1)]
    found, day = [], start.replace(day=1)
    while day <= period.end:
        found.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def bucket_of(day: date, starts: Sequence[date], weekly: bool) -> date:
    if weekly:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def response_trends(
    manufacturer_id: int, scope: Scope, partner_ids: Sequence[int]
) -> tuple[list[date], dict[int, list[float | None]]]:
    """Response rate per week or month (``buckets``) for these partners (a page's): one query."""
    starts = buckets(scope.period)
    if not partner_ids:
        return starts, {}
    low, high = scope.period.bounds()
    query = sa.select(Offer.partner_id, Offer.visible_from, Offer.state).where(
        Offer.manufacturer_id == manufacturer_id,
        Offer.partner_id.in_(list(partner_ids)),
        Offer.visible_from >= low,
        Offer.visible_from < high,
        Offer.state.in_((*CLAIMED_STATES, OfferState.DECLINED, OfferState.EXPIRED)),
    )
    lead = sql.lead_conditions(scope.filters)
    if lead:
        query = query.join(LeadFact, LeadFact.lead_id == Offer.lead_id).where(*lead)
    zone_, weekly = zone(scope.period.tz), scope.period.days <= WEEKLY_MAX_DAYS
    index = {start: n for n, start in enumerate(starts)}
    counts: dict[int, list[list[int]]] = {pid: [[0, 0] for _ in starts] for pid in partner_ids}
    for partner_id, visible_from, state in db.session.execute(query):
        slot = index.get(bucket_of(visible_from.astimezone(zone_).date(), starts, weekly))
        if slot is None:
            continue
        cell = counts[partner_id][slot]
        cell[0] += state in CLAIMED_STATES
        cell[1] += 1
    return starts, {
        pid: [figures.response_rate(claimed, decided) for claimed, decided in cells]
        for pid, cells in counts.items()
    }
