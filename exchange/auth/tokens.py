"""API bearer tokens: ``lx_<prefix>_<secret>``; the prefix finds the row, a SHA-256 of the secret
is compared in constant time. Tokens are random (256 bits), so a fast hash is the right one."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from exchange import clock
from exchange.extensions import db
from exchange.models import ApiToken, TokenScope, User

TOKEN_MARK = "lx"  # noqa: S105 - the token format marker, not a secret


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(user: User, name: str, scope: TokenScope = TokenScope.READ) -> IssuedToken:
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
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(secret)):
        return None
    now = clock.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    # Avoid a write per request: record use at most once a minute.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.commit()
    return token
