"""An organisation's team: invitations, roles, deactivation, and choosing a password through a link.

Rules: only an active admin of the organisation manages its team; roles stay within the kind of
organisation; nobody changes their own role or deactivates themselves, and an organisation always
keeps one active admin. Changes take a lock on the organisation row, so two admins demoting each
other at the same moment cannot leave it without one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.accounts.password_links import LinkPurpose
from exchange.accounts.permissions import Permission, can
from exchange.accounts.sessions import find_user_by_email
from exchange.accounts.users import create_user, set_password
from exchange.models import Event, Organisation, OrgKind, Role, User
from exchange.models.user import new_session_nonce
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError, NotAllowed
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import organisation_scope, record
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_NOTIFY
from exchange.platform.security import clear_failed_logins, is_locked

ADMIN_ROLES = {OrgKind.PARTNER: Role.PARTNER_ADMIN, OrgKind.MANUFACTURER: Role.MANUFACTURER_ADMIN}
# The roles of each kind of organisation; the first is a new member's unless another is chosen.
TEAM_ROLES: dict[OrgKind, tuple[Role, ...]] = {
    OrgKind.PARTNER: (Role.PARTNER_REP, Role.PARTNER_ADMIN),
    OrgKind.MANUFACTURER: (Role.CHANNEL_MANAGER, Role.MANUFACTURER_ADMIN),
}
# At most one reset e-mail per user in this window, so nobody can flood a mailbox through the form.
RESET_MAIL_INTERVAL = timedelta(minutes=5)


def _record(
    type_: AuditEvent, actor: User | None, member: User, *, kind: str | None = None, **data: Any
) -> None:
    record(
        type_,
        actor=actor,
        **organisation_scope(member.organisation),
        data={"user_id": member.id, "email": member.email, **data},
        kind=kind or (None if actor is not None else "anonymous"),
    )


def _lock_and_check_admin(actor: User, org: Organisation) -> None:
    """Serialise team changes per organisation, then check the actor (as it is after the lock)."""
    db.session.execute(sa.select(Organisation.id).where(Organisation.id == org.id).with_for_update())
    db.session.refresh(actor)
    # The actor belongs to ``org``, so holding the permission means being its kind's admin.
    if not (actor.is_active and actor.organisation_id == org.id and can(actor, Permission.MANAGE_TEAM)):
        raise NotAllowed(_("Only an admin of this organisation may manage its team."))


def _check_member(actor: User, member: User) -> None:
    if member.organisation_id != actor.organisation_id:
        raise NotAllowed(_("This person is not in your organisation."))
    db.session.refresh(member)


def _other_active_admins(member: User) -> int:
    org = member.organisation
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(
            User.organisation_id == org.id,
            User.role == ADMIN_ROLES[org.kind],
            User.is_active_user.is_(True),
            User.id != member.id,
        )
    )


def invite_member(actor: User, *, name: str, email: str, role: Role, base_url: str) -> User:
    """Add a member without a password and e-mail them a link to choose one (after the commit).
    ``base_url`` is the site's address the link points to."""
    org = actor.organisation
    _lock_and_check_admin(actor, org)
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Give the person's name."), field="name")
    if role.org_kind != org.kind:
        raise DomainError(_("This role does not exist in your organisation."), field="role")
    member = create_user(org, email=email, name=name, role=role)
    _record(AuditEvent.USER_INVITED, actor, member, role=role.value)
    _send_invitation(actor, member, base_url)
    return member


def _send_invitation(actor: User, member: User, base_url: str) -> None:
    """Queue the e-mail with a link to choose a password (after the commit)."""
    enqueue(
        "accounts.send_password_link",
        member.id,
        LinkPurpose.INVITE.value,
        base_url,
        actor.id,
        queue=QUEUE_NOTIFY,
    )


def resend_invitation(actor: User, member: User, *, base_url: str) -> None:
    """Send a new invitation to a member who has not chosen a password yet; older links stop working."""
    _lock_and_check_admin(actor, actor.organisation)
    _check_member(actor, member)
    if member.password_hash is not None:
        raise Conflict(_("%(name)s has already chosen a password.", name=member.name))
    if not member.is_active_user:
        raise Conflict(_("%(name)s is deactivated; reactivate them first.", name=member.name))
    member.session_nonce = new_session_nonce()
    _record(AuditEvent.USER_INVITATION_RESENT, actor, member)
    _send_invitation(actor, member, base_url)


