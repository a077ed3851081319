"""Invitations into a programme: an account invitation for an invited admin who has no password yet
(the link to choose one), else an enrollment invitation to the partner's admins (in-app
and e-mail, in their language, pointing at the portal's programmes page)."""

from __future__ import annotations

from flask_babel import gettext as _

from exchange.accounts.password_links import LinkPurpose
from exchange.accounts.sessions import find_user_by_email
from exchange.models import Enrollment, EnrollmentStatus, User
from exchange.models.user import new_session_nonce
from exchange.notify.kinds import NotificationKind
from exchange.notify.notifications import publish_event
from exchange.partners.programme_changes import check_actor
from exchange.platform import clock, jobs
from exchange.platform.errors import Conflict
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db
from exchange.platform.jobs.registry import QUEUE_NOTIFY

# An invitation waits for the partner's answer (``pending`` is the legacy word).
INVITABLE = frozenset({EnrollmentStatus.INVITED, EnrollmentStatus.PENDING})
PROGRAMMES_PATH = "/portal/programmes"


def send_invitation(actor: User | None, enrollment: Enrollment, base_url: str) -> None:
    """Send the invitation (again) while the enrollment waits for the partner's answer: an account
    invitation to an invited admin who has no password yet, else the enrollment invitation."""
    check_actor(actor, enrollment.manufacturer)
    if enrollment.status not in INVITABLE:
        raise Conflict(_("Only an invitation that has not been answered can be sent again."))
    first = enrollment.invited_at is None
    deliver_invitation(actor, enrollment, base_url)
    if not first:
        record(
            AuditEvent.ENROLLMENT_INVITATION_RESENT,
            actor=actor,
            manufacturer_id=enrollment.manufacturer_id,
            partner_id=enrollment.partner_id,
            data={"enrollment_id": enrollment.id, "invited_email": enrollment.invited_email},
        )
    db.session.flush()


def _pending_admin(enrollment: Enrollment) -> User | None:
    """The invited admin, when they have not chosen a password yet: a created partner's, or an
    existing partner's whose account invitation (from another programme) is still open; such an
    admin cannot read an in-app notification, so the link to choose a password is what they get."""
    if not enrollment.invited_email:
        return None
    user = find_user_by_email(enrollment.invited_email)
    if user is None or user.organisation_id != enrollment.partner_id or user.password_hash is not None:
        return None
    return user if user.is_active_user else None


def deliver_invitation(actor: User | None, enrollment: Enrollment, base_url: str) -> None:
    """Queue the invitation the enrollment needs now (sent after the commit) and stamp ``invited_at``."""
    admin = _pending_admin(enrollment)
    if admin is not None:
        admin.session_nonce = new_session_nonce()  # older links stop working
        jobs.enqueue(
            "accounts.send_password_link",
            admin.id,
            LinkPurpose.INVITE.value,
            base_url,
            actor.id if actor is not None else None,
            enrollment.manufacturer_id,
            queue=QUEUE_NOTIFY,
        )
    else:
        publish_event(
            NotificationKind.ENROLLMENT_INVITED,
            partner_id=enrollment.partner_id,
            manufacturer_id=enrollment.manufacturer_id,
            link=PROGRAMMES_PATH,
            notify_manufacturer=False,
        )
    enrollment.invited_at = clock.now()
