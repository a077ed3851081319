"""The append-only event log. Metrics are computed from it, so history is never rewritten.

Rows are only ever inserted: the ORM refuses updates and deletes (see ``exchange.models``), and the
migration adds database triggers that refuse them too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exchange.models.base import Base
from exchange.platform import clock

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_lead", "lead_id", "id"),
        sa.Index("ix_events_manufacturer_type_time", "manufacturer_id", "type", "occurred_at"),
        sa.Index("ix_events_partner_type_time", "partner_id", "type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=clock.now)
    type: Mapped[str] = mapped_column(sa.String(64))  # e.g. "lead.published", "offer.claimed"
    manufacturer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL")
    )
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id", ondelete="SET NULL"))
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="SET NULL"))
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id", ondelete="SET NULL"))
    claim_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claims.id", ondelete="SET NULL"))
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # "user" (browser), "api" (token), "system" (jobs, the sweep), "cli"
    actor_kind: Mapped[str] = mapped_column(sa.String(16), default="system")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
