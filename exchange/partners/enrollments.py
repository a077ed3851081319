"""An enrollment's life: invited -> active -> suspended -> ended, or declined (docs/enrollment.md).

Each change is one function taking the acting user, checking who may make it (the partner's admin
answers an invitation, the manufacturer's admin suspends, ends and reactivates), refusing a change
the current status does not allow with :class:`Conflict`, and recording an audit event that carries
both the manufacturer's and the partner's id, so each side sees it and nobody else.

What a change means for offers and claims (a suspended or ended partner's open offers close, its
claims may be reassigned) sits above this layer, in ``exchange.offers.enrollment_effects``: suspend
and end through there, never with :func:`change_status` directly.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from exchange.accounts.permissions import Permission, can
from exchange.models import Enrollment, EnrollmentStatus, Organisation, User
from exchange.partners.invitations import deliver_invitation
from exchange.partners.readiness import is_visible
from exchange.platform import clock, events
from exchange.platform.errors import Conflict, DomainError, NotAllowed
from exchange.platform.event_types import AuditEvent
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_MATCHING
from exchange.platform.labels import ENROLLMENT_STATUS

S = EnrollmentStatus
INVITED = frozenset({S.INVITED, S.PENDING})  # ``pending`` is the legacy word for invited
# Which statuses each target may be reached from.
ALLOWED_FROM: dict[EnrollmentStatus, frozenset[EnrollmentStatus]] = {
    S.ACTIVE: INVITED | {S.SUSPENDED},  # accepted; or reactivated after a suspension
    S.DECLINED: INVITED,
    S.SUSPENDED: frozenset({S.ACTIVE}),
    S.ENDED: frozenset({S.ACTIVE, S.SUSPENDED}) | INVITED,  # ending an invitation withdraws it
    S.INVITED: frozenset({S.ENDED, S.DECLINED}),  # invited again
}
REASON_REQUIRED = frozenset({S.SUSPENDED, S.ENDED})
REASON_LENGTH = 500


def is_invited(enrollment: Enrollment) -> bool:
    return enrollment.status in INVITED


def _require_partner_admin(actor: User, enrollment: Enrollment) -> None:
    if actor.organisation_id != enrollment.partner_id:
        raise NotAllowed(_("This invitation is not yours."))
    if not can(actor, Permission.MANAGE_PROGRAMMES):
        raise NotAllowed(_("Only your organisation's admin answers programme invitations."))


def _require_manufacturer_admin(actor: User, enrollment: Enrollment) -> None:
    if actor.organisation_id != enrollment.manufacturer_id:
        raise NotAllowed(_("This partner is not in your programme."))
    if not can(actor, Permission.MANAGE_PARTNERS):
        raise NotAllowed(_("Only a manufacturer admin changes a partner's enrollment."))


def _refusal(enrollment: Enrollment, to: EnrollmentStatus) -> Conflict:
    now = ENROLLMENT_STATUS[enrollment.status]
    messages = {
        S.ACTIVE: _(
            "The enrollment is %(status)s; only an invitation or a suspended enrollment can become active.",
            status=now,
        ),
        S.DECLINED: _("The enrollment is %(status)s; only an open invitation can be declined.", status=now),
        S.SUSPENDED: _(
            "The enrollment is %(status)s; only an active enrollment can be suspended.", status=now
        ),
        S.ENDED: _("The enrollment is %(status)s already.", status=now)
        if enrollment.status == S.ENDED
        else _("The enrollment is %(status)s; it cannot be ended.", status=now),
        S.INVITED: _(
            "The enrollment is %(status)s; only an ended or declined enrollment can be invited again.",
            status=now,
        ),
    }
    return Conflict(messages[to], field="status")


def change_status(
    actor: User | None,
    enrollment: Enrollment,
    to: EnrollmentStatus,
    event_type: AuditEvent,
    reason: str | None = None,
    *,
    allowed_from: Collection[EnrollmentStatus] | None = None,
    **data: object,
) -> Enrollment:
    """Move ``enrollment`` to ``to`` with the reason, record ``event_type`` (who, why, from, to).
    Checks only the transition; who may make it is checked by the callers below."""
    reason = (reason or "").strip()[:REASON_LENGTH] or None
    if to in REASON_REQUIRED and not reason:
        raise DomainError(_("Say why (the partner sees the reason)."), field="reason")
    before = enrollment.status
    if before not in (allowed_from if allowed_from is not None else ALLOWED_FROM[to]):
        raise _refusal(enrollment, to)
    now = clock.now()
    enrollment.status = to
    enrollment.status_changed_at = now
    enrollment.status_reason = reason
    events.record(
        event_type,
        actor=actor,
        manufacturer_id=enrollment.manufacturer_id,
        partner_id=enrollment.partner_id,
        data={"enrollment_id": enrollment.id, "from": before.value, "to": to.value, "reason": reason, **data},
    )
    db.session.flush()
    return enrollment


# --- the partner's admin --------------------------------------------------------------------------


def accept(actor: User, enrollment: Enrollment) -> Enrollment:
    """The partner's admin accepts the programme's invitation: the enrollment is active (offers follow
    with the next matching)."""
    _require_partner_admin(actor, enrollment)
    if enrollment.status not in INVITED:
        raise Conflict(
            _(
                "There is no open invitation to accept (the enrollment is %(status)s).",
                status=ENROLLMENT_STATUS[enrollment.status],
            ),
            field="status",
        )
    change_status(actor, enrollment, S.ACTIVE, AuditEvent.ENROLLMENT_ACCEPTED, allowed_from=INVITED)
    enrollment.responded_at = enrollment.status_changed_at
    enrollment.enrolled_at = enrollment.status_changed_at
    # From now on the programme sees the partner organisation (kept if it ends or is invited again).
    enrollment.accepted_at = enrollment.accepted_at or enrollment.status_changed_at
    _rematch(enrollment)
    return enrollment


def decline(actor: User, enrollment: Enrollment, reason: str | None = None) -> Enrollment:
    """The partner's admin declines the invitation (the reason is optional)."""
    _require_partner_admin(actor, enrollment)
    change_status(actor, enrollment, S.DECLINED, AuditEvent.ENROLLMENT_DECLINED, reason)
    enrollment.responded_at = enrollment.status_changed_at
    return enrollment


