"""SQL the figures need beyond the portable core: percentiles, computed in the database.

``percentile(expr, 0.5)`` is PostgreSQL's ``percentile_cont(0.5) WITHIN GROUP (ORDER BY expr)``; on
SQLite it calls the ``percentile_cont(expr, q)`` aggregate ``exchange.platform.database`` registers on
every connection (the same linear interpolation), so a median sorts and pages in SQL on both.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from exchange.analytics.facts import TIER_BITS
from exchange.analytics.period import Filters, Period
from exchange.models import LeadFact, Offer
from exchange.platform.extensions import db

# Sort and hash memory for the analytics statements on PostgreSQL (the default 4 MB spills a year's
# percentiles and per-partner aggregates to disk; 64 MB made the overview's main query a quarter faster
# in bench.analytics). Per transaction only: the setting ends with the request.
ANALYTICS_WORK_MEM = "64MB"


class percentile(FunctionElement):  # noqa: N801 - reads as a SQL function
    """The ``q`` quantile (0-1) of ``expr`` over the group, interpolated; NULLs are ignored."""

    type = sa.Float()
    inherit_cache = True

    def __init__(self, expr: ColumnElement[Any], q: float) -> None:
        super().__init__(expr, sa.literal(float(q), sa.Float()))


def median(expr: ColumnElement[Any]) -> percentile:
    return percentile(expr, 0.5)


@compiles(percentile)
def _generic(element: percentile, compiler: Any, **kw: Any) -> str:
    expr, q = list(element.clauses)
    return f"percentile_cont({compiler.process(expr, **kw)}, {compiler.process(q, **kw)})"


@compiles(percentile, "postgresql")
def _postgresql(element: percentile, compiler: Any, **kw: Any) -> str:
    expr, q = list(element.clauses)
    return (
        f"percentile_cont({compiler.process(q, **kw)}) WITHIN GROUP (ORDER BY {compiler.process(expr, **kw)})"
    )


def fact_conditions(manufacturer_id: int, period: Period, filters: Filters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``lead_facts`` for a programme, the leads first published in ``period``,
    and ``filters``."""
    low, high = period.bounds()
    where = [
        LeadFact.manufacturer_id == manufacturer_id,
        LeadFact.published_at >= low,
        LeadFact.published_at < high,
    ]
    if filters.partner is not None:
        where.append(
            LeadFact.lead_id.in_(
                sa.select(Offer.lead_id).where(
                    Offer.manufacturer_id == manufacturer_id,
                    Offer.partner_id == filters.partner,
                    Offer.visible_from.is_not(None),
                )
            )
        )
    if filters.tier is not None:
        where.append(LeadFact.offered_tiers.op("&")(TIER_BITS[filters.tier]) != 0)
    return where + lead_conditions(filters)


def lead_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """The filters on the lead's own fields (not partner or tier) as conditions on ``lead_facts``:
    offers and claims are joined to it by ``lead_id`` for them."""
    where = []
    for column, value in (
        (LeadFact.country, filters.country),
        (LeadFact.region, filters.region),
        (LeadFact.product_line_id, filters.product_line),
        (LeadFact.campaign_id, filters.campaign),
        (LeadFact.temperature, filters.temperature),
    ):
        if value is not None:
            where.append(column == value)
    return where


def large_sorts() -> None:
    """Give the statements of this transaction ``ANALYTICS_WORK_MEM`` for sorts and hashes, and no JIT
    compilation (PostgreSQL; SQLite has no such settings)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text(f"SET LOCAL work_mem = '{ANALYTICS_WORK_MEM}'"))
        # JIT compiling these aggregates costs more than it saves (0.2-0.5 s a statement in
        # bench.analytics: the per-partner figures estimate as expensive, then run in about a second).
        db.session.execute(sa.text("SET LOCAL jit = off"))
