"""Users with roles, and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.models.base import Base, StrEnum, TimestampMixin
from exchange.models.enums import MANUFACTURER_ROLES, PARTNER_ROLES, DigestFrequency, Role, TokenScope
from exchange.models.organisation import Organisation
from exchange.platform import clock


def new_session_nonce() -> str:
    return secrets.token_urlsafe(12)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(StrEnum(Role))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active_user: Mapped[bool] = mapped_column("is_active", default=True)
    # Part of the session identity: rotating it (password change) ends every other session.
    session_nonce: Mapped[str] = mapped_column(sa.String(32), default=new_session_nonce)
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    last_login_at: Mapped[datetime | None]
    # Notification preferences (hot leads are always immediate).
    email_notifications: Mapped[bool] = mapped_column(default=True)
    digest_frequency: Mapped[DigestFrequency] = mapped_column(
        StrEnum(DigestFrequency), default=DigestFrequency.IMMEDIATE
    )

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    # Flask-Login
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.is_active_user and self.organisation.is_active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_manufacturer_user(self) -> bool:
        return self.role in MANUFACTURER_ROLES

    @property
    def is_partner_user(self) -> bool:
        return self.role in PARTNER_ROLES

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(Base):
    """A bearer token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    # The public part of the token (shown in lists, used for lookup).
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[TokenScope] = mapped_column(StrEnum(TokenScope), default=TokenScope.READ)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
