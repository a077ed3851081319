"""API bearer tokens: ``lx_<prefix>_<secret>``; the prefix finds the row, a SHA-256 of the secret
is compared in constant time. Tokens are random (256 bits), so a fast hash is the right one."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from exchange.accounts.permissions import Permission, can
from exchange.models import ApiToken, TokenScope, User
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError, NotAllowed
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import organisation_scope, record
from exchange.platform.extensions import db

TOKEN_MARK = "lx"  # noqa: S105 - the token format marker, not a secret
MAX_NAME_LENGTH = 120
# Who manages an organisation's tokens in the UI (each token acts as the user who created it).


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    user: User, name: str, scope: TokenScope = TokenScope.READ, expires_at: datetime | None = None
) -> IssuedToken:
    """Create a token for ``user``; the caller commits. The plaintext is returned once."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        organisation_id=user.organisation_id,
        name=name,
        prefix=prefix,
        secret_hash=_digest(secret),
        scope=scope,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    return IssuedToken(token, f"{TOKEN_MARK}_{prefix}_{secret}")


def resolve_token(plaintext: str) -> ApiToken | None:
    """The live token for this bearer string, or None. Records the last use."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_MARK:
        return None
    _, prefix, secret = parts
    # The token, its user and organisation in one query: every API request starts here.
    token = db.session.scalar(
        sa.select(ApiToken)
        .options(joinedload(ApiToken.user).joinedload(User.organisation))
        .where(ApiToken.prefix == prefix)
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(secret)):
        return None
    now = clock.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    # Avoid a write per request: record use at most once a minute. A plain UPDATE in the request's
    # transaction (committed with it; at once for API reads, which run in autocommit).
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return token


def token_state(token: ApiToken) -> str:
    """``active``, ``revoked``, ``expired`` or ``owner_inactive`` (the user it acts as is deactivated)."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= clock.now():
        return "expired"
    if not token.user.is_active:
        return "owner_inactive"
    return "active"


def create_token(
    actor: User, name: str, scope: TokenScope, expires_at: datetime | None = None
) -> IssuedToken:
    """An admin creates a token that acts as themselves; the plaintext is returned once."""
    if not actor.is_active or not can(actor, Permission.MANAGE_TOKENS):
        raise NotAllowed(_("Only an admin may create API tokens."))
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Give the token a name that says what it is for."), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(_("The name is longer than %(n)d characters.", n=MAX_NAME_LENGTH), field="name")
    if expires_at is not None and expires_at <= clock.now():
        raise DomainError(_("The expiry date must be in the future."), field="expires_on")
    issued = issue_token(actor, name, TokenScope(scope), expires_at)
    record(
        AuditEvent.TOKEN_CREATED,
        actor=actor,
        **organisation_scope(actor.organisation),
        data={
            "token_id": issued.token.id,
            "name": name,
            "prefix": issued.token.prefix,
            "scope": issued.token.scope.value,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return issued


def revoke_token(actor: User, token: ApiToken) -> None:
    """An admin of the token's organisation revokes it for good."""
    if (
        not actor.is_active
        or not can(actor, Permission.MANAGE_TOKENS)
        or actor.organisation_id != token.organisation_id
    ):
        raise NotAllowed(_("Only an admin of this organisation may revoke its tokens."))
    if token.revoked_at is not None:
        raise Conflict(_("The token %(name)s is already revoked.", name=token.name))
    token.revoked_at = clock.now()
    record(
        AuditEvent.TOKEN_REVOKED,
        actor=actor,
        **organisation_scope(actor.organisation),
        data={"token_id": token.id, "name": token.name, "prefix": token.prefix},
    )
