"""Signed links that let a user choose a password: invitations and password resets.

A link carries ``[user id, fingerprint, issued at]`` signed with the secret key (a salt per purpose,
so an invitation cannot be used as a reset link or the other way round). The fingerprint is a hash of
the user's session nonce and password hash: setting a password changes both, so a link works once;
deactivating a user or re-sending an invitation rotates the nonce, which kills older links too.
Links expire (``INVITE_LINK_MAX_AGE_HOURS``, ``PASSWORD_RESET_MAX_AGE_MINUTES``), measured with
:func:`exchange.platform.clock.now` so tests move time instead of sleeping.

Nothing secret is stored: the mail job receives the user id and builds a fresh link when it runs, so
the outbox never holds a usable link.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer

from exchange.models import Organisation, User
from exchange.notify.mail import send_mail
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.labels import ROLES

DEFAULT_INVITE_HOURS = 7 * 24
DEFAULT_RESET_MINUTES = 60


class LinkPurpose(enum.StrEnum):
    INVITE = "invite"
    RESET = "reset"

    @property
    def endpoint(self) -> str:
        return "auth.accept_invitation" if self is LinkPurpose.INVITE else "auth.reset_password"

    @property
    def max_age(self) -> timedelta:
        config = current_app.config
        if self is LinkPurpose.INVITE:
            return timedelta(hours=config.get("INVITE_LINK_MAX_AGE_HOURS", DEFAULT_INVITE_HOURS))
        return timedelta(minutes=config.get("PASSWORD_RESET_MAX_AGE_MINUTES", DEFAULT_RESET_MINUTES))


class LinkInvalid(Exception):
    """The link is forged, already used, or its user is gone or deactivated."""


class LinkExpired(LinkInvalid):
    """The link was valid but is too old."""


def _serializer(purpose: LinkPurpose) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"password-link:{purpose.value}")


def _fingerprint(user: User) -> str:
    material = f"{user.session_nonce}|{user.password_hash or ''}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def make_token(user: User, purpose: LinkPurpose) -> str:
    return _serializer(purpose).dumps([user.id, _fingerprint(user), int(clock.now().timestamp())])


def user_for_token(token: str, purpose: LinkPurpose) -> User:
    """The user the link is for; raises :class:`LinkInvalid` or :class:`LinkExpired`."""
    try:
        user_id, fingerprint, issued = _serializer(purpose).loads(token)
    except (BadData, ValueError, TypeError):
        raise LinkInvalid from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        raise LinkInvalid
    if fingerprint != _fingerprint(user):
        raise LinkInvalid
    if not isinstance(issued, int) or clock.now().timestamp() - issued > purpose.max_age.total_seconds():
        raise LinkExpired
    return user


def link_url(base_url: str, purpose: LinkPurpose, token: str) -> str:
    """The absolute link, built outside a request too (jobs get the site's base URL as a value)."""
    parts = urlsplit(base_url)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(purpose.endpoint, {"token": token}, force_external=True)


def send_password_link(
    user_id: int,
    purpose: str,
    base_url: str,
    inviter_id: int | None = None,
    programme_id: int | None = None,
) -> dict:
    """Job: mail a fresh link to the user (an invitation or a password reset). ``programme_id``: the
    manufacturer whose partner programme the invitation comes from (a partner admin invited from a
    manufacturer's directory or partner import), named in the e-mail instead of the partner itself."""
    link_purpose = LinkPurpose(purpose)
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return {"sent": 0, "reason": "user gone or deactivated"}
    link = link_url(base_url, link_purpose, make_token(user, link_purpose))
    organisation = user.organisation
    with force_locale(user.locale or organisation.locale or "en"):
        if link_purpose is LinkPurpose.INVITE:
            inviter = db.session.get(User, inviter_id) if inviter_id else None
            days = int(link_purpose.max_age.total_seconds() // 86400) or 1
            programme = db.session.get(Organisation, programme_id) if programme_id else None
            if programme is not None:
                return send_mail([user.email], *_programme_invitation(user, programme, inviter, link, days))
            subject = _("You are invited to %(org)s on the Lead Exchange", org=organisation.name)
            text = _(
                "Hello %(name)s,\n\n"
                "%(inviter)s has invited you to join %(org)s on the Lead Exchange as %(role)s.\n\n"
                "Choose your password with this link (it works once and expires in %(days)d days):\n"
                "%(link)s\n\n"
                "Your sign-in e-mail is %(email)s.\n"
                "If you did not expect this invitation, ignore this e-mail.\n",
                name=user.name,
                inviter=inviter.name if inviter else organisation.name,
                org=organisation.name,
                role=str(ROLES.get(user.role, user.role)),
                days=days,
                link=link,
                email=user.email,
            )
        else:
            minutes = int(link_purpose.max_age.total_seconds() // 60)
            subject = _("Reset your Lead Exchange password")
            text = _(
                "Hello %(name)s,\n\n"
                "someone (we hope it was you) asked to reset the password of %(email)s on the "
                "Lead Exchange.\n\n"
                "Choose a new password with this link (it works once and expires in %(minutes)d minutes):\n"
                "%(link)s\n\n"
                "If you did not ask for this, ignore this e-mail: your password stays as it is.\n",
                name=user.name,
                email=user.email,
                minutes=minutes,
                link=link,
            )
    return send_mail([user.email], subject, text)


def _programme_invitation(
    user: User, programme: Organisation, inviter: User | None, link: str, days: int
) -> tuple[str, str]:
    """Subject and text of the invitation a manufacturer sends to a partner's (new) admin."""
    subject = _(
        "%(manufacturer)s invites %(org)s to its partner programme",
        manufacturer=programme.name,
        org=user.organisation.name,
    )
    text = _(
        "Hello %(name)s,\n\n"
        "%(inviter)s has invited %(org)s to the partner programme of %(manufacturer)s on the Lead "
        "Exchange, with you as its admin. Leads of %(manufacturer)s that fit your company will be "
        "offered to you there.\n\n"
        "Choose your password with this link (it works once and expires in %(days)d days), then "
        "complete your company's profile (coverage, capacity) so that offers can reach you:\n"
        "%(link)s\n\n"
        "Your sign-in e-mail is %(email)s.\n"
        "If you did not expect this invitation, ignore this e-mail.\n",
        name=user.name,
        inviter=inviter.name if inviter is not None else programme.name,
        org=user.organisation.name,
        manufacturer=programme.name,
        days=days,
        link=link,
        email=user.email,
    )
    return subject, text


def site_base_url() -> str:
    """Where e-mailed links point: ``PUBLIC_URL`` when configured (set it in production: the Host
    header of a request is the client's to choose), else the address of the current request."""
    return current_app.config.get("PUBLIC_URL") or request.host_url


def invitation_url(member: User) -> str:
    """The link that lets an invited ``member`` choose a password (the one just e-mailed): shown once
    to the admin who invited them, on the team page and in the API's answer."""
    return link_url(site_base_url(), LinkPurpose.INVITE, make_token(member, LinkPurpose.INVITE))