def change_role(actor: User, member: User, role: Role) -> bool:
    """Give ``member`` another role; False when it already had it."""
    _lock_and_check_admin(actor, actor.organisation)
    _check_member(actor, member)
    if role.org_kind != member.organisation.kind:
        raise DomainError(_("This role does not exist in your organisation."), field="role")
    if member.role == role:
        return False
    if member.id == actor.id:
        raise NotAllowed(_("You cannot change your own role. Ask another admin to do it."))
    admin_role = ADMIN_ROLES[member.organisation.kind]
    if member.role == admin_role and member.is_active_user and _other_active_admins(member) == 0:
        raise Conflict(_("%(name)s is the last active admin and keeps that role.", name=member.name))
    previous = member.role
    member.role = role
    _record(AuditEvent.USER_ROLE_CHANGED, actor, member, **{"from": previous.value, "to": role.value})
    return True


def deactivate_member(actor: User, member: User) -> None:
    """Sign the member out everywhere and refuse their sessions, links and API tokens from now on."""
    _lock_and_check_admin(actor, actor.organisation)
    _check_member(actor, member)
    if member.id == actor.id:
        raise NotAllowed(_("You cannot deactivate yourself. Ask another admin to do it."))
    if not member.is_active_user:
        raise Conflict(_("%(name)s is already deactivated.", name=member.name))
    admin_role = ADMIN_ROLES[member.organisation.kind]
    if member.role == admin_role and _other_active_admins(member) == 0:
        raise Conflict(_("%(name)s is the last active admin and stays active.", name=member.name))
    member.is_active_user = False
    # A new nonce ends every session and kills outstanding links, even after a reactivation.
    member.session_nonce = new_session_nonce()
    _record(AuditEvent.USER_DEACTIVATED, actor, member)


def reactivate_member(actor: User, member: User) -> None:
    _lock_and_check_admin(actor, actor.organisation)
    _check_member(actor, member)
    if member.is_active_user:
        raise Conflict(_("%(name)s is already active.", name=member.name))
    member.is_active_user = True
    _record(AuditEvent.USER_REACTIVATED, actor, member)


def unlock_sign_in(actor: User, member: User) -> bool:
    """Lift the lock that failed sign-ins put on ``member``'s account; False when it was not locked."""
    _lock_and_check_admin(actor, actor.organisation)
    _check_member(actor, member)
    if not is_locked(member.email):
        return False
    clear_failed_logins(member.email)
    _record(AuditEvent.USER_SIGN_IN_UNLOCKED, actor, member)
    return True


def choose_password(user: User, password: str, purpose: LinkPurpose) -> None:
    """Set the password from an invitation or reset link. The link dies with it (new nonce and hash),
    and so does every other session of this user."""
    set_password(user, password)
    user.session_nonce = new_session_nonce()
    user.last_login_at = clock.now()
    _record(
        AuditEvent.USER_INVITATION_ACCEPTED
        if purpose is LinkPurpose.INVITE
        else AuditEvent.USER_PASSWORD_RESET,
        user,
        user,
        kind="user",  # not signed in yet, but it is this user acting
    )


def request_password_reset(email: str, *, base_url: str) -> None:
    """E-mail a reset link if an active user has this address. Says nothing either way (the caller
    must answer the same whatever happened), and mails a user at most once per interval."""
    user = find_user_by_email(email or "")
    if user is None or not user.is_active:
        return
    org = user.organisation
    scope_column = Event.partner_id if org.is_partner else Event.manufacturer_id
    recent = db.session.scalars(
        sa.select(Event.data).where(
            scope_column == org.id,
            Event.type == AuditEvent.USER_PASSWORD_RESET_REQUESTED,
            Event.occurred_at > clock.now() - RESET_MAIL_INTERVAL,
        )
    ).all()
    if any(data.get("user_id") == user.id for data in recent):
        return
    _record(AuditEvent.USER_PASSWORD_RESET_REQUESTED, None, user)
    enqueue("accounts.send_password_link", user.id, LinkPurpose.RESET.value, base_url, queue=QUEUE_NOTIFY)
