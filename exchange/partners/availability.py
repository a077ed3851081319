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
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.accounts.permissions import Permission, can
from exchange.models import Organisation, PartnerProfile, User
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
