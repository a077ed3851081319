"""The admin a programme invited for a partner: whether the partner has taken over (an admin signed
in), and correcting the address a created partner was invited at."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.accounts.permissions import Permission, roles_with
from exchange.models import Enrollment, EnrollmentStatus, Organisation, User
from exchange.models.user import new_session_nonce
from exchange.partners.partner_details import CleanDetails
from exchange.platform import clock
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db


def admin_signed_in(partner: Organisation) -> bool:
    """Whether any admin of the partner has ever signed in (from then on it owns its profile)."""
    return (
        db.session.scalar(
            sa.select(User.id)
            .where(
                User.organisation_id == partner.id,
                User.role.in_(sorted(roles_with(Permission.MANAGE_PROGRAMMES))),
                User.last_login_at.is_not(None),
            )
            .limit(1)
        )
        is not None
    )


def withdraw_for_new_address(
    actor: User | None, enrollment: Enrollment, clean: CleanDetails, user: User | None
) -> bool:
    """The details name an enrollment (by its external id) with another admin e-mail than it was
    invited with, before the partner accepted: a typo fixed in the CRM, or another company. The old
    invitation is withdrawn (ended, its external id released, a created partner's pending admin
    deactivated so the old link dies) and the caller invites the new address as a new partner.
    The same whether the old address was new to the installation or an existing partner's, so the
    answer tells the manufacturer nothing it did not type. Once the partner accepted, its team is
    its own and the address in the details is not used. True when the invitation was withdrawn."""
    if enrollment.invited_email in (None, clean.admin_email) or enrollment.accepted_at is not None:
        return False
    if user is not None and user.organisation_id == enrollment.partner_id:
        return False  # another user of the same partner (an admin who accepts for it): the same partner
    previous = enrollment.status
    enrollment.status = EnrollmentStatus.ENDED
    enrollment.status_changed_at = clock.now()
    enrollment.status_reason = _("The admin e-mail changed to %(email)s.", email=clean.admin_email)
    released, enrollment.external_id = enrollment.external_id, None
    if enrollment.created_partner:
        for pending in db.session.scalars(
            sa.select(User).where(
                User.organisation_id == enrollment.partner_id,
                User.email == enrollment.invited_email,
                User.password_hash.is_(None),
            )
        ):
            pending.is_active_user = False
            pending.session_nonce = new_session_nonce()
    record(
        AuditEvent.ENROLLMENT_ENDED,
        actor=actor,
        manufacturer_id=enrollment.manufacturer_id,
        partner_id=enrollment.partner_id,
        data={
            "enrollment_id": enrollment.id,
            "from": previous.value,
            "to": EnrollmentStatus.ENDED.value,
            "reason": enrollment.status_reason,
            "invitation_withdrawn": True,
            "external_id": released,
            "new_email": clean.admin_email,
        },
    )
    db.session.flush()
    return True
