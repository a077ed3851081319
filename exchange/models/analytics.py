"""The analytics read model: one row per published lead with what became of it.

``lead_facts`` is derived, never the source: ``exchange.analytics.facts`` rebuilds a lead's row from
its events and its lead, offer and claim rows in the same transaction that records an event for it,
and ``flask analytics rebuild`` recomputes every row from scratch (the same function). The overview,
the funnel and the trends aggregate these rows with one indexed query per figure set instead of
reading millions of events per page view.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exchange.models.base import Base, StrEnum
from exchange.models.enums import LeadStatus, Temperature


class LeadFact(Base):
    __tablename__ = "lead_facts"
    __table_args__ = (
        # Every overview query: one programme, a range of publication times.
        sa.Index("ix_lead_facts_manufacturer_published", "manufacturer_id", "published_at"),
        sa.Index("ix_lead_facts_campaign", "campaign_id", "published_at"),
        # The countries and regions of the scope form, from the index alone.
        sa.Index("ix_lead_facts_manufacturer_place", "manufacturer_id", "country", "region"),
        # The won revenue of a period by currency: the won leads alone, from the index on PostgreSQL.
        sa.Index(
            "ix_lead_facts_won",
            "manufacturer_id",
            "published_at",
            postgresql_include=["won_currency", "won_amount"],
            sqlite_where=sa.text("won_at IS NOT NULL"),
            postgresql_where=sa.text("won_at IS NOT NULL"),
        ),
    )

    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    # The lead's dimensions, for the filters.
    campaign_id: Mapped[int | None]
    product_line_id: Mapped[int | None]
    country: Mapped[str | None] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(64))
    # The temperature it was published with (cooling later does not move it to another cohort).
    temperature: Mapped[Temperature] = mapped_column(StrEnum(Temperature))
    status: Mapped[LeadStatus] = mapped_column(StrEnum(LeadStatus))  # now
    # The first publication (UTC) and its calendar day in the programme's time zone (trend buckets).
    published_at: Mapped[datetime]
    published_day: Mapped[date]
    # Tiers of the partners it was offered to, one bit per tier (exchange.analytics.facts.TIER_BITS).
    offered_tiers: Mapped[int] = mapped_column(default=0)
    offers: Mapped[int] = mapped_column(default=0)
    declines: Mapped[int] = mapped_column(default=0)
    lapsed_offers: Mapped[int] = mapped_column(default=0)  # claim windows that ran out (SLA kind "claim")
    first_offered_at: Mapped[datetime | None]
    # The first claim: when, by whom, and seconds since publication.
    claimed_at: Mapped[datetime | None]
    claimed_partner_id: Mapped[int | None]
    claim_seconds: Mapped[int | None]
    # The first logged contact on any of its claims, and seconds since publication.
    contacted_at: Mapped[datetime | None]
    contact_seconds: Mapped[int | None]
    # First-contact clocks over all its claims: met (contact by the deadline) and missed (breached,
    # or contact after the deadline). An open clock is neither.
    first_contact_met: Mapped[int] = mapped_column(default=0)
    first_contact_missed: Mapped[int] = mapped_column(default=0)
    update_breaches: Mapped[int] = mapped_column(default=0)
    recycled: Mapped[int] = mapped_column(default=0)  # claims taken back by the SLA sweep
    returned: Mapped[int] = mapped_column(default=0)  # claims handed back by the partner
    unclaimed_at: Mapped[datetime | None]  # ran out of waves: returned to the manufacturer unclaimed
    qualified_at: Mapped[datetime | None]  # first reached qualified, proposal or won
    won_at: Mapped[datetime | None]
    lost_at: Mapped[datetime | None]
    won_amount: Mapped[Decimal | None]
    won_currency: Mapped[str | None] = mapped_column(sa.String(3))
    estimated_value: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(sa.String(3))
    computed_at: Mapped[datetime]
