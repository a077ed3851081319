"""Campaigns and leads."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.models.base import Base, StrEnum, TimestampMixin
from exchange.models.enums import LeadStatus, SizeBand, Temperature
from exchange.models.organisation import Organisation, ProductLine


class Campaign(TimestampMixin, Base):
    """A lead-generating campaign. Its cost against the won revenue of its leads is its Return on Leads."""

    __tablename__ = "campaigns"
    __table_args__ = (sa.UniqueConstraint("manufacturer_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    channel: Mapped[str | None] = mapped_column(sa.String(64))  # e.g. trade fair, webinar, paid search
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    cost: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    description: Mapped[str | None] = mapped_column(sa.Text)


class Lead(TimestampMixin, Base):
    __tablename__ = "leads"
    __table_args__ = (
        # Duplicate detection: by source id, else by normalised email + company.
        sa.UniqueConstraint("manufacturer_id", "source_id"),
        sa.Index("ix_leads_manufacturer_dedupe", "manufacturer_id", "dedupe_key"),
        # The manufacturer's lead list by status, newest first.
        sa.Index("ix_leads_manufacturer_status", "manufacturer_id", "status", "created_at"),
        sa.Index("ix_leads_campaign", "campaign_id"),
        sa.CheckConstraint("country IS NULL OR length(country) = 2", name="country_iso2"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    product_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("product_lines.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    # Where the lead came from
    source_id: Mapped[str | None] = mapped_column(sa.String(128))  # id in the manufacturer's CRM
    lead_source: Mapped[str | None] = mapped_column(sa.String(128))  # e.g. "Web", "Trade Show"
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(400))  # normalised email|company

    # Contact: hidden from partners until they claim the lead
    contact_first_name: Mapped[str | None] = mapped_column(sa.String(120))
    contact_last_name: Mapped[str | None] = mapped_column(sa.String(120))
    contact_title: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(64))
    street: Mapped[str | None] = mapped_column(sa.String(200))

    # Company: visible to offered partners (that is what they choose by)
    company_name: Mapped[str] = mapped_column(sa.String(200))
    industry: Mapped[str | None] = mapped_column(sa.String(120))
    employees: Mapped[int | None]
    annual_revenue: Mapped[Decimal | None]
    website: Mapped[str | None] = mapped_column(sa.String(254))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    postal_code: Mapped[str | None] = mapped_column(sa.String(16))
    region: Mapped[str | None] = mapped_column(sa.String(64))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    # Interest
    product_interest: Mapped[str | None] = mapped_column(sa.String(200))
    estimated_value: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    description: Mapped[str | None] = mapped_column(sa.Text)

    # Qualification: the five criteria (None = unknown) and the temperature that follows
    need: Mapped[bool | None]
    fit: Mapped[bool | None]
    budget: Mapped[bool | None]
    authority: Mapped[bool | None]
    timeframe: Mapped[bool | None]
    imported_rating: Mapped[str | None] = mapped_column(sa.String(32))
    temperature: Mapped[Temperature] = mapped_column(StrEnum(Temperature), default=Temperature.COLD)
    temperature_reason: Mapped[str | None] = mapped_column(sa.String(300))
    temperature_changed_at: Mapped[datetime | None]

    # Lifecycle
    status: Mapped[LeadStatus] = mapped_column(StrEnum(LeadStatus), default=LeadStatus.DRAFT)
    published_at: Mapped[datetime | None]
    current_wave: Mapped[int] = mapped_column(default=0)  # 0 = no wave yet
    # What the last matching run found: eligible count and why the others were not eligible.
    match_summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    matched_at: Mapped[datetime | None]
    # SLA values the lead was published under (policies may change later; the lead keeps these).
    sla_terms: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    claimed_partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL")
    )
    claimed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    won_amount: Mapped[Decimal | None]
    won_currency: Mapped[str | None] = mapped_column(sa.String(3))
    lost_reason: Mapped[str | None] = mapped_column(sa.String(300))

    manufacturer: Mapped[Organisation] = relationship(foreign_keys=[manufacturer_id])
    campaign: Mapped[Campaign | None] = relationship()
    product_line: Mapped[ProductLine | None] = relationship()
    claimed_partner: Mapped[Organisation | None] = relationship(foreign_keys=[claimed_partner_id])

    @property
    def size_band(self) -> SizeBand | None:
        return SizeBand.for_employees(self.employees)

    @property
    def contact_name(self) -> str:
        return " ".join(p for p in (self.contact_first_name, self.contact_last_name) if p)

    @property
    def qualification(self) -> dict[str, bool | None]:
        return {
            "need": self.need,
            "fit": self.fit,
            "budget": self.budget,
            "authority": self.authority,
            "timeframe": self.timeframe,
        }
