"""A programme's figures as the manufacturer's pages show them: the dashboard and the partner list.
Plain data out (counts, rows, :class:`SlaFigures`); the figures themselves are defined once in
``exchange.analytics.figures``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from exchange.analytics import figures
from exchange.analytics.figures import in_progress_counts
from exchange.models import (
    Campaign,
    CoverageArea,
    Enrollment,
    Lead,
    LeadStatus,
    Organisation,
    PartnerProfile,
    Temperature,
    Tier,
)
from exchange.models.enums import CLAIMED_STATUSES, IN_PROGRESS_STATUSES
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.tenancy import scoped

DASHBOARD_DAYS = 30  # the SLA figures on the dashboard: claims of the last 30 days


@dataclass(frozen=True)
class Dashboard:
    by_status: dict[LeadStatus, int]
    by_temperature: dict[Temperature, int]
    total: int
    partners: int
    campaigns: int
    on_offer: int
    in_progress: int
    unclaimed: int
    response_rate: float | None
    sla: figures.SlaFigures


def dashboard(manufacturer: Organisation, now: datetime | None = None) -> Dashboard:
    """The programme's leads by status and temperature, its partners and campaigns, the response
    rate of its leads and the SLA figures of the claims of the last ``DASHBOARD_DAYS`` days."""
    by_status = _counts(Lead.status, manufacturer)
    claimed = sum(by_status.get(status, 0) for status in CLAIMED_STATUSES)
    unclaimed = by_status.get(LeadStatus.UNCLAIMED, 0)
    now = now or clock.now()
    return Dashboard(
        by_status=by_status,
        by_temperature=_counts(Lead.temperature, manufacturer),
        total=sum(by_status.values()),
        partners=_count(scoped(Enrollment, manufacturer)),
        campaigns=_count(scoped(Campaign, manufacturer)),
        on_offer=by_status.get(LeadStatus.OFFERED, 0) + by_status.get(LeadStatus.PUBLISHED, 0),
        in_progress=sum(by_status.get(status, 0) for status in IN_PROGRESS_STATUSES),
        unclaimed=unclaimed,
        response_rate=figures.response_rate(claimed, claimed + unclaimed),
        sla=figures.sla_figures(manufacturer.id, since=now - timedelta(days=DASHBOARD_DAYS), now=now),
    )


def _counts(column: Any, manufacturer: Organisation) -> dict[Any, int]:
    return dict(
        db.session.execute(
            sa.select(column, sa.func.count()).where(Lead.manufacturer_id == manufacturer.id).group_by(column)
        ).all()
    )


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


@dataclass
class PartnerRow:
    enrollment: Enrollment
    name: str
    capacity: int
    in_progress: int
    countries: list[str]
    figures: dict[str, Any]


# How the partner list can be sorted: key -> (value of a row, highest first?). A row without the
# figure (no history yet) always comes last.
PARTNER_SORTS: dict[str, tuple[Callable[[PartnerRow], Any], bool]] = {
    "name": (lambda row: row.name.casefold(), False),
    "response_rate": (lambda row: row.figures.get("response_rate"), True),
    "claim_minutes": (lambda row: row.figures.get("claim_minutes_median"), False),
    "sla_compliance": (lambda row: row.figures.get("sla_compliance"), True),
    "breaches": (lambda row: row.figures.get("breaches"), True),
    "load": (lambda row: row.in_progress / row.capacity if row.capacity else 1.0, True),
}


def partner_rows(
    manufacturer: Organisation, *, tier: Tier | None = None, search: str = "", sort: str = "name"
) -> list[PartnerRow]:
    """The programme's partners (of one ``tier``, whose name holds ``search``) with the figures a
    channel manager steers by: responsiveness over the trailing window (what matching uses), load
    against capacity, coverage; ordered by ``sort`` (one of ``PARTNER_SORTS``), names A-Z among equals."""
    query = (
        scoped(Enrollment, manufacturer)
        # Only partners that accepted (the rule of ``exchange.partners.readiness.visible_to_programme``):
        # an invited, declined or withdrawn one's organisation is not this programme's to show.
        .where(Enrollment.accepted_at.is_not(None))
        .join(Organisation, Organisation.id == Enrollment.partner_id)
        .outerjoin(PartnerProfile, PartnerProfile.partner_id == Enrollment.partner_id)
        .add_columns(Organisation.name, PartnerProfile.capacity)
    )
    if tier is not None:
        query = query.where(Enrollment.tier == tier)
    if search:
        query = query.where(Organisation.name.icontains(search, autoescape=True))
    found = db.session.execute(query).all()
    ids = [enrollment.partner_id for enrollment, _name, _capacity in found]
    in_progress = in_progress_counts(ids)
    countries: dict[int, set[str]] = {}
    if ids:
        for partner_id, country in db.session.execute(
            sa.select(CoverageArea.partner_id, CoverageArea.country).where(CoverageArea.partner_id.in_(ids))
        ):
            countries.setdefault(partner_id, set()).add(country)
    rows = [
        PartnerRow(
            enrollment=enrollment,
            name=name,
            capacity=capacity or 0,
            in_progress=in_progress.get(enrollment.partner_id, 0),
            countries=sorted(countries.get(enrollment.partner_id, ())),
            figures=dict(enrollment.responsiveness or {}),
        )
        for enrollment, name, capacity in found
    ]
    key, highest_first = PARTNER_SORTS[sort]
    known = [row for row in rows if key(row) is not None]
    unknown = [row for row in rows if key(row) is None]  # no history yet: always last
    known.sort(key=lambda row: row.name.casefold())
    known.sort(key=key, reverse=highest_first)  # stable: names stay A-Z among equal figures
    unknown.sort(key=lambda row: row.name.casefold())
    return known + unknown
