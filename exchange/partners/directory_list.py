"""Reading the partner directory: every enrollment of a programme with what the programme may know
of it, searched, filtered and paged in SQL (for the page and the API alike).

Until a partner accepts, a row carries only what the manufacturer typed (``invited_name``,
``invited_email``): not the partner organisation's name, profile or pause, which may belong to other
programmes. Readiness (``exchange.partners.readiness``) comes with each row from the same query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from exchange.models import (
    CoverageArea,
    Enrollment,
    EnrollmentStatus,
    Event,
    Organisation,
    PartnerProfile,
    Tier,
)
from exchange.partners.availability import paused_clause
from exchange.partners.readiness import (
    NotReady,
    is_visible,
    readiness_condition,
    reason_columns,
    reasons_of,
    visible_to_programme,
    with_profile,
)
from exchange.platform import clock
from exchange.platform.event_types import AuditEvent
from exchange.platform.extensions import db

READINESS_CHOICES = ("ready", "not_ready", *(reason.value for reason in NotReady))
# The events of the partner page: this programme's enrollment events (never another programme's).
ENROLLMENT_EVENTS = tuple(
    event
    for event in AuditEvent
    if event.value.startswith("enrollment.") or event is AuditEvent.PARTNER_ADDED
)


@dataclass
class DirectoryFilters:
    search: str = ""
    status: EnrollmentStatus | None = None
    tier: Tier | None = None
    readiness: str | None = None  # READINESS_CHOICES


@dataclass
class ProfileSummary:
    country: str | None
    region: str | None
    postal_code: str | None
    website: str | None
    capacity: int
    coverage: list[tuple[str, str | None, str | None]]
    radius_km: float | None
    timezone: str


@dataclass
class DirectoryRow:
    enrollment: Enrollment
    known: bool  # the partner accepted: its own name and profile may be shown
    name: str  # the partner's name once it accepted, else what the manufacturer typed
    reasons: list[NotReady]
    paused: bool = False
    paused_until: datetime | None = None
    pause_reason: str | None = None
    profile: ProfileSummary | None = field(default=None)

    @property
    def ready(self) -> bool:
        return not self.reasons

    @property
    def product_line_codes(self) -> list[str]:
        return sorted(line.code for line in self.enrollment.product_lines)


def _display_name() -> sa.ColumnElement[str]:
    return sa.case(
        (visible_to_programme(), Organisation.name),
        else_=sa.func.coalesce(Enrollment.invited_name, Enrollment.invited_email, ""),
    )


def _query(manufacturer: Organisation, filters: DirectoryFilters, now: datetime) -> sa.Select:
    name = _display_name().label("display_name")
    query = with_profile(
        sa.select(
            Enrollment,
            name,
            paused_clause(now).label("is_paused"),
            PartnerProfile.paused_until,
            PartnerProfile.pause_reason,
            *reason_columns(now),
        )
        .join(Organisation, Organisation.id == Enrollment.partner_id)
        .where(Enrollment.manufacturer_id == manufacturer.id)
    )
    if filters.search:
        pattern = filters.search[:100]
        query = query.where(
            sa.or_(
                Enrollment.invited_name.icontains(pattern, autoescape=True),
                Enrollment.invited_email.icontains(pattern, autoescape=True),
                Enrollment.external_id.icontains(pattern, autoescape=True),
                sa.and_(visible_to_programme(), Organisation.name.icontains(pattern, autoescape=True)),
            )
        )
    if filters.status is not None:
        statuses = (
            [EnrollmentStatus.INVITED, EnrollmentStatus.PENDING]
            if filters.status in (EnrollmentStatus.INVITED, EnrollmentStatus.PENDING)
            else [filters.status]
        )
        query = query.where(Enrollment.status.in_(statuses))
    if filters.tier is not None:
        query = query.where(Enrollment.tier == filters.tier)
    if filters.readiness:
        condition = readiness_condition(filters.readiness, now)
        if condition is not None:
            query = query.where(condition)
    return query


def _row(row: sa.Row, profiles: dict[int, ProfileSummary]) -> DirectoryRow:
    enrollment = row.Enrollment
    known = is_visible(enrollment)
    return DirectoryRow(
        enrollment=enrollment,
        known=known,
        name=row.display_name,
        reasons=reasons_of(row),
        paused=bool(row.is_paused) if known else False,
        paused_until=row.paused_until if known and row.is_paused else None,
        pause_reason=row.pause_reason if known and row.is_paused else None,
        profile=profiles.get(enrollment.partner_id) if known else None,
    )


def _profiles(partner_ids: list[int]) -> dict[int, ProfileSummary]:
    """Profile summaries of accepted partners (two queries for a page)."""
    if not partner_ids:
        return {}
    coverage: dict[int, list[tuple[str, str | None, str | None]]] = {}
    for area in db.session.scalars(
        sa.select(CoverageArea).where(CoverageArea.partner_id.in_(partner_ids)).order_by(CoverageArea.id)
    ):
        coverage.setdefault(area.partner_id, []).append((area.country, area.region, area.postal_prefix))
    return {
        profile.partner_id: ProfileSummary(
            country=profile.country,
            region=profile.region,
            postal_code=profile.postal_code,
            website=profile.website,
            capacity=profile.capacity,
            coverage=coverage.get(profile.partner_id, []),
            radius_km=profile.radius_km,
            timezone=profile.timezone,
        )
        for profile in db.session.scalars(
            sa.select(PartnerProfile).where(PartnerProfile.partner_id.in_(partner_ids))
        )
    }


def directory_page(
    manufacturer: Organisation, filters: DirectoryFilters, *, page: int = 1, per_page: int = 50
) -> dict:
    """``{items: [DirectoryRow], page, per_page, total, pages}``, ordered by name; a page past the
    last gives the last."""
    now = clock.now()
    query = _query(manufacturer, filters, now)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.with_only_columns(Enrollment.id).subquery())
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        query.options(selectinload(Enrollment.product_lines))
        .order_by(sa.func.lower(_display_name()), Enrollment.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    profiles = _profiles([row.Enrollment.partner_id for row in rows if is_visible(row.Enrollment)])
    return {
        "items": [_row(row, profiles) for row in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
    }


def directory_row(manufacturer: Organisation, enrollment_id: int) -> DirectoryRow | None:
    """One enrollment of ``manufacturer`` as the directory shows it; None if it is not one of its own."""
    now = clock.now()
    row = db.session.execute(
        _query(manufacturer, DirectoryFilters(), now)
        .options(selectinload(Enrollment.product_lines))
        .where(Enrollment.id == enrollment_id)
    ).first()
    if row is None:
        return None
    known = is_visible(row.Enrollment)
    return _row(row, _profiles([row.Enrollment.partner_id]) if known else {})


def enrollment_events(enrollment: Enrollment, limit: int = 200) -> list[Event]:
    """This programme's enrollment events for the partner, newest first. Until the partner is
    visible, without ``partner.added`` (only a created partner has one: it would tell the two apart)."""
    types = [
        event.value
        for event in ENROLLMENT_EVENTS
        if is_visible(enrollment) or event is not AuditEvent.PARTNER_ADDED
    ]
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(
                Event.manufacturer_id == enrollment.manufacturer_id,
                Event.partner_id == enrollment.partner_id,
                Event.type.in_(types),
            )
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(limit)
        )
    )
