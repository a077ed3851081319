"""Organisations (manufacturers and partners), a manufacturer's programme, partner profiles, enrollments."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.models.base import Base, StrEnum, TimestampMixin
from exchange.models.enums import EnrollmentStatus, OrgKind, Segment, SizeBand, Tier
from exchange.platform import clock

if TYPE_CHECKING:
    from exchange.models.user import User


class Organisation(TimestampMixin, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(StrEnum(OrgKind), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # The organisation's home zone; users without their own zone see times in it.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")

    users: Mapped[list[User]] = relationship(back_populates="organisation")
    program: Mapped[ManufacturerProgram | None] = relationship(
        back_populates="manufacturer", uselist=False, cascade="all, delete-orphan"
    )
    profile: Mapped[PartnerProfile | None] = relationship(
        back_populates="partner", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def is_manufacturer(self) -> bool:
        return self.kind == OrgKind.MANUFACTURER

    @property
    def is_partner(self) -> bool:
        return self.kind == OrgKind.PARTNER

    def __repr__(self) -> str:
        return f"<Organisation {self.slug} ({self.kind})>"


class ManufacturerProgram(TimestampMixin, Base):
    """A manufacturer's settings for its partner programme: matching, waves, qualification, cooling."""

    __tablename__ = "manufacturer_programs"

    manufacturer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    # Matching: component weights (see matching.DEFAULT_WEIGHTS), partners per wave.
    matching_weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    wave_size: Mapped[int] = mapped_column(default=3)
    # Deals above this value may only go to partners of at least this tier.
    large_deal_threshold: Mapped[Decimal | None]
    large_deal_min_tier: Mapped[Tier | None] = mapped_column(StrEnum(Tier))
    # Qualification: how many of the five criteria make a lead hot / warm.
    qualification_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Leads nobody works cool down one temperature step per this many days (0 = never).
    cooling_days_per_step: Mapped[int] = mapped_column(default=14)

    manufacturer: Mapped[Organisation] = relationship(back_populates="program")


class ProductLine(Base):
    __tablename__ = "product_lines"
    __table_args__ = (sa.UniqueConstraint("manufacturer_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)


class PartnerProfile(TimestampMixin, Base):
    """What matching knows about a partner. Kept by the partner admin."""

    __tablename__ = "partner_profiles"

    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    employees: Mapped[int | None]
    annual_revenue: Mapped[Decimal | None]
    size_band: Mapped[SizeBand | None] = mapped_column(StrEnum(SizeBand))
    industries: Mapped[list[str]] = mapped_column(default=list)
    certifications: Mapped[list[str]] = mapped_column(default=list)
    segments: Mapped[list[str]] = mapped_column(default=lambda: [Segment.SMALL.value])
    languages: Mapped[list[str]] = mapped_column(default=lambda: ["en"])
    # Leads the partner can have in progress at once (the "Hastings limit").
    capacity: Mapped[int] = mapped_column(default=10)
    # Optional point and radius coverage (in addition to the coverage areas).
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    radius_km: Mapped[float | None]
    # Business time for SLA clocks: IANA zone, ISO weekdays (1 = Monday), opening hours, holidays.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    working_days: Mapped[list[int]] = mapped_column(default=lambda: [1, 2, 3, 4, 5])
    work_start: Mapped[time] = mapped_column(sa.Time, default=time(9, 0))
    work_end: Mapped[time] = mapped_column(sa.Time, default=time(17, 0))
    holidays: Mapped[list[str]] = mapped_column(default=list)  # ISO dates
    # Where the partner is based (ISO country, region/state code as the ``holidays`` package names
    # subdivisions, postal code) and whether that place's public holidays count as days off.
    country: Mapped[str | None] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(64))
    postal_code: Mapped[str | None] = mapped_column(sa.String(16))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    public_holidays: Mapped[bool] = mapped_column(default=True)
    # Availability: a partner admin pauses new offers (until ``paused_until``, or until resumed when
    # that is empty). Paused partners are skipped by matching; their claims go on as before.
    paused_at: Mapped[datetime | None]
    paused_until: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # When the profile last changed in a way matching cares about (re-matching compares against it).
    matching_changed_at: Mapped[datetime] = mapped_column(default=clock.now)

    partner: Mapped[Organisation] = relationship(back_populates="profile")
    coverage: Mapped[list[CoverageArea]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="CoverageArea.id"
    )


class CoverageArea(Base):
    """One area a partner covers: a whole country, or a region or postal-code prefix within it."""

    __tablename__ = "coverage_areas"
    __table_args__ = (sa.Index("ix_coverage_areas_country", "country", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner_profiles.partner_id", ondelete="CASCADE"), index=True
    )
    country: Mapped[str] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(64))
    postal_prefix: Mapped[str | None] = mapped_column(sa.String(16))

    profile: Mapped[PartnerProfile] = relationship(back_populates="coverage")


enrollment_product_lines = sa.Table(
    "enrollment_product_lines",
    Base.metadata,
    sa.Column("enrollment_id", sa.ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("product_line_id", sa.ForeignKey("product_lines.id", ondelete="CASCADE"), primary_key=True),
)


class Enrollment(TimestampMixin, Base):
    """A partner's membership in a manufacturer's programme, with its tier and served product lines."""

    __tablename__ = "enrollments"
    __table_args__ = (
        sa.UniqueConstraint("manufacturer_id", "partner_id"),
        # The partner's id in the manufacturer's CRM (a partner import is idempotent on it).
        sa.UniqueConstraint("manufacturer_id", "external_id", name="uq_enrollments_external_id"),
        sa.Index("ix_enrollments_partner", "partner_id", "status"),
        # Adding a partner (by hand, API, import row) looks its admin's e-mail up in the programme.
        sa.Index("ix_enrollments_invited_email", "manufacturer_id", "invited_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    tier: Mapped[Tier] = mapped_column(StrEnum(Tier), default=Tier.REGISTERED)
    status: Mapped[EnrollmentStatus] = mapped_column(
        StrEnum(EnrollmentStatus), default=EnrollmentStatus.ACTIVE
    )
    enrolled_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Responsiveness figures for this programme (recomputed by the SLA engine; fed into matching).
    responsiveness: Mapped[dict[str, Any]] = mapped_column(default=dict)
    responsiveness_updated_at: Mapped[datetime | None]
    external_id: Mapped[str | None] = mapped_column(sa.String(100))
    # What the manufacturer typed when it invited the partner. Until the partner accepts, the
    # manufacturer sees these and nothing of the partner's own organisation (it may belong to
    # other programmes); afterwards it sees the partner's name and profile.
    invited_name: Mapped[str | None] = mapped_column(sa.String(200))
    invited_email: Mapped[str | None] = mapped_column(sa.String(254))
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]  # accepted or declined
    # When the partner accepted the programme's invitation (never cleared): from then on, and only
    # then, the manufacturer sees the partner organisation's name, profile and figures. A withdrawn
    # or declined invitation leaves it empty.
    accepted_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime | None]
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # This programme created the partner organisation (added by hand or imported): the partner's
    # admin accepting the account invitation accepts this enrollment too, and the manufacturer's data
    # fill the profile until the partner's admin has signed in. False for partners that existed.
    created_partner: Mapped[bool] = mapped_column(default=False)

    manufacturer: Mapped[Organisation] = relationship(foreign_keys=[manufacturer_id])
    partner: Mapped[Organisation] = relationship(foreign_keys=[partner_id])
    product_lines: Mapped[list[ProductLine]] = relationship(secondary=enrollment_product_lines)
