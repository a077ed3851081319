"""Offers (one lead x one partner, with its score and explanation) and claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.models.base import Base, StrEnum, TimestampMixin
from exchange.models.enums import ClaimStatus, ContactChannel, DeclineReason, OfferState, Temperature
from exchange.models.lead import Lead
from exchange.models.organisation import Organisation
from exchange.models.user import User
from exchange.platform import clock

TEMPERATURE_PRIORITY = {Temperature.HOT: 2, Temperature.WARM: 1, Temperature.COLD: 0}


class Offer(TimestampMixin, Base):
    __tablename__ = "offers"
    __table_args__ = (
        sa.UniqueConstraint("lead_id", "partner_id"),
        # A partner's pull list in its order (read backwards: score, then hot before cold, then the
        # newest), so a page stops after its rows however many offers tie on score; with the claim
        # deadline the count is answered from the index alone.
        sa.Index(
            "ix_offers_pull_list",
            "partner_id",
            "state",
            "score",
            "temperature_priority",
            "visible_from",
            "id",
            "claim_deadline",
        ),
        # Due claim windows and reminders for the SLA sweep.
        sa.Index("ix_offers_state_claim_deadline", "state", "claim_deadline"),
        sa.Index("ix_offers_state_remind_at", "state", "remind_at"),
        sa.Index("ix_offers_lead_state", "lead_id", "state"),
        sa.Index("ix_offers_manufacturer_state", "manufacturer_id", "state"),
        # The channel manager's figures: a programme's offers over a period (exchange.analytics),
        # answered from the index on PostgreSQL (partner and state included), and one partner's.
        sa.Index(
            "ix_offers_manufacturer_visible",
            "manufacturer_id",
            "visible_from",
            postgresql_include=["partner_id", "state", "lead_id"],
        ),
        sa.Index(
            "ix_offers_manufacturer_partner_visible",
            "manufacturer_id",
            "partner_id",
            "visible_from",
            postgresql_include=["state", "lead_id"],
        ),
        sa.CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    # Denormalised from the lead so tenant-scoped offer queries need no join.
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))

    score: Mapped[float]
    components: Mapped[dict[str, Any]] = mapped_column(default=dict)  # component -> value in [0, 1]
    # The "why": reason codes with parameters from the matching engine, best first (rendered per
    # viewer and language by exchange.offers.explain), and that line rendered in English for the API.
    reasons: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    explanation: Mapped[str | None] = mapped_column(sa.String(300))
    rank: Mapped[int]
    # The lead's temperature as a sort key (hot 2, warm 1, cold 0), kept with the offer so the pull
    # list sorts from one index; set when the offer opens and when the lead cools down.
    temperature_priority: Mapped[int] = mapped_column(default=0, server_default="0")
    wave: Mapped[int]  # 1..waves; waves + 1 is the open pool
    state: Mapped[OfferState] = mapped_column(StrEnum(OfferState), default=OfferState.PENDING)
    visible_from: Mapped[datetime | None]
    claim_deadline: Mapped[datetime | None]
    remind_at: Mapped[datetime | None]  # when the reminder is due (e.g. 75 % of the window)
    reminded_at: Mapped[datetime | None]  # the reminder went out
    first_shown_at: Mapped[datetime | None]  # first time the partner's list showed it
    closed_at: Mapped[datetime | None]
    decline_reason: Mapped[DeclineReason | None] = mapped_column(StrEnum(DeclineReason))
    decline_text: Mapped[str | None] = mapped_column(sa.String(500))

    lead: Mapped[Lead] = relationship()
    partner: Mapped[Organisation] = relationship(foreign_keys=[partner_id])


class Claim(TimestampMixin, Base):
    """A partner's claim on a lead. At most one active claim per lead (a partial unique index)."""

    __tablename__ = "claims"
    __table_args__ = (
        sa.Index(
            "uq_claims_one_active_per_lead",
            "lead_id",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
        sa.Index("ix_claims_partner_status", "partner_id", "status"),
        sa.Index("ix_claims_status_first_contact_deadline", "status", "first_contact_deadline"),
        sa.Index("ix_claims_status_next_update_deadline", "status", "next_update_deadline"),
        sa.Index("ix_claims_status_first_contact_remind_at", "status", "first_contact_remind_at"),
        sa.Index("ix_claims_status_next_update_remind_at", "status", "next_update_remind_at"),
        sa.Index("ix_claims_lead", "lead_id"),
        sa.Index("ix_claims_manufacturer_claimed", "manufacturer_id", "claimed_at"),
        # One partner's claims of a period (scorecards), and active claims per partner (load).
        sa.Index("ix_claims_manufacturer_partner_claimed", "manufacturer_id", "partner_id", "claimed_at"),
        sa.Index(
            "ix_claims_active_partner",
            "partner_id",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id", ondelete="SET NULL"))
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    status: Mapped[ClaimStatus] = mapped_column(StrEnum(ClaimStatus), default=ClaimStatus.ACTIVE)
    claimed_at: Mapped[datetime] = mapped_column(default=clock.now)
    # When the claimed offer became visible: the partner's time to claim starts there (kept on the
    # claim, so the channel manager's figures read it without the offer).
    offer_visible_from: Mapped[datetime | None]
    first_contact_deadline: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    first_contact_channel: Mapped[ContactChannel | None] = mapped_column(StrEnum(ContactChannel))
    first_contact_remind_at: Mapped[datetime | None]
    first_contact_reminded_at: Mapped[datetime | None]
    first_contact_breached_at: Mapped[datetime | None]
    next_update_deadline: Mapped[datetime | None]
    next_update_remind_at: Mapped[datetime | None]
    last_update_at: Mapped[datetime | None]
    update_reminded_at: Mapped[datetime | None]
    update_breached_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(sa.String(500))

    lead: Mapped[Lead] = relationship()
    offer: Mapped[Offer | None] = relationship()
    partner: Mapped[Organisation] = relationship(foreign_keys=[partner_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
