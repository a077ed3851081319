"""The overview's figures of one period, from ``lead_facts`` in one aggregate query (plus one for the
won revenue per currency): the cohort of the leads first published in the period, their outcomes to
date. Definitions in ``docs/metrics.md``; the rates are those of ``exchange.analytics.figures``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from exchange.analytics import figures, sql
from exchange.analytics.period import Filters, Period
from exchange.models import LeadFact, LeadStatus
from exchange.platform.extensions import db

UNDECIDED = (LeadStatus.PUBLISHED, LeadStatus.OFFERED)
# A claimed lead whose partner never logged contact counts as leaked once it can no longer be saved:
# its first-contact clock was missed, or it went back (returned, unclaimed) or was lost.
GONE = (LeadStatus.RETURNED, LeadStatus.UNCLAIMED, LeadStatus.LOST)
# Response-time buckets: (key, upper bound in seconds, included); the last one is open.
BUCKETS = (
    ("15m", 15 * 60),
    ("1h", 60 * 60),
    ("4h", 4 * 60 * 60),
    ("1d", 24 * 60 * 60),
    ("3d", 3 * 24 * 60 * 60),
    ("more", None),
)
# Deadlines missed: first contact and status update (``breaches_total``, as figures.py counts them);
# "claim" is the claim windows that ran out - an SLA window too, but no breach: the lead moved on to
# the next partners (shown beside the breaches, not added to them).
BREACH_KINDS = ("first_contact", "next_update", "claim")
MISSED_DEADLINES = ("first_contact", "next_update")
PUSH_MODEL_LEAKAGE = (0.5, 0.7)  # what the push model loses (PRODUCT.md): 50-70 % of the leads


@dataclass(frozen=True)
class Figures:
    """One period's figures (counts of leads unless said otherwise; ``None``: nothing decided)."""

    published: int = 0
    offered: int = 0
    claimed: int = 0
    awaiting: int = 0  # still published or offered, never claimed: undecided
    returned_unclaimed: int = 0  # ran out of waves
    never_claimed: int = 0  # decided and never claimed (status unclaimed)
    response_rate: float | None = None
    contacted: int = 0
    contacted_in_sla: int = 0
    qualified: int = 0
    won: int = 0
    lost: int = 0
    win_rate: float | None = None
    won_revenue: dict[str, Decimal] = field(default_factory=dict)  # currency -> amount, never added up
    claim_minutes_median: float | None = None
    claim_minutes_p90: float | None = None
    contact_minutes_median: float | None = None
    contact_minutes_p90: float | None = None
    first_contact_met: int = 0  # clocks
    first_contact_missed: int = 0
    sla_compliance: float | None = None
    breaches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BREACH_KINDS, 0))
    recycled: int = 0  # claims taken back by the SLA sweep
    returned: int = 0  # claims handed back by partners
    declines: int = 0  # offers declined
    claimed_never_contacted: int = 0
    leakage: int = 0  # never claimed + claimed but never contacted
    leakage_rate: float | None = None
    # Time to claim and to first contact, leads per bucket (BUCKETS)
    claim_buckets: dict[str, int] = field(default_factory=dict)
    contact_buckets: dict[str, int] = field(default_factory=dict)

    @property
    def breaches_total(self) -> int:
        """Missed deadlines (first contact, status update); lapsed claim windows are not breaches."""
        return sum(self.breaches.get(kind, 0) for kind in MISSED_DEADLINES)


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _total(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return sa.func.sum(column)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else float(seconds) / 60


def never_claimed_condition() -> ColumnElement[bool]:
    return sa.and_(LeadFact.status == LeadStatus.UNCLAIMED, LeadFact.claimed_at.is_(None))


def claimed_never_contacted_condition() -> ColumnElement[bool]:
    return sa.and_(
        LeadFact.claimed_at.is_not(None),
        LeadFact.contacted_at.is_(None),
        LeadFact.status.not_in(UNDECIDED),
        sa.or_(LeadFact.first_contact_missed > 0, LeadFact.status.in_(GONE)),
    )


def _bucket_columns(prefix: str, seconds: Any) -> dict[str, ColumnElement[Any]]:
    columns, low = {}, None
    for key, high in BUCKETS:
        condition = [seconds.is_not(None)]
        if low is not None:
            condition.append(seconds > low)
        if high is not None:
            condition.append(seconds <= high)
        columns[f"{prefix}_{key}"] = _count(sa.and_(*condition))
        low = high
    return columns


def _columns(distributions: bool) -> dict[str, ColumnElement[Any]]:
    f = LeadFact
    columns = {
        "published": sa.func.count(),
        "offered": _count(f.first_offered_at.is_not(None)),
        "claimed": _count(f.claimed_at.is_not(None)),
        "awaiting": _count(sa.and_(f.status.in_(UNDECIDED), f.claimed_at.is_(None))),
        "returned_unclaimed": _count(f.unclaimed_at.is_not(None)),
        "never_claimed": _count(never_claimed_condition()),
        "contacted": _count(f.contacted_at.is_not(None)),
        "contacted_in_sla": _count(f.first_contact_met > 0),
        "qualified": _count(f.qualified_at.is_not(None)),
        "won": _count(f.won_at.is_not(None)),
        "lost": _count(f.lost_at.is_not(None)),
        "claim_median": sql.percentile(f.claim_seconds, 0.5),
        "claim_p90": sql.percentile(f.claim_seconds, 0.9),
        "contact_median": sql.percentile(f.contact_seconds, 0.5),
        "contact_p90": sql.percentile(f.contact_seconds, 0.9),
        "met": _total(f.first_contact_met),
        "missed": _total(f.first_contact_missed),
        "update_breaches": _total(f.update_breaches),
        "lapsed_offers": _total(f.lapsed_offers),
        "recycled": _total(f.recycled),
        "returned": _total(f.returned),
        "declines": _total(f.declines),
        "claimed_never_contacted": _count(claimed_never_contacted_condition()),
    }
    if distributions:
        columns.update(_bucket_columns("claim", f.claim_seconds))
        columns.update(_bucket_columns("contact", f.contact_seconds))
    return columns


def period_figures(
    manufacturer_id: int, period: Period, filters: Filters, *, distributions: bool = True
) -> Figures:
    """The figures of the leads first published in ``period`` (with ``filters``); without
    ``distributions`` the response-time buckets stay empty (the previous period does not show them)."""
    where = sql.fact_conditions(manufacturer_id, period, filters)
    columns = _columns(distributions)
    row = db.session.execute(sa.select(*(c.label(k) for k, c in columns.items())).where(*where)).one()
    values = {key: getattr(row, key) for key in columns}
    n = {key: int(value or 0) for key, value in values.items() if not key.endswith(("_median", "_p90"))}
    revenue = db.session.execute(
        sa.select(LeadFact.won_currency, sa.func.sum(LeadFact.won_amount))
        .where(*where, LeadFact.won_at.is_not(None), LeadFact.won_amount.is_not(None))
        .group_by(LeadFact.won_currency)
        .order_by(LeadFact.won_currency)
    ).all()
    leakage = n["never_claimed"] + n["claimed_never_contacted"]
    return Figures(
        published=n["published"],
        offered=n["offered"],
        claimed=n["claimed"],
        awaiting=n["awaiting"],
        returned_unclaimed=n["returned_unclaimed"],
        never_claimed=n["never_claimed"],
        # of the decided leads (claimed, or run out of waves unclaimed), the share claimed
        response_rate=figures.response_rate(n["claimed"], n["claimed"] + n["never_claimed"]),
        contacted=n["contacted"],
        contacted_in_sla=n["contacted_in_sla"],
        qualified=n["qualified"],
        won=n["won"],
        lost=n["lost"],
        win_rate=figures.win_rate(n["won"], n["lost"]),
        won_revenue={
            (currency or "EUR"): Decimal(amount).quantize(Decimal("0.01")) for currency, amount in revenue
        },
        claim_minutes_median=_minutes(values["claim_median"]),
        claim_minutes_p90=_minutes(values["claim_p90"]),
        contact_minutes_median=_minutes(values["contact_median"]),
        contact_minutes_p90=_minutes(values["contact_p90"]),
        first_contact_met=n["met"],
        first_contact_missed=n["missed"],
        sla_compliance=figures.share(n["met"], n["met"] + n["missed"]),
        breaches={
            "first_contact": n["missed"],
            "next_update": n["update_breaches"],
            "claim": n["lapsed_offers"],
        },
        recycled=n["recycled"],
        returned=n["returned"],
        declines=n["declines"],
        claimed_never_contacted=n["claimed_never_contacted"],
        leakage=leakage,
        leakage_rate=figures.share(leakage, n["published"]),
        claim_buckets={key: n[f"claim_{key}"] for key, _high in BUCKETS} if distributions else {},
        contact_buckets={key: n[f"contact_{key}"] for key, _high in BUCKETS} if distributions else {},
    )
