"""Readiness: whether a partner of a programme can receive offers, and why not.

A partner is ready when its enrollment is active, an active admin of it has signed in, it covers an
area (a coverage row, or a point with a radius), its capacity is above zero and it is not paused
(``paused_at`` set and ``paused_until`` empty or still ahead). Each reason is one SQL expression
over ``enrollments`` (with ``partner_profiles`` outer-joined), so the directory filters and pages by
readiness in SQL, and :func:`readiness` answers for a whole programme in one query.

Before the partner accepts, the manufacturer may know nothing of the partner organisation, whether
this programme created it or it existed already (the answers must not tell the two apart): for such
an enrollment only ``not_active`` is said (see :func:`visible_to_programme`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from exchange.accounts.permissions import Permission, roles_with
from exchange.models import (
    CoverageArea,
    Enrollment,
    EnrollmentStatus,
    Organisation,
    PartnerProfile,
    User,
)
from exchange.partners.availability import paused_clause
from exchange.platform import clock
from exchange.platform.extensions import db


class NotReady(enum.StrEnum):
    """Why a partner cannot receive offers (labels: ``exchange.platform.labels.READINESS``)."""

    NOT_ACTIVE = "not_active"
    ADMIN_NOT_SIGNED_IN = "admin_not_signed_in"
    NO_COVERAGE = "no_coverage"
    NO_CAPACITY = "no_capacity"
    PAUSED = "paused"


def visible_to_programme() -> sa.ColumnElement[bool]:
    """The programme may read the partner organisation's own data (name, profile, pause, figures):
    the partner accepted the invitation (``accepted_at``). The one rule, in SQL; in Python it is
    :func:`is_visible`.

    A partner this programme created counts no more than one that existed: until its admin accepts
    (which accepts the enrollment), showing its profile would tell the manufacturer that the admin's
    e-mail was new to the installation, and an existing partner's that it was not."""
    return Enrollment.accepted_at.is_not(None)


def is_visible(enrollment: Enrollment) -> bool:
    """:func:`visible_to_programme` for one loaded enrollment."""
    return enrollment.accepted_at is not None


def reason_expressions(now: datetime | None = None) -> dict[NotReady, sa.ColumnElement[bool]]:
    """Each reason as a condition over ``enrollments`` outer-joined to ``partner_profiles`` on the
    partner (see :func:`with_profile`), already limited to what the programme may know. None of
    them is NULL where the profile's columns are (each starts with an IS [NOT] NULL test)."""
    now = now or clock.now()
    signed_in_admin = (
        sa.select(User.id)
        .where(
            User.organisation_id == Enrollment.partner_id,
            # A partner admin: who accepts the invitation and keeps the profile.
            User.role.in_(sorted(roles_with(Permission.MANAGE_PROGRAMMES))),
            User.is_active_user.is_(True),
            User.last_login_at.is_not(None),
        )
        .correlate(Enrollment)
        .exists()
    )
    has_area = (
        sa.select(CoverageArea.id)
        .where(CoverageArea.partner_id == Enrollment.partner_id)
        .correlate(Enrollment)
        .exists()
    )
    has_radius = sa.and_(
        PartnerProfile.radius_km.is_not(None),
        PartnerProfile.radius_km > 0,
        PartnerProfile.latitude.is_not(None),
        PartnerProfile.longitude.is_not(None),
    )
    visible = visible_to_programme()
    return {
        NotReady.NOT_ACTIVE: Enrollment.status != EnrollmentStatus.ACTIVE,
        NotReady.ADMIN_NOT_SIGNED_IN: sa.and_(visible, ~signed_in_admin),
        NotReady.NO_COVERAGE: sa.and_(visible, ~has_area, sa.not_(has_radius)),
        NotReady.NO_CAPACITY: sa.and_(visible, sa.func.coalesce(PartnerProfile.capacity, 0) <= 0),
        NotReady.PAUSED: sa.and_(visible, paused_clause(now)),
    }


def with_profile(query: sa.Select) -> sa.Select:
    """``query`` over enrollments, with the partner's profile outer-joined (what the reasons read)."""
    return query.outerjoin(PartnerProfile, PartnerProfile.partner_id == Enrollment.partner_id)


def reason_columns(now: datetime | None = None) -> list[sa.ColumnElement[bool]]:
    """One labelled boolean column per reason (``not_ready_<reason>``), in the order of :class:`NotReady`."""
    return [
        sa.case((condition, True), else_=False).label(f"not_ready_{reason.value}")
        for reason, condition in reason_expressions(now).items()
    ]


def reasons_of(row: sa.Row) -> list[NotReady]:
    """The reasons a row selected with :func:`reason_columns` carries (empty: ready)."""
    return [reason for reason in NotReady if getattr(row, f"not_ready_{reason.value}")]


def readiness_condition(choice: str, now: datetime | None = None) -> sa.ColumnElement[bool] | None:
    """A directory filter: ``ready``, ``not_ready`` or one reason's value; None for anything else."""
    expressions = reason_expressions(now)
    if choice == "ready":
        return sa.not_(sa.or_(*expressions.values()))
    if choice == "not_ready":
        return sa.or_(*expressions.values())
    try:
        return expressions[NotReady(choice)]
    except ValueError:
        return None


def readiness(
    manufacturer: Organisation, enrollment_ids: Iterable[int] | None = None
) -> dict[int, list[NotReady]]:
    """Per enrollment of ``manufacturer`` (all, or those of ``enrollment_ids``) the reasons it cannot
    receive offers, empty when it is ready. One query whatever the number of partners."""
    query = with_profile(
        sa.select(Enrollment.id, *reason_columns()).where(Enrollment.manufacturer_id == manufacturer.id)
    )
    if enrollment_ids is not None:
        ids = sorted(set(enrollment_ids))
        if not ids:
            return {}
        query = query.where(Enrollment.id.in_(ids))
    return {row.id: reasons_of(row) for row in db.session.execute(query)}
