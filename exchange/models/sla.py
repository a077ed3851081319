"""SLA policies: per manufacturer and temperature."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exchange.models.base import Base, StrEnum, TimestampMixin
from exchange.models.enums import BreachAction, Temperature

# Defaults from the product brief (minutes; business minutes where business_time is set).
# hot: 1 business hour to claim, 1 to first contact, an update every 3 days; warm: 4 h, 1 business
# day, 7 days; cold: 2 business days, 3 business days, 14 days. A business day is 8 business hours.
BUSINESS_DAY_MINUTES = 8 * 60
DEFAULT_SLA_POLICIES: dict[Temperature, dict[str, int]] = {
    Temperature.HOT: {
        "claim_window_minutes": 60,
        "first_contact_minutes": 60,
        "update_cadence_minutes": 3 * 24 * 60,
        "waves": 3,
    },
    Temperature.WARM: {
        "claim_window_minutes": 4 * 60,
        "first_contact_minutes": BUSINESS_DAY_MINUTES,
        "update_cadence_minutes": 7 * 24 * 60,
        "waves": 3,
    },
    Temperature.COLD: {
        "claim_window_minutes": 2 * BUSINESS_DAY_MINUTES,
        "first_contact_minutes": 3 * BUSINESS_DAY_MINUTES,
        "update_cadence_minutes": 14 * 24 * 60,
        "waves": 3,
    },
}


class SlaPolicy(TimestampMixin, Base):
    __tablename__ = "sla_policies"
    __table_args__ = (sa.UniqueConstraint("manufacturer_id", "temperature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    temperature: Mapped[Temperature] = mapped_column(StrEnum(Temperature))
    claim_window_minutes: Mapped[int]
    first_contact_minutes: Mapped[int]
    # The update cadence runs around the clock (days), the other two in business time when set.
    update_cadence_minutes: Mapped[int]
    waves: Mapped[int] = mapped_column(default=3)
    business_time: Mapped[bool] = mapped_column(default=True)
    reminder_percent: Mapped[int] = mapped_column(default=75)
    breach_action: Mapped[BreachAction] = mapped_column(StrEnum(BreachAction), default=BreachAction.RECYCLE)
    notify_channel_manager: Mapped[bool] = mapped_column(default=True)

    def terms(self) -> dict[str, object]:
        """The values a lead keeps when it is published under this policy."""
        return {
            "temperature": self.temperature.value,
            "claim_window_minutes": self.claim_window_minutes,
            "first_contact_minutes": self.first_contact_minutes,
            "update_cadence_minutes": self.update_cadence_minutes,
            "waves": self.waves,
            "business_time": self.business_time,
            "reminder_percent": self.reminder_percent,
            "breach_action": self.breach_action.value,
            "notify_channel_manager": self.notify_channel_manager,
        }
