"""Users and passwords."""

from __future__ import annotations

import functools

from flask import current_app
from flask_babel import gettext as _

from exchange.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from exchange.accounts.sessions import find_user_by_email, normalise_email
from exchange.models import Organisation, Role, User
from exchange.models.user import new_session_nonce
from exchange.platform import clock
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db


def create_user(
    organisation: Organisation,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    check_password: bool = True,
) -> User:
    if role.org_kind != organisation.kind:
        raise DomainError(
            _("Role %(role)s does not belong in a %(kind)s.", role=role, kind=organisation.kind)
        )
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None:
        raise DomainError(_address_taken(existing, organisation), field="email", status=409)
    user = User(organisation=organisation, email=email, name=name, role=role)
    if password is not None:
        set_password(user, password, check=check_password)
    db.session.add(user)
    db.session.flush()
    return user


def _address_taken(existing: User, organisation: Organisation) -> str:
    """Why an address cannot be given to a new user: a colleague has it, or someone elsewhere."""
    if existing.organisation_id != organisation.id:
        return _(
            "This address belongs to an account in another organisation; a person can belong to one "
            "organisation only. Ask them for another address (for example their address at %(org)s).",
            org=organisation.name,
        )
    if not existing.is_active_user:
        return _(
            "%(name)s is already a member of this team with this address, but deactivated; "
            "reactivate them instead.",
            name=existing.name,
        )
    return _("%(name)s is already a member of this team with this address.", name=existing.name)


def set_password(user: User, password: str, *, check: bool = True) -> None:
    """Hash and store ``password`` after the strength rules (``check=False``: only the documented demo
    logins, which are meant to be typed)."""
    if check:
        problem = password_problem(
            password,
            email=user.email or "",
            name=user.name or "",
            current_hash=user.password_hash,
            min_score=current_app.config.get("PASSWORD_MIN_SCORE", 3),
        )
        if problem:
            raise DomainError(problem, field="password")
    elif len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password"
        )
    user.password_hash = hash_password(password)


def change_password(user: User, current: str, new: str) -> None:
    """Change the password and end every session of this user (the caller logs the current one in again)."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("The current password is not correct."), field="current_password")
    set_password(user, new)
    user.session_nonce = new_session_nonce()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Upgrades outdated hashes on the way."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response times do not reveal which e-mails exist.
        verify_password(_dummy_hash(), password)
        return None
    if not user.password_hash:
        # Invited, no password yet: as slow as a real check, so timing does not reveal invitations.
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    return user


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