def accept_created_enrollments(user: User) -> list[Enrollment]:
    """The admin of a partner a programme created accepted the account invitation: that programme's
    invitation is accepted with it (each one that created this partner and is still open). Called by
    the invitation page once the password is chosen; nothing for a rep or for existing partners.
    Each is accepted through :func:`accept`, which sets ``accepted_at``."""
    if (
        user.organisation is None
        or not user.organisation.is_partner
        or not can(user, Permission.MANAGE_PROGRAMMES)
    ):
        return []
    pending = db.session.scalars(
        sa.select(Enrollment)
        .where(
            Enrollment.partner_id == user.organisation_id,
            Enrollment.created_partner.is_(True),
            Enrollment.status.in_(INVITED),
        )
        .order_by(Enrollment.id)
    ).all()
    for enrollment in pending:
        accept(user, enrollment)
    return list(pending)


# --- the manufacturer's admin ---------------------------------------------------------------------


def reactivate(
    actor: User, enrollment: Enrollment, reason: str | None = None, *, base_url: str | None = None
) -> Enrollment:
    """Suspended -> active again; ended or declined -> invited again (the partner's admin answers
    the new invitation in the portal). With ``base_url`` (where its links point) the new invitation
    is also sent, as the directory sends it (after the commit)."""
    _require_manufacturer_admin(actor, enrollment)
    if enrollment.status in (S.ENDED, S.DECLINED):
        change_status(actor, enrollment, S.INVITED, AuditEvent.ENROLLMENT_INVITED, reason, again=True)
        enrollment.invited_at = enrollment.status_changed_at
        enrollment.invited_by_id = actor.id
        enrollment.responded_at = None
        if base_url is not None:
            deliver_invitation(actor, enrollment, base_url)
        return enrollment
    change_status(
        actor,
        enrollment,
        S.ACTIVE,
        AuditEvent.ENROLLMENT_REACTIVATED,
        reason,
        allowed_from={S.SUSPENDED},
    )
    _rematch(enrollment)
    return enrollment


def _rematch(enrollment: Enrollment) -> None:
    """Active again: the leads no partner could take are tried again with this partner."""
    enqueue("partners.rematch", enrollment.partner_id, queue=QUEUE_MATCHING)


def mark_suspended(actor: User, enrollment: Enrollment, reason: str) -> Enrollment:
    """Only the status and its event (``exchange.offers.enrollment_effects.suspend`` closes the offers)."""
    _require_manufacturer_admin(actor, enrollment)
    return change_status(actor, enrollment, S.SUSPENDED, AuditEvent.ENROLLMENT_SUSPENDED, reason)


def mark_ended(actor: User, enrollment: Enrollment, reason: str) -> Enrollment:
    """Only the status and its event (``exchange.offers.enrollment_effects.end`` closes the offers)."""
    _require_manufacturer_admin(actor, enrollment)
    withdrawn = enrollment.status in INVITED
    return change_status(
        actor,
        enrollment,
        S.ENDED,
        AuditEvent.ENROLLMENT_ENDED,
        reason,
        **({"invitation_withdrawn": True} if withdrawn else {}),
    )


def require_manufacturer_admin(actor: User, enrollment: Enrollment) -> None:
    """For the effects above this layer (reassigning claims): the same check as the changes here."""
    _require_manufacturer_admin(actor, enrollment)


# --- reading --------------------------------------------------------------------------------------


def partner_enrollments(partner_id: int) -> list[Enrollment]:
    """The partner's enrollments (invitations first, then by the programme's name), with their
    manufacturer and product lines loaded."""
    rows = db.session.scalars(
        sa.select(Enrollment)
        .join(Organisation, Organisation.id == Enrollment.manufacturer_id)
        .options(selectinload(Enrollment.manufacturer), selectinload(Enrollment.product_lines))
        .where(Enrollment.partner_id == partner_id)
        .order_by(sa.func.lower(Organisation.name), Enrollment.id)
    ).all()
    return sorted(rows, key=lambda e: not is_invited(e))


def partner_visible(enrollment: Enrollment) -> bool:
    """Whether the manufacturer may see the partner organisation behind ``enrollment`` (its name,
    its profile): once the partner has accepted (``accepted_at``), never for an invitation still
    open, declined or withdrawn, whether or not this programme created the partner (before
    acceptance the manufacturer sees only ``invited_name``/``invited_email``)."""
    return is_visible(enrollment)
