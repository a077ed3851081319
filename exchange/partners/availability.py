"""Availability: a partner admin pauses new offers ("away until", with a reason) and resumes.

A partner is **paused** while ``paused_at`` is set and ``paused_until`` is empty or still ahead
(:func:`is_paused`, and :func:`paused_clause` for the same rule in SQL). A pause with a date ends by
itself: nothing has to run when it passes. Paused partners are skipped by matching (the ``paused``
reason, ``matching.codes.PAUSED``); the leads they have claimed go on as before. Pausing and resuming
re-match the partner (``partners.rematch``): offers it has not seen yet go to the next partner, and
leads that waited for a partner are tried again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.accounts.permissions import Permission, can
from exchange.models import CoverageArea, Enrollment, EnrollmentStatus, Organisation, PartnerProfile, User
from exchange.platform import clock
from exchange.platform.errors import DomainError, NotAllowed
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_MATCHING

MAX_REASON = 300


@dataclass(frozen=True)
class Availability:
    """What the partner (and its manufacturers) see: paused or not, since when, until when, why."""

    paused: bool
    paused_at: datetime | None
    paused_until: datetime | None
    reason: str | None


def is_paused(profile: PartnerProfile | None, now: datetime | None = None) -> bool:
    """Whether the partner receives no new offers at ``now`` (default: the clock)."""
    if profile is None or profile.paused_at is None:
        return False
    now = now or clock.now()
    return profile.paused_until is None or profile.paused_until > now


def paused_clause(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """:func:`is_paused` as a condition on ``partner_profiles`` (for queries and counts)."""
    now = now or clock.now()
    return sa.and_(
        PartnerProfile.paused_at.is_not(None),
        sa.or_(PartnerProfile.paused_until.is_(None), PartnerProfile.paused_until > now),
    )


def start_of_day(day: date, zone: str | tzinfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone`` (a name, or a zone such as Flask-Babel's
    ``get_timezone()``): "away until 14 December" means offers again from that day on."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(str(zone))).astimezone(UTC)


def availability(profile: PartnerProfile | None, now: datetime | None = None) -> Availability:
    if not is_paused(profile, now):
        return Availability(False, None, None, None)
    return Availability(True, profile.paused_at, profile.paused_until, profile.pause_reason)


def _locked_profile(actor: User, partner: Organisation) -> PartnerProfile:
    if not partner.is_partner or partner.profile is None:
        raise DomainError(_("Only partners can pause offers."))
    if not (
        actor.is_active and can(actor, Permission.MANAGE_PROGRAMMES) and actor.organisation_id == partner.id
    ):
        raise NotAllowed(_("Only an admin of this partner may pause or resume its offers."))
    return db.session.scalars(
        sa.select(PartnerProfile)
        .where(PartnerProfile.partner_id == partner.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def pause(actor: User, partner: Organisation, *, until: datetime | None, reason: str) -> Availability:
    """Pause new offers until ``until`` (aware; ``None``: until resumed). Pausing again changes the
    date and the reason. Raises :class:`DomainError` on ``until`` (not ahead) or ``reason``
    (missing, too long) and :class:`NotAllowed` unless ``actor`` is an admin of ``partner``."""
    profile = _locked_profile(actor, partner)
    now = clock.now()
    reason = " ".join((reason or "").split())
    if until is not None and (until.tzinfo is None or until <= now):
        raise DomainError(_("Away until: choose a date in the future (or none)."), field="until")
    if not reason:
        raise DomainError(_("Reason: say why you pause (your manufacturers see it)."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("Reason: at most %(n)d characters.", n=MAX_REASON), field="reason")
    was_paused = is_paused(profile, now)
    if not was_paused:
        profile.paused_at = now
    profile.paused_until = until
    profile.pause_reason = reason
    record(
        AuditEvent.PARTNER_PAUSED,
        actor=actor,
        partner_id=partner.id,
        data={"until": until.isoformat() if until else None, "reason": reason, "changed": was_paused},
    )
    db.session.flush()
    if not was_paused:
        enqueue("partners.rematch", partner.id, queue=QUEUE_MATCHING)
    return availability(profile, now)


def resume(actor: User, partner: Organisation) -> Availability:
    """Receive new offers again (nothing happens when the partner is not paused)."""
    profile = _locked_profile(actor, partner)
    now = clock.now()
    was_paused = is_paused(profile, now)
    since = profile.paused_at
    profile.paused_at = profile.paused_until = profile.pause_reason = None
    if was_paused:
        record(
            AuditEvent.PARTNER_RESUMED,
            actor=actor,
            partner_id=partner.id,
            data={"paused_at": since.isoformat() if since else None},
        )
        db.session.flush()
        enqueue("partners.rematch", partner.id, queue=QUEUE_MATCHING)
    return availability(profile, now)


def end_expired_pauses() -> dict[str, int]:
    """Periodic job: a pause whose date has passed already counts as over (:func:`is_paused`); this
    clears it, records ``partner.resumed`` (by the system) and re-matches the partner, so leads that
    found nobody while it was away are offered again. Idempotent."""
    now = clock.now()
    profiles = list(
        db.session.scalars(
            sa.select(PartnerProfile)
            .where(PartnerProfile.paused_at.is_not(None), PartnerProfile.paused_until <= now)
            .with_for_update(skip_locked=True)
        )
    )
    for profile in profiles:
        record(
            AuditEvent.PARTNER_RESUMED,
            partner_id=profile.partner_id,
            data={"paused_at": profile.paused_at.isoformat(), "until": profile.paused_until.isoformat()},
        )
        profile.paused_at = profile.paused_until = profile.pause_reason = None
        enqueue("partners.rematch", profile.partner_id, queue=QUEUE_MATCHING)
    db.session.flush()
    return {"ended": len(profiles)}


# --- who gets no offers at all (the coverage-gap page names them) ------------------------------------


class NoOffersCause(StrEnum):
    """Why an active partner of a programme can receive no offer at all."""

    NO_COVERAGE = "no_coverage"
    NO_CAPACITY = "no_capacity"
    PAUSED = "paused"


NO_OFFERS_LABELS = {
    NoOffersCause.NO_COVERAGE: _l("No coverage set"),
    NoOffersCause.NO_CAPACITY: _l("Capacity 0"),
    NoOffersCause.PAUSED: _l("Paused"),
}


@dataclass(frozen=True)
class PartnerWithoutOffers:
    enrollment_id: int
    partner_id: int
    name: str
    causes: tuple[NoOffersCause, ...]
    paused_until: datetime | None = None
    pause_reason: str | None = None


def partners_without_offers(manufacturer_id: int, now: datetime | None = None) -> list[PartnerWithoutOffers]:
    """The programme's active partners that get no offers whatever the lead: no coverage area and no
    radius, a capacity of 0, or paused. By name; each with every cause that applies."""
    now = now or clock.now()
    has_area = sa.exists().where(CoverageArea.partner_id == PartnerProfile.partner_id)
    has_radius = sa.and_(PartnerProfile.radius_km.is_not(None), PartnerProfile.latitude.is_not(None))
    no_coverage = sa.not_(sa.or_(has_area, has_radius))
    no_capacity = PartnerProfile.capacity <= 0
    paused = paused_clause(now)
    rows = db.session.execute(
        sa.select(
            Enrollment.id,
            Organisation.id,
            Organisation.name,
            no_coverage.label("no_coverage"),
            no_capacity.label("no_capacity"),
            paused.label("paused"),
            PartnerProfile.paused_until,
            PartnerProfile.pause_reason,
        )
        .join(Organisation, Organisation.id == Enrollment.partner_id)
        .join(PartnerProfile, PartnerProfile.partner_id == Enrollment.partner_id)
        .where(
            Enrollment.manufacturer_id == manufacturer_id,
            Enrollment.status == EnrollmentStatus.ACTIVE,
            # Named only once it accepted (``readiness.visible_to_programme``; active implies it).
            Enrollment.accepted_at.is_not(None),
            sa.or_(no_coverage, no_capacity, paused),
        )
        .order_by(sa.func.lower(Organisation.name), Enrollment.id)
    ).all()
    found = []
    for row in rows:
        causes = tuple(
            cause
            for cause, applies in (
                (NoOffersCause.NO_COVERAGE, row.no_coverage),
                (NoOffersCause.NO_CAPACITY, row.no_capacity),
                (NoOffersCause.PAUSED, row.paused),
            )
            if applies
        )
        found.append(
            PartnerWithoutOffers(
                enrollment_id=row[0],
                partner_id=row[1],
                name=row[2],
                causes=causes,
                paused_until=row.paused_until if row.paused else None,
                pause_reason=row.pause_reason if row.paused else None,
            )
        )
    return found
