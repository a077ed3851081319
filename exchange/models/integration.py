"""Webhook endpoints and deliveries, in-app notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.models.base import Base, StrEnum, TimestampMixin
from exchange.models.enums import DeliveryStatus
from exchange.platform import clock


class WebhookEndpoint(TimestampMixin, Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(sa.String(500))
    # The signing secret must be recoverable to compute HMACs, so it cannot be hashed.
    secret: Mapped[str] = mapped_column(sa.String(128))
    events: Mapped[list[str]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(300))

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.Index("ix_webhook_deliveries_endpoint_time", "endpoint_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(StrEnum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(sa.String(2000))
    error: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")


class Notification(Base):
    """An in-app notification (the bell). E-mail goes out immediately or in a digest.

    A grouped notification stands for several events of one kind (``group_key``, e.g. the offers a
    user's partner received in one hour): one row per user and group, whose ``item_count`` grows as
    more events join it (the unique index makes that an upsert, safe under concurrent jobs)."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        sa.Index("ix_notifications_email_due", "emailed_at", "email_due_at"),
        sa.Index("ix_notifications_user_group", "user_id", "group_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str | None] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(500))
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]
    email_due_at: Mapped[datetime | None]  # None: no e-mail for this one
    emailed_at: Mapped[datetime | None]
    # None: a notification of its own; else the group it collects (NULLs never collide in the index).
    group_key: Mapped[str | None] = mapped_column(sa.String(64))
    # How many events this entry stands for (1 unless grouped).
    item_count: Mapped[int] = mapped_column(default=1, server_default="1")
