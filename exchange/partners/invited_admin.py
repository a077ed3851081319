"""The admin a programme invited for a partner: whether the partner has taken over (an admin signed
in), and correcting the address a created partner was invited at."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.accounts.permissions import Permission, roles_with
from exchange.models import Enrollment, EnrollmentStatus, Organisation, User
from exchange.models.user import new_session_nonce
from exchange.partners.partner_details import CleanDetails
from exchange.platform.errors import Conflict, DomainError
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


def correct_admin_email(
    actor: User | None, enrollment: Enrollment, clean: CleanDetails, user: User | None
) -> bool:
    """The details name the enrollment (by its external id) with another admin e-mail than it was
    invited with. A partner this programme created whose admin never signed in gets the corrected
    address (a typo fixed in the CRM and imported again): its pending admin moves to it and the
    invitation goes there, older links stop working. Another partner's invitation cannot move to
    an address of someone else, so that is refused; once the partner accepted, its team is its own
    and the address in the details is not used. True when the address was corrected."""
    if enrollment.invited_email in (None, clean.admin_email):
        return False
    if user is not None and user.organisation_id == enrollment.partner_id:
        return False  # another user of the same partner (an admin who accepts for it): the same partner
    visible = enrollment.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.SUSPENDED)
    if visible and not enrollment.created_partner:
        return False
    pending = db.session.scalar(
        sa.select(User).where(
            User.organisation_id == enrollment.partner_id,
            User.email == enrollment.invited_email,
            User.password_hash.is_(None),
        )
    )
    if enrollment.created_partner and pending is not None and not admin_signed_in(enrollment.partner):
        if user is not None:
            raise DomainError(
                _(
                    "%(email)s already belongs to another account, so the invitation of %(old)s "
                    "cannot move to it.",
                    email=clean.admin_email,
                    old=enrollment.invited_email,
                ),
                field="admin_email",
                status=409,
            )
        previous = enrollment.invited_email
        pending.email = clean.admin_email
        pending.session_nonce = new_session_nonce()
        enrollment.invited_email = clean.admin_email
        enrollment.invited_at = None  # the invitation goes out again, to the corrected address
        record(
            AuditEvent.ENROLLMENT_INVITED,
            actor=actor,
            manufacturer_id=enrollment.manufacturer_id,
            partner_id=enrollment.partner_id,
            data={
                "enrollment_id": enrollment.id,
                "invited_name": enrollment.invited_name,
                "invited_email": clean.admin_email,
                "corrected_from": previous,
            },
        )
        return True
    if visible:
        return False
    raise Conflict(
        _(
            "The partner with external id %(id)s was invited as %(old)s; its invitation cannot move to "
            "another address. End that invitation first, or add the partner under a new external id.",
            id=enrollment.external_id,
            old=enrollment.invited_email,
        ),
        field="admin_email",
    )
