"""A programme's figures as the dashboard shows them (the partner table is
``exchange.analytics.partner_table``). Plain data out (counts, :class:`SlaFigures`); the figures
themselves are defined once in ``exchange.analytics.figures``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from exchange.analytics import figures
from exchange.models import (
    Campaign,
    Enrollment,
    Lead,
    LeadStatus,
    Organisation,
    Temperature,
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
